/**
 * Every exchange fill reaches an order through the one sanity gate (RuntimeHost.admitFill /
 * reconciledReport, runtime/fill-quarantine.ts). The plain conversions into order events exist for
 * the gate itself; a new path that used them directly would apply impossible fills unchecked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const rel = (p: string): string => path.relative(SRC, p).split(path.sep).join('/');

describe('the fill gate', () => {
  const files = sources(SRC).map((p) => ({ file: rel(p), text: fs.readFileSync(p, 'utf8') }));

  it('reconciledReportOf is called only by the gate', () => {
    const callers = files.filter((f) => /\breconciledReportOf\(/.test(f.text.replace(/export function reconciledReportOf\(/, ''))).map((f) => f.file);
    expect(callers).toEqual(['runtime/order-runtime-host.ts']);
  });

  it('a FILL event is built only next to an admitFill check', () => {
    const builders = files.filter((f) => /type: 'FILL'/.test(f.text)).map((f) => f.file);
    expect(builders.length).toBeGreaterThan(0);
    for (const file of builders) expect(files.find((f) => f.file === file)!.text, file).toMatch(/\.admitFill\(/);
  });
});
