import type { Context } from 'koa';
import { DomainError } from '../domain/errors.ts';

/** A submitted form as plain strings: repeated fields keep their last value, anything else is dropped. */
export type FormFields = Record<string, string>;

export function formFields(ctx: Context): FormFields {
  const body = ctx.request.body;
  const out: FormFields = {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && typeof v[v.length - 1] === 'string') out[k] = v[v.length - 1] as string;
  }
  return out;
}

/** Trimmed text; empty means "not given". */
export function optionalText(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** HTML checkboxes send "on" when ticked and nothing otherwise; scripts may send true/1/yes. */
export function checkbox(v: string | undefined): boolean {
  return v !== undefined && ['on', 'true', '1', 'yes'].includes(v.trim().toLowerCase());
}

/** Collects field-level problems found while converting a form, then fails with all of them at once. */
export class FormProblems {
  private readonly messages: Record<string, string> = {};

  add(field: string, message: string): void {
    if (!(field in this.messages)) this.messages[field] = message;
  }

  get empty(): boolean {
    return Object.keys(this.messages).length === 0;
  }

  /** Throws INVALID_ARGUMENT naming every field, in the shape fieldErrors() reads back. */
  throwIfAny(): void {
    if (this.empty) return;
    const fields = Object.keys(this.messages);
    const text = fields.map((f) => `${f}: ${this.messages[f]}`).join('; ');
    throw new DomainError('INVALID_ARGUMENT', text, { fields, messages: { ...this.messages } });
  }
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return v !== null && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string');
}

/**
 * Field name -> message for a DomainError, for the form to show beside each input. Reads
 * details.messages when present, else splits "field: message; field2: message" (the shape of
 * invalidArgumentFromIssues). Nested paths ("limits.max_order_value") also answer to their last part.
 */
export function fieldErrors(err: DomainError): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (path: string, msg: string): void => {
    if (!(path in out)) out[path] = msg;
    const last = path.split('.').pop();
    if (last && !(last in out)) out[last] = msg;
  };
  const details = err.details ?? {};
  if (isStringRecord(details['messages'])) for (const [f, m] of Object.entries(details['messages'])) put(f, m);
  const parsed = new Map<string, string>();
  for (const part of err.message.split('; ')) {
    const i = part.indexOf(': ');
    if (i > 0) parsed.set(part.slice(0, i), part.slice(i + 2));
  }
  const fields = Array.isArray(details['fields']) ? details['fields'].filter((f): f is string => typeof f === 'string') : [];
  for (const f of fields) put(f, parsed.get(f) ?? err.message);
  if (typeof details['field'] === 'string') put(details['field'], err.message);
  return out;
}
