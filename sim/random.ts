/**
 * The simulator's seeded PRNG (mulberry32, same sequence as src/domain/clock.ts seededRandom) with an
 * exposed state, so a persisted paper exchange continues the exact same sequence after a restart.
 */
export class SimRandom {
  private a: number;

  constructor(seedOrState: number) {
    this.a = seedOrState >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  get state(): number {
    return this.a;
  }
}
