/**
 * Ends many waits at once, without keeping them. Racing each wait against
 * one long-lived promise (`Promise.race([wait, closed])`) leaves a reaction
 * on `closed` per race, and each reaction keeps its race's result alive
 * until `closed` settles: a connection's whole life, or every chunk of an
 * upload. An {@linkcode Interrupt} forgets each wait once it settles.
 *
 * @module
 */

/** See the module doc. */
export class Interrupt {
  #fired = false;
  /** Only while something waits: a connection's read loop rarely does, and a Set costs ~140 bytes. */
  #waiters: Set<() => void> | undefined;

  /** Whether {@linkcode Interrupt.fire} was called. */
  get fired(): boolean {
    return this.#fired;
  }

  /** Waits not yet settled nor interrupted (what it holds). */
  get waiting(): number {
    return this.#waiters?.size ?? 0;
  }

  /** Ends every wait under way, and every later one at once. */
  fire(): void {
    if (this.#fired) return;
    this.#fired = true;
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters) { for (const wake of waiters) wake(); }
  }

  /**
   * `promise`'s value, or `undefined` once fired; a rejection passes through
   * until then, and is taken (not left unhandled) after.
   */
  wait<T>(promise: Promise<T>): Promise<T | undefined> {
    if (this.#fired) {
      promise.catch(() => {});
      return Promise.resolve(undefined);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const wake = () => resolve(undefined);
      (this.#waiters ??= new Set()).add(wake);
      promise.then(
        (value) => {
          this.#forget(wake);
          resolve(value);
        },
        (error) => {
          this.#forget(wake);
          reject(error);
        },
      );
    });
  }

  #forget(wake: () => void): void {
    const waiters = this.#waiters;
    if (!waiters) return;
    waiters.delete(wake);
    if (waiters.size === 0) this.#waiters = undefined;
  }
}
