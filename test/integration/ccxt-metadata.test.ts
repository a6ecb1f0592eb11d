/**
 * ccxt metadata for the cache: markets from ccxt's bitstamp class aimed at the emulator (rules from
 * ccxt's precision and limits, ids the exchange's own), and the precision modes ccxt uses.
 */
import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decimalsOf, metadataSourceOf } from '../../src/exchanges/ccxt/metadata.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { aimCcxtAtEmulator } from '../bitstamp-emulator/ccxt-aim.ts';
import { startHarness, type Harness } from '../bitstamp-emulator/harness.ts';

let h: Harness;
const hosts: string[] = [];
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
  expect(hosts.length).toBeGreaterThan(0);
  expect(hosts.every((x) => x === new URL(h.emulator.apiUrl).host)).toBe(true);
});

describe('ccxt metadata source', () => {
  it('markets of ccxt bitstamp on the emulator match the native adapter\'s rules for btcusd', async () => {
    const ex = new ccxt.bitstamp({ enableRateLimit: false });
    aimCcxtAtEmulator(ex, h.emulator, hosts);
    const markets = await metadataSourceOf(ex).fetchMarkets();
    const btc = markets.find((m) => m.market === 'btcusd');
    const native = bundledMarket('btcusd');
    expect(btc).toMatchObject({ name: 'BTC/USD', base: 'BTC', quote: 'USD', trading_enabled: true });
    expect([btc?.price_decimals, btc?.amount_decimals]).toEqual([native.price_decimals, native.amount_decimals]);
    expect(Number(btc?.min_order_value)).toBeGreaterThan(0);
  });

  it('decimals from each precision mode: tick size, decimal places, significant digits', () => {
    expect(decimalsOf(1e-8, 4)).toBe(8);
    expect(decimalsOf(0.5, 4)).toBe(1);
    expect(decimalsOf(1, 4)).toBe(0);
    expect(decimalsOf(6, 2)).toBe(6);
    expect(decimalsOf(5, 3)).toBe(5);
    expect(decimalsOf(undefined, 4)).toBe(8);
  });
});
