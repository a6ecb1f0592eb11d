/**
 * A short-lived cache of the accounts page's data (one row per account needs several service reads,
 * ~65 µs per account on SQLite). Operator changes made through this web app invalidate it at once
 * (see app.ts); changes made elsewhere (CLI, fills moving balances) show up within `ttlMs`.
 * Time is monotonic process time: this is an operational cache, not domain time.
 */
export class ShortLivedCache<T> {
  private value: { at: number; data: Promise<T> } | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<T> {
    if (this.ttlMs <= 0) return this.load();
    const t = this.now();
    if (this.value && t - this.value.at < this.ttlMs) return this.value.data;
    const data = this.load();
    const entry = { at: t, data };
    this.value = entry;
    // A failed load is not kept: the next request tries again.
    data.catch(() => {
      if (this.value === entry) this.value = undefined;
    });
    return data;
  }

  invalidate(): void {
    this.value = undefined;
  }
}
