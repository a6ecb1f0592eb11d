import { describe, expect, it } from 'vitest';
import { utcBound } from '../../src/web/routes/history-query.ts';

describe('utcBound (since/until of the history pages)', () => {
  it('a day: since is its start, until the start of the next day (the day is included), in UTC', () => {
    expect(utcBound('2026-01-31', 'since')).toBe('2026-01-31T00:00:00.000Z');
    expect(utcBound('2026-01-31', 'until')).toBe('2026-02-01T00:00:00.000Z');
    expect(utcBound('2024-02-28', 'until')).toBe('2024-02-29T00:00:00.000Z');
  });
  it('a time without a zone is UTC; with a zone it is converted', () => {
    expect(utcBound('2026-01-31T12:00', 'since')).toBe('2026-01-31T12:00:00.000Z');
    expect(utcBound('2026-01-31 12:00:05', 'until')).toBe('2026-01-31T12:00:05.000Z');
    expect(utcBound('2026-01-31T12:00-05:00', 'since')).toBe('2026-01-31T17:00:00.000Z');
    expect(utcBound('2026-01-31T12:00:00.250Z', 'since')).toBe('2026-01-31T12:00:00.250Z');
  });
  it('anything else is refused (undefined), not guessed', () => {
    for (const t of ['yesterday', '31.01.2026', '2026-13-45', '2026-01-31T25:00', '1700000000']) expect(utcBound(t, 'since'), t).toBeUndefined();
  });
});
