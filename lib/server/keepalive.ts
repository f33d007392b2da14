/**
 * One client's keepalive clock: when to ping it, and when its silence after
 * a ping means it is gone (a half-open TCP connection, a laptop that went
 * to sleep). No timers and no I/O: the session asks it on each sweep.
 *
 * @module
 */

/** What a {@linkcode Keepalive} says on a sweep. */
export type KeepaliveVerdict = "ping" | "timeout" | undefined;

/** See the module doc. */
export class Keepalive {
  /** A request waits on the store (nothing is read meanwhile). */
  #waiting = false;
  /** When the last such wait ended: the client is heard again from then on. */
  #waitEndedAt = 0;
  /** When the current unanswered ping was sent, if one is out. */
  #pingSentAt: number | undefined;

  /**
   * @param intervalMs silent this long, the client is pinged
   * @param timeoutMs after a ping, how long without any answer before it is gone
   */
  constructor(readonly intervalMs: number, readonly timeoutMs: number) {}

  /**
   * While `pending` (a request waiting on the store) is unsettled, nothing is
   * read from the client, so its answer to a ping would go unseen: the wait
   * counts as it being alive.
   */
  waitOn(pending: Promise<unknown>): Promise<void> {
    this.#waiting = true;
    return pending.then(() => {}).finally(() => {
      this.#waiting = false;
      this.#waitEndedAt = performance.now();
    });
  }

  /**
   * At `now` (performance.now() ms), with the client last heard at
   * `lastReceived`: `"ping"` when a ping is due (it counts as sent),
   * `"timeout"` when a ping went unanswered too long, else nothing.
   */
  check(now: number, lastReceived: number): KeepaliveVerdict {
    if (this.#waiting) return;
    const heard = Math.max(lastReceived, this.#waitEndedAt);
    if (this.#pingSentAt !== undefined && heard > this.#pingSentAt) {
      this.#pingSentAt = undefined; // It answered (or said anything at all).
    }
    if (this.#pingSentAt === undefined) {
      if (now - heard < this.intervalMs) return;
      this.#pingSentAt = now;
      return "ping";
    }
    if (now - this.#pingSentAt >= this.timeoutMs) return "timeout";
  }
}
