/**
 * What an IRC connection may send before it is a member, for
 * {@linkcode IrcCodec}: a budget of lines before registration, and the
 * lines read while a hello is on its way (NICK, USER and JOIN in one write;
 * or after `CAP END`), held until the hello is answered. Both are bounded;
 * past a bound the connection ends as a flood.
 *
 * @module
 */

/**
 * Lines held behind a hello on its way, at most: a client pipelining its
 * registration and first commands fits (more than the ~30 commands the
 * default rate limit lets through at once before it drops a member for
 * flooding). Past this the connection ends as a flood: handled at once, the
 * line would be refused 451 after the welcome and out of its order.
 */
const MAX_HELD_LINES = 64;
const MAX_HELD_BYTES = 16 * 1024;
/**
 * Lines a connection may send before it is a member: registration takes a
 * dozen (CAP, SASL chunks, NICK retries); a loop of `CAP LS` is a flood
 * the rate limit, which charges members, does not see yet.
 */
const MAX_EARLY_LINES = 100;

/**
 * One connection's lines before registration; see the module doc. Made by
 * the first line and let go once the member is in and nothing waits.
 */
export class IrcHeldLines {
  /**
   * Lines read while the hello was on its way, oldest first (the bytes of one
   * that is not UTF-8); none most of the time.
   */
  #held: (string | Uint8Array)[] | undefined;
  #heldBytes = 0;
  /** Lines read before registration (see MAX_EARLY_LINES). */
  #early = 0;

  /** Whether lines wait for the hello's answer. */
  get waiting(): boolean {
    return this.#held !== undefined;
  }

  /** Counts a line read before registration: the reason to end the connection past the budget. */
  count(): string | undefined {
    if (++this.#early <= MAX_EARLY_LINES) return undefined;
    return `Excess flood: more than ${MAX_EARLY_LINES} lines before registration`;
  }

  /**
   * Holds `line` until the hello is answered; past the budget, drops every
   * held line and answers the reason to end the connection.
   */
  hold(line: string | Uint8Array): string | undefined {
    const held = this.#held ??= [];
    if (held.length >= MAX_HELD_LINES || this.#heldBytes + line.length > MAX_HELD_BYTES) {
      this.#held = undefined;
      this.#heldBytes = 0;
      return `Excess flood: more than ${MAX_HELD_LINES} lines or ${MAX_HELD_BYTES} bytes` +
        ` sent before registration finished`;
    }
    held.push(line);
    this.#heldBytes += line.length;
    return undefined;
  }

  /** The oldest held line, no longer held; undefined when none waits. */
  next(): string | Uint8Array | undefined {
    const line = this.#held?.shift();
    if (line === undefined) return undefined;
    if (this.#held!.length === 0) this.#held = undefined;
    this.#heldBytes -= line.length;
    return line;
  }
}
