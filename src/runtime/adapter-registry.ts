import type { AccountKey, AccountRecord } from '../domain/account.ts';
import type { ExchangeAdapter } from '../exchanges/adapter.ts';

/** Builds the adapter of one account (paper: the simulator; bitstamp: REST+WS with the vault's Signer). */
export type AdapterFactory = (account: AccountRecord) => ExchangeAdapter;

/**
 * Which account an adapter was built for: SQLite reuses the key of a removed account. The mode
 * picks the paper venue (live simulator or a backtest's), so a changed mode needs a new adapter
 * too; Bitstamp accounts are always `live`, so their connections are never rebuilt by this.
 */
interface Entry {
  adapter: ExchangeAdapter;
  exchange: string;
  createdAt: string;
  mode: string;
}

/**
 * One adapter per account, created on first use. Backtests register their own simulator-backed
 * adapter for their account. Listeners attached via onCreate see every adapter once.
 */
export class AdapterRegistry {
  private readonly adapters = new Map<AccountKey, Entry>();
  private readonly createListeners: Array<(account: AccountRecord, adapter: ExchangeAdapter) => void> = [];

  constructor(private readonly factories: Partial<Record<string, AdapterFactory>>) {}

  get(account: AccountRecord): ExchangeAdapter {
    const existing = this.adapters.get(account.key);
    if (existing) {
      const a = account.account;
      if (existing.createdAt === a.created_at && existing.exchange === a.exchange && existing.mode === a.mode) return existing.adapter;
      // The key now names another account (removed and re-created, e.g. by the CLI in another
      // process), or the account changed mode: never route its orders to the old venue.
      this.adapters.delete(account.key);
      void existing.adapter.close().catch(() => undefined);
    }
    const factory = this.factories[account.account.exchange];
    if (!factory) throw new Error(`no adapter factory for exchange ${account.account.exchange}`);
    const adapter = factory(account);
    this.add(account, adapter);
    return adapter;
  }

  /** Registers a ready-made adapter (backtests). */
  add(account: AccountRecord, adapter: ExchangeAdapter): void {
    this.adapters.set(account.key, { adapter, exchange: account.account.exchange, createdAt: account.account.created_at, mode: account.account.mode });
    for (const l of this.createListeners) l(account, adapter);
  }

  has(key: AccountKey): boolean {
    return this.adapters.has(key);
  }

  /** Returns an unsubscribe function. */
  onCreate(listener: (account: AccountRecord, adapter: ExchangeAdapter) => void): () => void {
    this.createListeners.push(listener);
    return () => {
      const i = this.createListeners.indexOf(listener);
      if (i >= 0) this.createListeners.splice(i, 1);
    };
  }

  /** Every adapter created so far, with its account key (to subscribe to the ones that exist already). */
  list(): Array<{ key: AccountKey; adapter: ExchangeAdapter }> {
    return [...this.adapters].map(([key, e]) => ({ key, adapter: e.adapter }));
  }

  async remove(key: AccountKey): Promise<void> {
    const a = this.adapters.get(key)?.adapter;
    this.adapters.delete(key);
    if (a) await a.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.adapters.values()].map((e) => e.adapter);
    this.adapters.clear();
    await Promise.allSettled(all.map((a) => a.close()));
  }
}
