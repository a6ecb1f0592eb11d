import type { ManualClock } from '../domain/clock.ts';

/**
 * Timers are injected (like the clock) so tests and backtests can drive in-flight checks and
 * retry backoff deterministically instead of waiting on wall time.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Runs `fn` once after `ms` milliseconds. */
  after(ms: number, fn: () => void): TimerHandle;
}

export const realScheduler: Scheduler = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A scheduler whose time only moves when a test calls advance(); it runs due timers in order. */
export class ManualScheduler implements Scheduler {
  private nowMs = 0;
  private seq = 0;
  private timers: ManualTimer[] = [];

  /** With a clock, advance() moves it by the same amount so timestamps follow scheduled time. */
  constructor(private readonly clock?: ManualClock) {}

  after(ms: number, fn: () => void): TimerHandle {
    const t: ManualTimer = { due: this.nowMs + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Number of timers still waiting. */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, running every timer that falls due (including ones they schedule). */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.clock?.advance(next.due - this.nowMs);
      this.nowMs = next.due;
      next.cancelled = true;
      next.fn();
    }
    this.clock?.advance(target - this.nowMs);
    this.nowMs = target;
  }
}
