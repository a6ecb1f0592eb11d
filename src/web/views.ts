import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import views from 'koa-views';
import type { Middleware } from 'koa';
import { PageBufferPool } from './page-buffers.ts';

/** views/ at the repository root. */
export const DEFAULT_VIEWS_DIR = fileURLToPath(new URL('../../views', import.meta.url));

/** "2026-01-31T12:00:00.000Z" -> "2026-01-31 12:00:00 UTC"; anything else passes through. */
export function formatInstant(iso: unknown): string {
  if (typeof iso !== 'string' || iso === '') return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/**
 * Drops the indentation at the start of every template line when a template is loaded (once: the
 * Environment caches compiled templates). Indentation keeps the sources readable but was an eighth
 * of every page (14 KB of the 113 KB accounts page), bytes that every response then encodes and
 * writes. Only template text changes: values (e.g. the audit payload in `<pre>`) keep theirs.
 */
export function indentFreeLoader(loader: nunjucks.FileSystemLoader): nunjucks.FileSystemLoader {
  const load = loader.getSource.bind(loader);
  loader.getSource = (name: string) => {
    const source = load(name);
    // A missing template is null at runtime, whatever the typings say.
    return (source as nunjucks.LoaderSource | null) === null ? source : { ...source, src: stripIndentation(source.src) };
  };
  return loader;
}

/**
 * Leading spaces and tabs of every line removed; line breaks kept. The page a browser shows stays
 * the same (HTML collapses a run of whitespace to one space): where the line break before an
 * indented line is eaten by `trimBlocks` (the line before ends with a block tag), the indentation
 * was the only whitespace there, so one space stays.
 */
export function stripIndentation(src: string): string {
  const lines = src.split('\n');
  return lines
    .map((line, i) => {
      const text = line.replace(/^[ \t]+/, '');
      if (text.length === line.length) return line;
      const breakEaten = i > 0 && lines[i - 1]!.trimEnd().endsWith('%}');
      return breakEaten && !text.startsWith('{%') ? ` ${text}` : text;
    })
    .join('\n');
}

/**
 * The one nunjucks Environment of the process: templates compile once and stay cached
 * (STACK.md: consolidate's renderString re-compiles per request, half the throughput).
 * Autoescape is on; `| safe` is used only for JSON we serialise ourselves.
 */
export function createViewEnvironment(viewsDir: string = DEFAULT_VIEWS_DIR, opts: { keepIndentation?: boolean } = {}): nunjucks.Environment {
  const files = new nunjucks.FileSystemLoader(viewsDir, { noCache: false, watch: false });
  const env = new nunjucks.Environment(opts.keepIndentation === true ? files : indentFreeLoader(files), {
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
 * A page rendered to a string (pages, error pages, redirects) is handed to Koa as UTF-8 bytes in a
 * reused buffer (PageBufferPool): encoding once into memory already allocated is cheaper than a
 * fresh 100 KB buffer per response, or than the socket encoding the string again.
 */
export function viewsMiddleware(env: nunjucks.Environment, viewsDir: string = DEFAULT_VIEWS_DIR, pool: PageBufferPool = new PageBufferPool()): Middleware {
  const render = (file: string, locals: object): Promise<string> =>
    new Promise((resolve, reject) => {
      env.render(path.relative(viewsDir, file), locals, (err, html) => (err ? reject(err) : resolve(html ?? '')));
    });
  const koaViews = views(viewsDir, { extension: 'njk', map: { njk: 'nunjucks' }, engineSource: { nunjucks: render } });
  return async function renderViews(ctx, next) {
    await koaViews(ctx, next);
    if (typeof ctx.body === 'string') ctx.body = pool.encodeFor(ctx.res, ctx.body);
  };
}
