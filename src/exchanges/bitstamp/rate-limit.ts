/**
 * Client-side rate limiting within Bitstamp's published limits (400 req/s and 10,000 req / 10 min,
 * BITSTAMP.md §4): two token buckets, both must have a token. The clock is injected.
 */
import type { Clock } from '../../domain/clock.ts';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerMs: number,
    private readonly clock: Clock,
  ) {
    this.tokens = capacity;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.refillPerMs);
    this.last = Math.max(this.last, now);
  }

  /** Milliseconds until one token is available (0 = now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.refillPerMs);
  }

  take(): void {
    this.refill();
    this.tokens -= 1;
  }
}

export interface RateLimitOptions {
  perSecond?: number; // default 360 (90 % of 400, headroom for clock skew)
  perTenMinutes?: number; // default 9,000 (90 % of 10,000)
}

export class BitstampRateLimiter {
  private readonly buckets: TokenBucket[];

  constructor(clock: Clock, opts: RateLimitOptions = {}) {
    const perSecond = opts.perSecond ?? 360;
    const perTen = opts.perTenMinutes ?? 9_000;
    this.buckets = [new TokenBucket(perSecond, perSecond / 1000, clock), new TokenBucket(perTen, perTen / 600_000, clock)];
  }

  /** Takes a token from every bucket if all have one and returns 0; otherwise returns the wait in ms. */
  tryAcquire(): number {
    const wait = Math.max(...this.buckets.map((b) => b.waitMs()));
    if (wait > 0) return wait;
    for (const b of this.buckets) b.take();
    return 0;
  }
}
