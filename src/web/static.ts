import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';

const require = createRequire(import.meta.url);
const OWN = (name: string): string => fileURLToPath(new URL(`./static/${name}`, import.meta.url));

/** Every asset the pages use, served locally (no CDN): Pico CSS, uPlot, our small CSS and chart script. */
const ASSETS: Record<string, { file: () => string; type: string }> = {
  '/static/pico.min.css': { file: () => require.resolve('@picocss/pico/css/pico.min.css'), type: 'text/css; charset=utf-8' },
  '/static/uplot.min.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  '/static/uplot.iife.min.js': { file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/static/app.css': { file: () => OWN('app.css'), type: 'text/css; charset=utf-8' },
  '/static/balance-chart.js': { file: () => OWN('balance-chart.js'), type: 'text/javascript; charset=utf-8' },
  '/static/portfolio-chart.js': { file: () => OWN('portfolio-chart.js'), type: 'text/javascript; charset=utf-8' },
  '/static/mode-choices.js': { file: () => OWN('mode-choices.js'), type: 'text/javascript; charset=utf-8' },
  '/static/live.js': { file: () => OWN('live.js'), type: 'text/javascript; charset=utf-8' },
};

/** Loads the assets into memory once (a handful of small files) and serves them with a cache header. */
export function staticAssets(): Middleware {
  const loaded = new Map<string, { body: Buffer; type: string }>();
  for (const [url, a] of Object.entries(ASSETS)) loaded.set(url, { body: readFileSync(a.file()), type: a.type });
  return async function serveStatic(ctx, next) {
    const asset = ctx.method === 'GET' || ctx.method === 'HEAD' ? loaded.get(ctx.path) : undefined;
    if (!asset) return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = asset.type;
    ctx.body = asset.body;
  };
}
