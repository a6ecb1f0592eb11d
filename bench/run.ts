/**
 * `npm run bench`: runs every benchmark of the project, prints one table (figure, baseline, ratio,
 * target) and writes it to bench/results.json. Run alone with `npm run bench -- sim runtime`.
 * Each suite runs in a process of its own: a suite's figures must not depend on the heap, JIT and
 * GC state that the suites before it left behind (measured: the dashboard ratio moved by ~10%).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
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
    for (const r of await runSuiteInChild(name)) rows.push({ suite: name, ...r });
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

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD_FLAG = '--suite-child';

/** Runs one suite in a fresh node process (same loader as this one) and returns its rows. */
async function runSuiteInChild(name: string): Promise<BenchResult[]> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bench-')), 'rows.json');
  try {
    const child = spawn(process.execPath, [path.join(HERE, '..', 'bin', 'run-ts.js'), fileURLToPath(import.meta.url), CHILD_FLAG, name, out], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('exit', resolve);
      child.once('error', reject);
    });
    if (code !== 0 || !fs.existsSync(out)) throw new Error(`benchmark suite ${name} failed (exit ${code})`);
    return JSON.parse(fs.readFileSync(out, 'utf8')) as BenchResult[];
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/** In the child: run the suite, write its rows where the parent asked. */
async function suiteChild(name: string, out: string): Promise<void> {
  const file = SUITES[name];
  if (!file) throw new Error(`unknown suite ${name}`);
  const mod = (await import(file)) as { run: () => Promise<BenchResult[]> };
  const rows = await mod.run();
  fs.writeFileSync(out, JSON.stringify(rows));
  process.exit(0);
}

const childAt = process.argv.indexOf(CHILD_FLAG);
if (childAt >= 0) await suiteChild(process.argv[childAt + 1] ?? '', process.argv[childAt + 2] ?? '');
else await main();
