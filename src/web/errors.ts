import type { Context, Middleware } from 'koa';
import { isDomainError, type DomainError, type ErrorCode } from '../domain/errors.ts';
import { storageFailure } from '../domain/storage-failure.ts';
import type { Logger } from '../observability/logger.ts';
import { fieldErrors } from './forms.ts';

/** HTTP status of each contract error code (CONTRACT.md "Errors"), used by every dashboard route. */
const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  ACCOUNT_NOT_FOUND: 404,
  ACCOUNT_DISABLED: 409,
  NO_CREDENTIALS: 409,
  MARKET_NOT_FOUND: 404,
  MARKET_DISABLED: 409,
  PRECISION_VIOLATION: 400,
  BELOW_MINIMUM: 400,
  INSUFFICIENT_FUNDS: 409,
  RISK_LIMIT: 409,
  ORDER_NOT_FOUND: 404,
  ORDER_NOT_CANCELLABLE: 409,
  EXCHANGE_UNAVAILABLE: 503,
  EXCHANGE_REJECTED: 502,
  RATE_LIMITED: 429,
  OUTCOME_UNKNOWN: 504,
  CLIENT_ORDER_ID_CONFLICT: 409,
  CONFIRMATION_REQUIRED: 409,
  CONFIRMATION_DECLINED: 409,
  INTERNAL: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return STATUS_OF[code];
}

/**
 * What to show when the service refuses a submitted form: the same page again, with the user's
 * input (`values`, never secrets) and a message beside each named field. Routes declare it before
 * calling a service; the error middleware does the rendering, so routes stay straight-line.
 */
export interface FormRerender {
  view: string;
  values: object;
  /** Where the page reads the field messages (a page with two forms uses two names). Default "errors". */
  errorsKey?: string;
  /** Everything else the page needs (account lists, ...), computed only when needed. */
  locals: () => object | Promise<object>;
}

export function onFormError(ctx: Context, form: FormRerender): void {
  ctx.state['form'] = form;
}

interface HttpishError {
  status: number;
  expose?: boolean;
  message: string;
  headers?: Record<string, string>;
}
function isHttpError(e: unknown): e is HttpishError {
  return e instanceof Error && typeof (e as { status?: unknown }).status === 'number';
}

async function renderErrorPage(ctx: Context, status: number, title: string, message: string, code?: string): Promise<void> {
  ctx.status = status;
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = { error: { code: code ?? `HTTP_${status}`, message } };
    return;
  }
  try {
    await ctx.render('error.njk', { title, message, code, status });
    ctx.status = status;
  } catch {
    ctx.type = 'text/plain';
    ctx.body = `${status} ${title}: ${message}`;
  }
}

/** The one error middleware: domain codes -> HTTP statuses, form re-rendering, no stack traces out. */
export function errorMiddleware(logger: Logger): Middleware {
  return async function handleErrors(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) await renderErrorPage(ctx, 404, 'Not found', `Nothing at ${ctx.path}`);
    } catch (e) {
      if (isDomainError(e)) return handleDomainError(ctx, e, logger);
      // Disk full, read-only or damaged store: 503 with what is wrong (as MCP answers), not a bare 500.
      const storage = storageFailure(e, 'changes');
      if (storage) return handleDomainError(ctx, storage, logger);
      if (isHttpError(e) && e.status < 500) {
        if (e.headers) ctx.set(e.headers);
        const message = e.expose === false ? 'request refused' : e.message;
        return renderErrorPage(ctx, e.status, titleFor(e.status), message);
      }
      logger.error({ err: e, path: ctx.path, method: ctx.method }, 'dashboard request failed');
      return renderErrorPage(ctx, 500, 'Internal error', 'internal error; see the server log', 'INTERNAL');
    }
  };
}

async function handleDomainError(ctx: Context, e: DomainError, logger: Logger): Promise<void> {
  const status = httpStatusFor(e.code);
  if (status >= 500) logger.warn({ code: e.code, msg: e.message, path: ctx.path }, 'dashboard action failed');
  const form = ctx.state['form'] as FormRerender | undefined;
  if (form && ctx.method !== 'GET' && ctx.accepts('html', 'json') !== 'json') {
    try {
      const locals = await form.locals();
      ctx.status = status;
      await ctx.render(form.view, {
        errors: {},
        ...locals,
        values: form.values,
        [form.errorsKey ?? 'errors']: fieldErrors(e),
        error: { code: e.code, message: e.message },
      });
      ctx.status = status;
      return;
    } catch (renderErr) {
      logger.error({ err: renderErr, path: ctx.path }, 'could not re-render the form');
    }
  }
  await renderErrorPage(ctx, status, titleFor(status), dashboardWording(e.message), e.code);
}

/** Service messages are written for MCP clients; on the dashboard the list to look in is a page, not a tool. */
export function dashboardWording(message: string): string {
  return message.replace(/ as listed by list_accounts\b/, ' as listed on the Accounts page').replace(/ as listed by list_orders\b/, ' as listed on the Orders page');
}

function titleFor(status: number): string {
  switch (status) {
    case 400: return 'Invalid input';
    case 401: return 'Login required';
    case 403: return 'Forbidden';
    case 404: return 'Not found';
    case 409: return 'Not possible right now';
    case 429: return 'Too many requests';
    default: return status >= 500 ? 'Service problem' : 'Request refused';
  }
}
