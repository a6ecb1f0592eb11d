/**
 * A seeded stream of order operations, the same for every target (paper or emulator): limit orders
 * around the market (resting and crossing), market orders, idempotent re-sends of an earlier
 * client_order_id, cancels by order_id or client_order_id, reads, and market moves that the target
 * turns into exchange-side trades (emulator) or price changes (paper feed). Same seed = same stream.
 */
import { seededRandom, type Random } from '../../src/domain/clock.ts';

export type Side = 'buy' | 'sell';

export interface PlaceArgs {
  market: string;
  side: Side;
  type: 'limit' | 'market';
  amount: string;
  price?: string;
  time_in_force?: 'gtc' | 'ioc';
  client_order_id: string;
}

export type Op =
  | { kind: 'place'; args: PlaceArgs }
  /** Re-send an earlier place_order with the same client_order_id: must return the same order. */
  | { kind: 'resend'; cid: string }
  | { kind: 'cancel'; cid: string; by: 'order_id' | 'client_order_id' }
  | { kind: 'get'; cid: string }
  | { kind: 'list' }
  /** The market trades at `price` (emulator: an external trade of `amount`; paper: the feed's price). */
  | { kind: 'move'; price: string; amount: string };

export interface OpWeights {
  place: number;
  market: number;
  resend: number;
  cancel: number;
  get: number;
  list: number;
  move: number;
}

export const DEFAULT_WEIGHTS: OpWeights = { place: 40, market: 4, resend: 6, cancel: 22, get: 8, list: 5, move: 15 };

export interface OpStreamOptions {
  seed: number;
  /** Prefix of generated client_order_ids (unique per campaign run). */
  prefix: string;
  market?: string; // default btcusd
  /** Start mid price (integer USD). */
  mid?: number;
  weights?: Partial<OpWeights>;
  /** Largest distance of a limit price from the mid, as a fraction (default 0.01). */
  spread?: number;
}

export class OpStream {
  readonly random: Random;
  readonly market: string;
  private readonly weights: OpWeights;
  private readonly spread: number;
  private readonly placed: PlaceArgs[] = [];
  private readonly anchor: number;
  private n = 0;
  mid: number;

  constructor(private readonly opts: OpStreamOptions) {
    this.random = seededRandom(opts.seed);
    this.market = opts.market ?? 'btcusd';
    this.mid = opts.mid ?? 60_000;
    this.anchor = this.mid;
    this.weights = { ...DEFAULT_WEIGHTS, ...opts.weights };
    this.spread = opts.spread ?? 0.01;
  }

  /** Every place_order sent so far (by client_order_id). */
  placedArgs(cid: string): PlaceArgs | undefined {
    return this.placed.find((p) => p.client_order_id === cid);
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  private pickCid(): string | undefined {
    if (this.placed.length === 0) return undefined;
    // Favour recent orders: they are the ones still open.
    const recent = Math.min(this.placed.length, 40);
    const i = this.random() < 0.8 ? this.placed.length - 1 - this.int(0, recent - 1) : this.int(0, this.placed.length - 1);
    return this.placed[i]!.client_order_id;
  }

  private amount(): string {
    return (this.int(1, 20) / 1000).toFixed(3);
  }

  next(): Op {
    const w = this.weights;
    const total = w.place + w.market + w.resend + w.cancel + w.get + w.list + w.move;
    let r = this.random() * total;
    const take = (x: number): boolean => (r -= x) < 0;
    if (take(w.place)) return this.place('limit');
    if (take(w.market)) return this.place('market');
    if (take(w.resend)) {
      const cid = this.pickCid();
      return cid ? { kind: 'resend', cid } : this.place('limit');
    }
    if (take(w.cancel)) {
      const cid = this.pickCid();
      return cid ? { kind: 'cancel', cid, by: this.random() < 0.5 ? 'order_id' : 'client_order_id' } : this.place('limit');
    }
    if (take(w.get)) {
      const cid = this.pickCid();
      return cid ? { kind: 'get', cid } : { kind: 'list' };
    }
    if (take(w.list)) return { kind: 'list' };
    return this.move();
  }

  private place(type: 'limit' | 'market'): Op {
    const side: Side = this.random() < 0.5 ? 'buy' : 'sell';
    const args: PlaceArgs = { market: this.market, side, type, amount: this.amount(), client_order_id: `${this.opts.prefix}-${++this.n}` };
    if (type === 'limit') {
      // 80 % rest away from the market, 20 % cross it (taker fills at placement).
      const away = this.int(1, Math.max(2, Math.round(this.mid * this.spread)));
      const crosses = this.random() < 0.2;
      const dir = (side === 'buy') === crosses ? 1 : -1;
      args.price = String(this.mid + dir * away);
      if (this.random() < 0.1) args.time_in_force = 'ioc';
    }
    this.placed.push(args);
    return { kind: 'place', args };
  }

  /** A random walk of the mid, pulled back towards the start so prices stay within exchange bands. */
  private move(): Op {
    const step = Math.round(this.mid * 0.004 * (this.random() * 2 - 1));
    const pull = Math.round((this.anchor - this.mid) * 0.1);
    this.mid = Math.max(Math.round(this.anchor * 0.9), Math.min(Math.round(this.anchor * 1.1), this.mid + step + pull));
    return { kind: 'move', price: String(this.mid), amount: (this.int(1, 50) / 1000).toFixed(3) };
  }
}
