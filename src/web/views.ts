import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import views from 'koa-views';
import type { Middleware } from 'koa';

/** views/ at the repository root. */
export const DEFAULT_VIEWS_DIR = fileURLToPath(new URL('../../views', import.meta.url));

/** "2026-01-31T12:00:00.000Z" -> "2026-01-31 12:00:00 UTC"; anything else passes through. */
export function formatInstant(iso: unknown): string {
  if (typeof iso !== 'string' || iso === '') return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/**
 * The one nunjucks Environment of the process: templates compile once and stay cached
 * (STACK.md: consolidate's renderString re-compiles per request, half the throughput).
 * Autoescape is on; `| safe` is used only for JSON we serialise ourselves.
 */
export function createViewEnvironment(viewsDir: string = DEFAULT_VIEWS_DIR): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(viewsDir, { noCache: false, watch: false }), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter('instant', formatInstant);
  env.addFilter('urlseg', (s: unknown) => encodeURIComponent(String(s ?? '')));
  env.addFilter('pretty_json', (v: unknown) => JSON.stringify(v, null, 1));
  return env;
}

/**
 * `ctx.render('page.njk', locals)` through koa-views, backed by the shared Environment. Give the
 * name with its extension: koa-views stats the path, and a bare name costs a failed stat first.
 * The page is handed to Koa as UTF-8 bytes: nunjucks returns a long concatenated string, and
 * encoding it once is cheaper than Koa measuring it and the socket encoding it again.
 */
export function viewsMiddleware(env: nunjucks.Environment, viewsDir: string = DEFAULT_VIEWS_DIR): Middleware {
  const render = (file: string, locals: object): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      env.render(path.relative(viewsDir, file), locals, (err, html) => (err ? reject(err) : resolve(Buffer.from(html ?? ''))));
    });
  return views(viewsDir, { extension: 'njk', map: { njk: 'nunjucks' }, engineSource: { nunjucks: render } });
}
