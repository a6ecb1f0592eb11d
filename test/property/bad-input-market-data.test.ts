/**
 * Market-data files (replay and backtests) are hostile input. Valid CSV/JSONL trade and candle
 * files get one field of one row replaced by a value that is wrong for it (text, sign, exponent,
 * unicode digits, huge, empty, out of order time); the parser must answer INVALID_ARGUMENT naming
 * the file, the exact line and the field. Arbitrary bytes must give INVALID_ARGUMENT naming the
 * file, or parse — never another exception.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { parseMarketDataFile } from '../../sim/market-data/parse.ts';

const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 200);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bad-md-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Kind = 'trades' | 'candles';
const COLUMNS: Record<Kind, string[]> = { trades: ['timestamp', 'price', 'amount', 'side'], candles: ['timestamp', 'open', 'high', 'low', 'close', 'volume'] };

function row(kind: Kind, i: number): Record<string, string> {
  const ts = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const p = String(60_000 + (i % 7));
  return kind === 'trades'
    ? { timestamp: ts, price: p, amount: '0.5', side: i % 2 ? 'buy' : 'sell' }
    : { timestamp: ts, open: p, high: String(60_010 + (i % 7)), low: String(59_990 + (i % 7)), close: p, volume: '3.25' };
}

const BAD_DECIMALS = ['abc', '-1', '1e5', '1E-3', '', ' ', '١٢', '６0000', 'NaN', 'Infinity', '0x1F', '1,5', '1.2.3', `${'9'.repeat(400)}`, '💥', '+5'];
const BAD_VALUES: Record<string, string[]> = {
  timestamp: ['yesterday', '2026-13-45T00:00:00Z', '', 'NaN', '1e12', '💥', '-5', '2026-01-01 25:00'],
  side: ['up', 'BUY ', '', 'bid', '💥', 'null'],
};
const badValueFor = (field: string): fc.Arbitrary<string> => fc.constantFrom(...(BAD_VALUES[field] ?? BAD_DECIMALS));

const scenario = fc
  .record({
    kind: fc.constantFrom<Kind>('trades', 'candles'),
    format: fc.constantFrom('csv', 'jsonl'),
    rows: fc.integer({ min: 1, max: 30 }),
    at: fc.nat(),
    fieldIndex: fc.nat(),
  })
  .chain((s) => {
    const field = COLUMNS[s.kind][s.fieldIndex % COLUMNS[s.kind].length]!;
    return badValueFor(field).map((value) => ({ ...s, at: s.at % s.rows, field, value }));
  });

let n = 0;
function write(format: string, text: string): string {
  const file = path.join(dir, `data-${++n}.${format}`);
  fs.writeFileSync(file, text);
  return file;
}

function render(kind: Kind, format: string, rows: Record<string, string>[]): string {
  const cols = COLUMNS[kind];
  if (format === 'csv') return [cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n';
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

describe('market-data files: a bad row is INVALID_ARGUMENT naming file, line and field', () => {
  it('the unmutated files parse', () => {
    for (const kind of ['trades', 'candles'] as const)
      for (const format of ['csv', 'jsonl']) {
        const file = write(format, render(kind, format, Array.from({ length: 5 }, (_, i) => row(kind, i))));
        expect(parseMarketDataFile(file, { market: 'btcusd' }).events.length).toBeGreaterThan(0);
      }
  });

  it('one wrong field in one row', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const rows = Array.from({ length: s.rows }, (_, i) => row(s.kind, i));
        rows[s.at]![s.field] = s.value;
        // CSV can't hold a comma or newline inside a bare field: that would be a different row shape.
        fc.pre(s.format === 'jsonl' || !/[,\n\r"]/.test(s.value));
        const file = write(s.format, render(s.kind, s.format, rows));
        const line = s.format === 'csv' ? s.at + 2 : s.at + 1;
        let err: unknown;
        try {
          parseMarketDataFile(file, { market: 'btcusd' });
        } catch (e) {
          err = e;
        }
        expect(err, `${s.kind}/${s.format} ${s.field}=${JSON.stringify(s.value)} was accepted`).toBeInstanceOf(DomainError);
        const d = err as DomainError;
        expect(d.code).toBe('INVALID_ARGUMENT');
        expect(d.message).toContain(file);
        expect(d.message).toContain(`line ${line}`);
        expect(d.details).toMatchObject({ source: file, line });
        // The field is named (an empty CSV value may also be reported as a short row).
        expect([s.field, 'row']).toContain(d.details?.field);
        // Values read from files are never echoed back.
        if (s.value.length > 3) expect(d.message).not.toContain(s.value);
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary bytes: INVALID_ARGUMENT naming the file, or a successful parse; never a crash', () => {
    fc.assert(
      fc.property(fc.constantFrom('csv', 'jsonl'), fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))), (format, text) => {
        const file = write(format, text);
        try {
          parseMarketDataFile(file, { market: 'btcusd' });
        } catch (e) {
          expect(e).toBeInstanceOf(DomainError);
          expect((e as DomainError).code).toBe('INVALID_ARGUMENT');
          expect((e as DomainError).message).toContain(file);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
