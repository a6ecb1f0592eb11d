/**
 * EXEC_MCP_BACKTEST_DATA_DIR: backtest_create reads market-data files only inside that folder, and
 * its refusal is the same for a path outside, a missing file and a folder (no existence oracle).
 * Unset, any readable path works as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rejectedDomainError } from '../fixtures/domain-errors.ts';
import { startTestApp, tempDataDir, type TestApp } from './mcp-app.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const CSV = 'timestamp,price,amount,side\n2026-01-01T00:00:00Z,50000,0.1,buy\n2026-01-01T00:01:00Z,50010,0.2,sell\n';

describe('backtest data folder', () => {
  it('reads inside the folder (relative or absolute) and refuses everything else alike', async () => {
    const root = tempDataDir('exec-mcp-bt-root-');
    fs.writeFileSync(path.join(root, 'btcusd.csv'), CSV);
    fs.mkdirSync(path.join(root, 'sub'));
    const outside = path.join(tempDataDir('exec-mcp-bt-outside-'), 'btcusd.csv');
    fs.writeFileSync(outside, CSV);
    fs.symlinkSync(outside, path.join(root, 'link.csv'));
    t = await startTestApp({ EXEC_MCP_BACKTEST_DATA_DIR: root });
    const create = (data: string) => t!.services.backtests.create({ data, initial_balances: { USD: '1000' } }, 'test');

    expect((await create('btcusd.csv')).markets).toEqual(['btcusd']);
    expect((await create(path.join(root, 'btcusd.csv'))).markets).toEqual(['btcusd']);

    const messages = new Set<string>();
    for (const bad of [outside, '../' + path.basename(path.dirname(outside)) + '/btcusd.csv', 'missing.csv', 'sub', 'link.csv', '/etc/passwd']) {
      const e = await rejectedDomainError(create(bad));
      expect(e.code, bad).toBe('INVALID_ARGUMENT');
      messages.add(e.message.replace(bad, '<path>'));
    }
    expect([...messages]).toEqual(['data: <path> is not a readable file inside the backtest data folder (EXEC_MCP_BACKTEST_DATA_DIR); give a path relative to it']);

    // Mixed data: every path of the array is held to the folder.
    const many = (data: string[]) => t!.services.backtests.create({ data, initial_balances: { USD: '1000' } }, 'test');
    expect((await many(['btcusd.csv', 'btcusd.csv'])).markets).toEqual(['btcusd']);
    const e = await rejectedDomainError(many(['btcusd.csv', outside]));
    expect(e.message.replace(outside, '<path>')).toBe([...messages][0]);
  });

  it('without the setting any readable file works', async () => {
    const file = path.join(tempDataDir('exec-mcp-bt-free-'), 'btcusd.csv');
    fs.writeFileSync(file, CSV);
    t = await startTestApp();
    expect((await t.services.backtests.create({ data: file, initial_balances: { USD: '1000' } }, 'test')).markets).toEqual(['btcusd']);
  });
});
