/** StdioLineLimit: messages up to the limit pass one per chunk; a longer one is dropped and reported with its id. */
import { describe, expect, it } from 'vitest';
import { idFromEdges, StdioLineLimit, type OversizedMessage } from '../../src/mcp/stdio-line-limit.ts';

function run(max: number, chunks: string[]): { out: string[]; dropped: OversizedMessage[] } {
  const out: string[] = [];
  const dropped: OversizedMessage[] = [];
  const t = new StdioLineLimit(max, (m) => dropped.push(m));
  t.on('data', (d: Buffer) => out.push(d.toString()));
  for (const c of chunks) t.write(Buffer.from(c));
  t.end();
  return { out, dropped };
}

describe('StdioLineLimit', () => {
  it('passes whole messages, one per chunk, however the input was split', () => {
    const a = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    const b = '{"jsonrpc":"2.0","id":2,"method":"ping"}';
    const { out, dropped } = run(100, [a.slice(0, 5), a.slice(5) + '\n' + b.slice(0, 10), b.slice(10) + '\n']);
    expect(out).toEqual([`${a}\n`, `${b}\n`]);
    expect(dropped).toEqual([]);
  });

  it('a message of exactly the limit passes; one byte more is dropped, and the next message still passes', () => {
    const exact = `{"id":1,"p":"${'x'.repeat(100 - 15)}"}`;
    expect(exact.length).toBe(100);
    const over = `{"method":"tools/call","params":{"p":"${'y'.repeat(300)}"},"jsonrpc":"2.0","id":7}`;
    const next = '{"jsonrpc":"2.0","id":8,"method":"ping"}';
    const chunks = [exact + '\n', ...(over + '\n').match(/.{1,37}/gs)!, next + '\n'];
    const { out, dropped } = run(100, chunks);
    expect(out).toEqual([`${exact}\n`, `${next}\n`]);
    expect(dropped).toEqual([{ bytes: over.length, id: 7 }]);
  });

  it('finds the id first or last, as string or number, and null when there is none', () => {
    expect(idFromEdges('{"jsonrpc":"2.0","id":"a-1","method":"x","params":{"', '')).toBe('a-1');
    expect(idFromEdges('{"id":42,', '')).toBe(42);
    expect(idFromEdges('{"method":"x","params":{"q":', 'zzz"}},"jsonrpc":"2.0","id":12}')).toBe(12);
    expect(idFromEdges('{"method":"notifications/x","params":{"q":', 'zzz"}},"jsonrpc":"2.0"}')).toBeNull();
    // An "id" inside params, not at the top level's end, is not taken for the message's id.
    expect(idFromEdges('{"method":"x","params":{"id":5,"q":"', 'zz"}}')).toBeNull();
  });
});
