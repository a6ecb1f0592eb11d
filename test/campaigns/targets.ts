/**
 * What a campaign runs against: a paper account (the simulator inside the service, prices from the
 * campaign's feed) or a Bitstamp account on the in-process emulator. A target creates its account
 * through the operator CLI, moves its market, and tells the exchange's truth.
 */
import path from 'node:path';
import { BitstampEmulator } from '../bitstamp-emulator/index.ts';
import { addBitstampAccount, addPaperAccount } from './cli.ts';
import { emulatorTruth, paperTruth, type ExchangeTruth } from './exchange-truth.ts';
import { feedFileIn, PaperPriceFeed } from './paper-prices.ts';

export const MARKET_CURRENCIES: Record<string, { base: string; quote: string }> = { btcusd: { base: 'BTC', quote: 'USD' } };
export const START_BALANCES: Record<string, string> = { USD: '100000000', BTC: '1000' };

export interface Target {
  readonly kind: 'paper' | 'emulator';
  readonly account: string;
  readonly initialBalances: Record<string, string>;
  /** Environment for the service (price feed / emulator URLs). */
  serviceEnv(): Record<string, string>;
  /** The market trades at `price` (paper: the feed's price; emulator: an external trade). */
  move(price: string, amount: string): void;
  /** The exchange's truth now (paper: read from the data dir's database). */
  truth(): ExchangeTruth;
  /** Paper: whether the service has read the latest price. */
  priceSeen(): boolean;
  close(): Promise<void>;
}

export class PaperTarget implements Target {
  readonly kind = 'paper' as const;
  readonly initialBalances = START_BALANCES;
  private constructor(
    readonly account: string,
    private readonly dbFile: string,
    readonly feed: PaperPriceFeed,
  ) {}

  static async create(dataDir: string, opts: { id?: string; mid?: number } = {}): Promise<PaperTarget> {
    const id = opts.id ?? 'campaign';
    const account = await addPaperAccount(dataDir, { name: `paper-${id}`, exchangeAccountId: id, balances: START_BALANCES });
    const feed = new PaperPriceFeed(feedFileIn(dataDir), { 'BTC/USD': String(opts.mid ?? 60_000) });
    return new PaperTarget(account, path.join(dataDir, 'exec-mcp.sqlite'), feed);
  }

  serviceEnv(): Record<string, string> {
    return { EXEC_MCP_PRICE_MCP: this.feed.command };
  }
  move(price: string): void {
    this.feed.set('BTC/USD', price);
  }
  truth(): ExchangeTruth {
    return paperTruth(this.dbFile, this.account);
  }
  priceSeen(): boolean {
    return this.feed.seen();
  }
  async close(): Promise<void> {}
}

export const EMU_ACCOUNT = { apiKey: 'campaignkey0001', secret: 'campaign-secret-0001-abcdef', userId: '700001' };

export class EmulatorTarget implements Target {
  readonly kind = 'emulator' as const;
  readonly initialBalances = START_BALANCES;
  private constructor(
    readonly account: string,
    readonly emulator: BitstampEmulator,
    private readonly userId: string,
  ) {}

  static async create(dataDir: string, opts: { seed?: number; mid?: number; creds?: typeof EMU_ACCOUNT; emulator?: BitstampEmulator } = {}): Promise<EmulatorTarget> {
    const creds = opts.creds ?? EMU_ACCOUNT;
    const emulator =
      opts.emulator ??
      (await BitstampEmulator.start({ seed: opts.seed ?? 1, accounts: [], prices: { btcusd: String(opts.mid ?? 60_000) } }));
    emulator.addAccount({ ...creds, balances: START_BALANCES });
    const account = await addBitstampAccount(dataDir, { name: `bitstamp-${creds.userId}`, exchangeAccountId: creds.userId, apiKey: creds.apiKey, secret: creds.secret });
    return new EmulatorTarget(account, emulator, creds.userId);
  }

  serviceEnv(): Record<string, string> {
    return { BITSTAMP_API_URL: this.emulator.apiUrl, BITSTAMP_WS_URL: this.emulator.wsUrl };
  }
  move(price: string, amount: string): void {
    this.emulator.trade('btcusd', price, amount);
  }
  truth(): ExchangeTruth {
    return emulatorTruth(this.emulator.engine, this.userId);
  }
  priceSeen(): boolean {
    return true;
  }
  async close(): Promise<void> {
    await this.emulator.close();
  }
}
