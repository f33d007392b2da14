import { createHash, timingSafeEqual } from "node:crypto";

/** Settings of a {@linkcode PasswordGate}; every field has a default. */
export interface PasswordGateOptions {
  /** Delay after the first failure from an IP; it doubles with each further one. */
  baseDelayMs?: number;
  /** The longest delay. */
  maxDelayMs?: number;
  /** An IP's failures are forgotten after this long without a new one. */
  forgetAfterMs?: number;
  /** Most IPs tracked at once (the oldest is forgotten first). */
  maxTracked?: number;
  /** The clock, in ms; tests hand in their own. */
  now?: () => number;
}

/** One IP's recent failures. */
interface Failures {
  count: number;
  last: number;
}

/**
 * The server password check: a constant-time comparison, and a per-IP delay
 * that makes guessing slow. Every answer to an IP with recent failures is
 * held back (right or wrong, so the timing tells nothing): 1 s after one
 * failure, then 2, 4, 8 … up to 30 s. A right password clears the count, and
 * a quiet period forgets it. The gate only says how long to wait; the
 * server waits with a timer, so nobody else is held up.
 *
 * @example
 * ```ts
 * const gate = new PasswordGate("hunter2");
 * const wait = gate.delayFor("192.168.1.9"); // 0 at first
 * if (!gate.check("192.168.1.9", "guess")) console.log("refused; next answer in", gate.delayFor("192.168.1.9"));
 * ```
 */
export class PasswordGate {
  readonly #digest: Buffer;
  readonly #failures = new Map<string, Failures>();
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #forgetAfterMs: number;
  readonly #maxTracked: number;
  readonly #now: () => number;

  constructor(password: string, options: PasswordGateOptions = {}) {
    this.#digest = sha256(password);
    this.#baseDelayMs = options.baseDelayMs ?? 1000;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#forgetAfterMs = options.forgetAfterMs ?? 10 * 60_000;
    this.#maxTracked = options.maxTracked ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** How long to hold back the answer to an attempt from `ip` (ms). */
  delayFor(ip: string): number {
    const failures = this.#recent(ip);
    if (!failures) return 0;
    return Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** Math.min(failures.count - 1, 30));
  }

  /**
   * Compares `given` with the password in constant time (both are hashed
   * first, so even the length does not show), and counts a failure for
   * `ip`, or clears its count on success.
   */
  check(ip: string, given: string | undefined): boolean {
    const ok = given !== undefined && timingSafeEqual(sha256(given), this.#digest);
    if (ok) this.#failures.delete(ip);
    else this.#fail(ip);
    return ok;
  }

  /** Failures counted for `ip` right now (for tests and logs). */
  failures(ip: string): number {
    return this.#recent(ip)?.count ?? 0;
  }

  #recent(ip: string): Failures | undefined {
    const failures = this.#failures.get(ip);
    if (failures && this.#now() - failures.last >= this.#forgetAfterMs) {
      this.#failures.delete(ip);
      return undefined;
    }
    return failures;
  }

  #fail(ip: string): void {
    const count = (this.#recent(ip)?.count ?? 0) + 1;
    // Re-inserted, so the map stays ordered by the latest failure.
    this.#failures.delete(ip);
    this.#failures.set(ip, { count, last: this.#now() });
    if (this.#failures.size > this.#maxTracked) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
