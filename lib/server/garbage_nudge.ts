/**
 * Asks V8 for a garbage collection after many connections have closed.
 *
 * A closed connection's JavaScript objects are garbage at once, but the
 * native memory behind them (Deno's socket resources, node:tls state, read
 * buffers) is freed only when the collector gets to them, and V8 does not
 * count that memory when it decides when to collect. A connection flooder
 * (20,000 connect/close cycles) then grows the process by tens of MB that
 * are never given back (docs/performance.md, "TLS: what terminates it").
 * With `--expose-gc` (set in the start task) this asks for an asynchronous
 * major collection at most once a second while connections churn; without
 * it, it does nothing.
 *
 * @module
 */

/** Connections closed since the last collection that make it worth one. */
export const NUDGE_AFTER_CLOSED = 64;

type Collect = (options: { type: "major"; execution: "async" }) => void;

/** Call {@linkcode GarbageNudge.tick} about once a second with the count of closed connections. */
export class GarbageNudge {
  readonly #collect: Collect | undefined;
  #seen = 0;

  /** @param collect the collector (`globalThis.gc` by default, absent without `--expose-gc`) */
  constructor(collect: Collect | undefined = (globalThis as { gc?: Collect }).gc) {
    this.#collect = collect;
  }

  /** Whether a collector is available at all. */
  get enabled(): boolean {
    return this.#collect !== undefined;
  }

  /**
   * Collects when at least NUDGE_AFTER_CLOSED connections closed since the
   * last collection; returns whether it did.
   */
  tick(closedSoFar: number): boolean {
    if (!this.#collect || closedSoFar - this.#seen < NUDGE_AFTER_CLOSED) return false;
    this.#seen = closedSoFar;
    this.#collect({ type: "major", execution: "async" });
    return true;
  }
}
