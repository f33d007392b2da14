/**
 * A token bucket: `rate` tokens per second flow in, up to `burst`; each
 * action takes one. The clock is handed in, so it is tested without time.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ rate: 2, burst: 5 }, () => Date.now());
 * if (!bucket.take()) console.log("slow down");
 * ```
 */
export class TokenBucket {
  /** Tokens added a second. */
  readonly rate: number;
  /** Most tokens held. */
  readonly burst: number;
  readonly #now: () => number;
  #tokens: number;
  #updated: number;

  /** A full bucket; `now` is the clock, in milliseconds. */
  constructor(options: { rate: number; burst: number }, now: () => number) {
    this.rate = options.rate;
    this.burst = options.burst;
    this.#now = now;
    this.#tokens = options.burst;
    this.#updated = now();
  }

  /** Tokens available now (fractional). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes one token if there is one; returns whether it could. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token is available (0 if one is). */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.rate) * 1000);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#updated) / 1000;
    this.#updated = now;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.rate);
  }
}
