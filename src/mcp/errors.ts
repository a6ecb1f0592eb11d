/**
 * The one mapping from failures to MCP tool results (CONTRACT.md "Errors"): a DomainError becomes
 * `{isError: true, structuredContent: {error: {code, message, details?}}}`; anything else becomes
 * INTERNAL with a generic message (the real error goes to the log, never to the client).
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { DomainError, isDomainError } from '../domain/errors.ts';
import { storageFailure } from '../domain/storage-failure.ts';

export type ErrorPayload = ReturnType<DomainError['toJSON']>;

/** A successful result: structured content plus the same JSON as text (for clients without structured output). */
export function successResult(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

export function domainErrorResult(err: DomainError): CallToolResult {
  const body = { error: err.toJSON() };
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
}

/**
 * Any thrown value as a tool result. `onInternal` receives unexpected errors (to log them with their
 * stack server-side); the client only ever sees "internal error".
 */
export function toToolError(err: unknown, onInternal: (err: unknown) => void): CallToolResult {
  if (isDomainError(err)) return domainErrorResult(err);
  onInternal(err);
  // A storage failure no service mapped (a read on a damaged file, say): the storage answer, not INTERNAL.
  return domainErrorResult(storageFailure(err) ?? new DomainError('INTERNAL', 'internal error; the server log has the details'));
}

type Issue = z.core.$ZodIssue;

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(arguments)' : path.map(String).join('.');
}

function describeIssue(issue: Issue, allowedFields: readonly string[]): { field: string; text: string }[] {
  switch (issue.code) {
    case 'unrecognized_keys': {
      const where = issue.path.length === 0 ? '' : ` in ${fieldName(issue.path)}`;
      const allowed = issue.path.length === 0 ? `; allowed fields: ${allowedFields.join(', ') || '(none)'}` : '';
      return issue.keys.map((k) => ({
        field: issue.path.length === 0 ? k : `${fieldName(issue.path)}.${k}`,
        text: `unknown field "${k}"${where}${allowed}`,
      }));
    }
    case 'invalid_type': {
      const field = fieldName(issue.path);
      // zod words a missing field as "expected string, received undefined".
      const missing = /received undefined$/.test(issue.message);
      return [{ field, text: missing ? `${field} is required (${issue.expected})` : `${field}: must be ${issue.expected}${receivedSuffix(issue.message)}` }];
    }
    case 'invalid_union': {
      // Report the alternative that got furthest (deepest issue path): that is the form the caller meant.
      const depth = (issues: readonly Issue[]): number => Math.max(...issues.map((x) => x.path.length));
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0];
      if (best && best.length > 0 && depth(best) > 0)
        return best.flatMap((sub) => describeIssue({ ...sub, path: [...issue.path, ...sub.path] } as Issue, allowedFields));
      const field = fieldName(issue.path);
      // Alternatives that differ only in type (a decimal as string or number): name the types allowed.
      const types = issue.errors.map((alt) => (alt.length === 1 && alt[0]!.code === 'invalid_type' && alt[0]!.path.length === 0 ? alt[0]!.expected : undefined));
      if (types.length > 0 && types.every((t) => t !== undefined) && new Set(types).size === types.length)
        return [{ field, text: `${field}: must be ${types.join(' or ')}${receivedSuffix(issue.errors[0]![0]!.message)}` }];
      return [{ field, text: `${field}: does not match any allowed form (see the input schema)` }];
    }
    default: {
      const field = fieldName(issue.path);
      return [{ field, text: `${field}: ${issue.message.replace(/^Invalid input:?\s*/, '')}` }];
    }
  }
}

function receivedSuffix(message: string): string {
  const m = /received (\w+)$/.exec(message);
  return m ? `, got ${m[1]}` : '';
}

/** Turns zod issues into INVALID_ARGUMENT naming every bad field and what is allowed. */
export function invalidArguments(issues: readonly Issue[], allowedFields: readonly string[]): DomainError {
  const parts = issues.flatMap((i) => describeIssue(i, allowedFields));
  const shown = parts.slice(0, 5).map((p) => p.text);
  if (parts.length > 5) shown.push(`and ${parts.length - 5} more`);
  return new DomainError('INVALID_ARGUMENT', shown.join('; '), { fields: [...new Set(parts.map((p) => p.field))] });
}
