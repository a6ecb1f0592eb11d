/**
 * `npm run bench`: runs every benchmark of the project, prints one table (figure, baseline, ratio,
 * target) and writes it to bench/results.json. Run alone with `npm run bench -- sim runtime`.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type { BenchResult } from './types.ts';

const SUITES: Record<string, string> = {
  runtime: './runtime.bench.ts',
  sim: './sim.bench.ts',
  mcp: './mcp.bench.ts',
  dashboard: './dashboard.bench.ts',
};

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length > 0 ? wanted : Object.keys(SUITES);
  const rows: Array<BenchResult & { suite: string }> = [];
  for (const name of names) {
    const file = SUITES[name];
    if (!file) {
      process.stderr.write(`unknown benchmark suite ${name}; known: ${Object.keys(SUITES).join(', ')}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`running ${name} ...\n`);
    const mod = (await import(file)) as { run: () => Promise<BenchResult[]> };
    for (const r of await mod.run()) rows.push({ suite: name, ...r });
  }
  // A run of some suites keeps the other suites' latest rows, so results.json stays one full table.
  const resultsFile = path.join(path.dirname(new URL(import.meta.url).pathname), 'results.json');
  if (wanted.length > 0 && fs.existsSync(resultsFile)) {
    const previous = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { results?: Array<BenchResult & { suite: string }> };
    const kept = (previous.results ?? []).filter((r) => !names.includes(r.suite));
    rows.unshift(...kept);
    rows.sort((a, b) => Object.keys(SUITES).indexOf(a.suite) - Object.keys(SUITES).indexOf(b.suite));
  }
  const header = ['suite', 'benchmark', 'value', 'unit', 'baseline', 'baseline value', 'ratio', 'target', 'pass'];
  const table = rows.map((r) => [r.suite, r.name, fmt(r.value), r.unit, r.baselineName, fmt(r.baseline), r.ratio.toFixed(2), r.target ?? '', r.pass === undefined ? '' : r.pass ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  const out = [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...table.map(line)].join('\n');
  process.stdout.write(out + '\n');
  const results = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, platform: process.platform },
    results: rows,
  };
  fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'results.md'), out + '\n');
}

await main();
