/**
 * Balances of the one simulated account: per currency a total and the part reserved by open orders
 * (available = total - reserved), plus fees paid. Exact decimals; a balance never goes negative.
 */
import { D, type Dec, decStr } from '../src/domain/money.ts';
import { DomainError } from '../src/domain/errors.ts';
import type { BalanceReport } from '../src/exchanges/adapter.ts';

export interface LedgerState {
  balances: Record<string, { total: string; reserved: string }>;
  fees_paid: Record<string, string>;
}

const ZERO = new D(0);

export class Ledger {
  private readonly total = new Map<string, Dec>();
  private readonly reserved = new Map<string, Dec>();
  private readonly fees = new Map<string, Dec>();

  static fromState(s: LedgerState): Ledger {
    const l = new Ledger();
    for (const [c, b] of Object.entries(s.balances)) {
      l.total.set(c, new D(b.total));
      l.reserved.set(c, new D(b.reserved));
    }
    for (const [c, f] of Object.entries(s.fees_paid)) l.fees.set(c, new D(f));
    return l;
  }

  toState(): LedgerState {
    const balances: LedgerState['balances'] = {};
    for (const c of [...this.total.keys()].sort()) balances[c] = { total: decStr(this.totalOf(c)), reserved: decStr(this.reservedOf(c)) };
    const fees_paid: Record<string, string> = {};
    for (const c of [...this.fees.keys()].sort()) fees_paid[c] = decStr(this.fees.get(c)!);
    return { balances, fees_paid };
  }

  /** Sets a currency's total (funding a paper account); refused while part of it is reserved. */
  setTotal(currency: string, amount: Dec): void {
    const cur = currency.toUpperCase();
    if (amount.lt(this.reservedOf(cur)))
      throw new DomainError('INVALID_ARGUMENT', `cannot set ${cur} below the ${decStr(this.reservedOf(cur))} reserved by open orders`);
    this.total.set(cur, amount);
    if (!this.reserved.has(cur)) this.reserved.set(cur, ZERO);
  }

  totalOf(c: string): Dec {
    return this.total.get(c) ?? ZERO;
  }
  reservedOf(c: string): Dec {
    return this.reserved.get(c) ?? ZERO;
  }
  availableOf(c: string): Dec {
    return this.totalOf(c).minus(this.reservedOf(c));
  }
  feesPaidOf(c: string): Dec {
    return this.fees.get(c) ?? ZERO;
  }

  reserve(c: string, amount: Dec): void {
    this.reserved.set(c, this.reservedOf(c).plus(amount));
    if (!this.total.has(c)) this.total.set(c, ZERO);
  }
  release(c: string, amount: Dec): void {
    this.reserved.set(c, this.reservedOf(c).minus(amount));
  }
  credit(c: string, amount: Dec): void {
    this.total.set(c, this.totalOf(c).plus(amount));
  }
  debit(c: string, amount: Dec): void {
    this.total.set(c, this.totalOf(c).minus(amount));
  }
  addFee(c: string, amount: Dec): void {
    this.fees.set(c, this.feesPaidOf(c).plus(amount));
  }

  currencies(): string[] {
    return [...new Set([...this.total.keys(), ...this.fees.keys()])].sort();
  }

  report(): BalanceReport[] {
    return [...this.total.keys()].sort().map((c) => ({
      currency: c,
      total: decStr(this.totalOf(c)),
      available: decStr(this.availableOf(c)),
      reserved: decStr(this.reservedOf(c)),
    }));
  }

  feesPaid(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of [...this.fees.keys()].sort()) out[c] = decStr(this.fees.get(c)!);
    return out;
  }
}
