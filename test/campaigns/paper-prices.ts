/**
 * Driver side of price-feed.mjs: writes the prices that a paper account's exchange sees, atomically
 * (write + rename), with a version number; `seen()` tells whether the service has read the latest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './service-process.ts';

export const PRICE_FEED_SCRIPT = path.join(ROOT, 'test/campaigns/price-feed.mjs');

export class PaperPriceFeed {
  private version = 0;
  private prices: Record<string, string>;

  constructor(
    readonly file: string,
    initial: Record<string, string>,
  ) {
    this.prices = { ...initial };
    this.write();
  }

  /** EXEC_MCP_PRICE_MCP for the service (a stdio command; allowed offline, it is a local process). */
  get command(): string {
    return `${process.execPath} ${PRICE_FEED_SCRIPT} ${this.file}`;
  }

  /** symbol e.g. "BTC/USD". */
  set(symbol: string, price: string): void {
    this.prices[symbol] = price;
    this.write();
  }

  get(symbol: string): string | undefined {
    return this.prices[symbol];
  }

  /** True once the feed has answered with the latest version. */
  seen(): boolean {
    try {
      return Number(fs.readFileSync(`${this.file}.served`, 'utf8')) >= this.version;
    } catch {
      return false;
    }
  }

  private write(): void {
    this.version++;
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ version: this.version, prices: this.prices }));
    fs.renameSync(tmp, this.file);
  }
}

export function feedFileIn(dir: string): string {
  return path.join(dir, 'campaign-prices.json');
}
