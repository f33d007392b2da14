/**
 * The fuzzers' randomness: a seeded PRNG, draws over it, and a seed per
 * case, so that any case replays alone from the run's seed and its number.
 *
 * @module
 */

/** mulberry32: a tiny 32-bit PRNG; the same seed gives the same stream everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Convenience draws over {@linkcode mulberry32}. */
export class Random {
  readonly #next: () => number;

  /** Draws from the stream of `seed`. */
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** An integer in [low, high]. */
  range(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.#next() < p;
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): number[] {
    return Array.from({ length: n }, () => this.int(256));
  }
}

/** Each case draws from its own stream, so any case replays without the ones before it. */
export function caseSeed(seed: number, index: number): number {
  return Math.floor(mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0)() * 2 ** 32);
}
