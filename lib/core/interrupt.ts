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
  readonly #waiters = new Set<() => void>();

  /** Whether {@linkcode Interrupt.fire} was called. */
  get fired(): boolean {
    return this.#fired;
  }

  /** Waits not yet settled nor interrupted (what it holds). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Ends every wait under way, and every later one at once. */
  fire(): void {
    if (this.#fired) return;
    this.#fired = true;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
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
      this.#waiters.add(wake);
      promise.then(
        (value) => {
          this.#waiters.delete(wake);
          resolve(value);
        },
        (error) => {
          this.#waiters.delete(wake);
          reject(error);
        },
      );
    });
  }
}
