/**
 * Random combinations of the emulator's faults while load runs: every period a new mix of
 * latency, 5xx before/after processing, timeouts after accept, dropped connections, malformed
 * replies, bad signatures, WS drops/duplicates/reordering, rate limiting, plus one-off actions
 * (server-requested reconnect, dropped WS connections, expired WS tokens). Counts every fault that
 * actually fired (the emulator's own counters) and every action.
 */
import type { Random } from '../../src/domain/clock.ts';
import type { BitstampEmulator } from '../bitstamp-emulator/index.ts';
import { defaultFaults, ORDER_ENDPOINTS, type Faults } from '../bitstamp-emulator/faults.ts';

export interface FaultInjectorOptions {
  /** Time between two mixes, ms (uniform). Default [150, 600]. */
  periodMs?: [number, number];
  /** Scale of the probabilities (1 = default mix). */
  intensity?: number;
}

export class FaultInjector {
  private timer: NodeJS.Timeout | undefined;
  private readonly actions: Record<string, number> = {};
  private readonly period: [number, number];
  private readonly k: number;

  constructor(
    private readonly emulator: BitstampEmulator,
    private readonly random: Random,
    opts: FaultInjectorOptions = {},
  ) {
    this.period = opts.periodMs ?? [150, 600];
    this.k = opts.intensity ?? 1;
  }

  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.mix();
      this.timer = setTimeout(tick, this.period[0] + Math.floor(this.random() * (this.period[1] - this.period[0])));
    };
    tick();
  }

  /** Stops mixing and turns every fault off. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.clear();
  }

  clear(): void {
    this.emulator.faults = defaultFaults();
  }

  counts(): Record<string, number> {
    return { ...this.emulator.injected, ...this.actions };
  }

  total(): number {
    return Object.values(this.counts()).reduce((a, b) => a + b, 0);
  }

  private chance(p: number): boolean {
    return this.random() < Math.min(1, p * this.k);
  }

  private act(name: string, fn: () => void): void {
    fn();
    this.actions[name] = (this.actions[name] ?? 0) + 1;
  }

  /** One random mix. Rules use `next` (a few requests) and `rate`, on all or only order endpoints. */
  mix(): void {
    const r = this.random;
    const n = (max: number): number => 1 + Math.floor(r() * max);
    const endpoints = r() < 0.5 ? { endpoints: [...ORDER_ENDPOINTS] } : {};
    const f: Faults = defaultFaults();
    if (this.chance(0.5)) f.latencyMs = Math.floor(r() * 120);
    if (this.chance(0.35)) f.errorBefore = { next: n(3), rate: r() * 0.1, status: [500, 502, 503][Math.floor(r() * 3)]!, ...endpoints };
    if (this.chance(0.3)) f.errorAfter = { next: n(2), rate: r() * 0.05, status: [502, 504][Math.floor(r() * 2)]!, endpoints: [...ORDER_ENDPOINTS] };
    if (this.chance(0.2)) f.timeoutAfterAccept = { next: 1, endpoints: [...ORDER_ENDPOINTS] };
    if (this.chance(0.3)) f.dropBefore = { next: n(2), rate: r() * 0.05, ...endpoints };
    if (this.chance(0.2)) f.malformed = { next: n(2), ...endpoints };
    if (this.chance(0.15)) f.badSignature = { next: 1, ...endpoints };
    if (this.chance(0.6)) f.ws = { dropRate: r() * 0.5, duplicateRate: r() * 0.5, reorderRate: r() * 0.5, muteHeartbeat: false };
    if (this.chance(0.1)) f.rateLimit = { perSecond: 2 + Math.floor(r() * 5), perTenMinutes: 10_000 };
    if (this.chance(0.1)) f.openOrdersCacheMs = 2_000;
    this.emulator.faults = f;
    if (this.chance(0.08)) this.act('request_reconnect', () => this.emulator.requestReconnect());
    if (this.chance(0.06)) this.act('drop_connections', () => this.emulator.dropConnections());
    if (this.chance(0.05)) this.act('expire_tokens', () => this.emulator.expireTokens());
  }
}
