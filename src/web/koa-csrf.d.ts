// koa-csrf 5 ships no types. Default export is a class-like factory returning a Koa middleware.
declare module 'koa-csrf' {
  import type { Middleware } from 'koa';
  interface CsrfOptions {
    errorHandler?: (ctx: import('koa').Context) => unknown;
    excludedMethods?: string[];
    disableQuery?: boolean;
    ignoredPathGlobs?: string[];
  }
  interface CsrfConstructor {
    new (opts?: CsrfOptions): Middleware;
    (opts?: CsrfOptions): Middleware;
  }
  const CSRF: CsrfConstructor;
  export default CSRF;
}
