/**
 * Answers held back per address, in the order they came: a wrong password's
 * delay, a join past the join rate. Each waits for the one before it from
 * the same address, so parallel connections from one address cannot skip
 * the line; connections from other addresses never wait.
 *
 * @module
 */

/** Per address, the end of the last turn waiting; see the module doc. */
export class AddressTurns {
  readonly #last = new Map<string, Promise<void>>();

  /** Whether a turn of `ip` is still waiting or running. */
  waiting(ip: string): boolean {
    return this.#last.has(ip);
  }

  /** Runs `task` once every earlier turn of `ip` has ended; resolves (or rejects) with it. */
  after(ip: string, task: () => void | Promise<void>): Promise<void> {
    const turn = (this.#last.get(ip) ?? Promise.resolve()).then(task);
    const done = turn.then(() => {}, () => {});
    this.#last.set(ip, done);
    void done.then(() => {
      if (this.#last.get(ip) === done) this.#last.delete(ip);
    });
    return turn;
  }
}
