/**
 * Telnet negotiation taken out of a text client's bytes (IAC sequences,
 * subnegotiation), so a person on `telnet` types lines like one on `nc`.
 *
 * @module
 */

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const WILL = 0xfb;
const DONT = 0xfe;

/**
 * Removes telnet commands (IAC sequences and subnegotiations) from a byte
 * stream, keeping the state across chunks, so a telnet client can join in
 * text mode. An escaped IAC IAC stays as one 0xFF byte.
 */
export class TelnetFilter {
  #state: "data" | "iac" | "option" | "sub" | "sub_iac" = "data";

  /** Whether `chunk` holds a telnet command (a client at nc never sends one): a filter is due. */
  static startsIn(chunk: Uint8Array): boolean {
    return chunk.indexOf(IAC) !== -1;
  }

  /** Returns `chunk` without telnet commands (the same array when it has none). */
  filter(chunk: Uint8Array): Uint8Array {
    if (this.#state === "data" && chunk.indexOf(IAC) === -1) return chunk;
    const out = new Uint8Array(chunk.length);
    let n = 0;
    for (const byte of chunk) {
      switch (this.#state) {
        case "data":
          if (byte === IAC) this.#state = "iac";
          else out[n++] = byte;
          break;
        case "iac":
          if (byte === IAC) {
            out[n++] = IAC;
            this.#state = "data";
          } else if (byte >= WILL && byte <= DONT) this.#state = "option";
          else if (byte === SB) this.#state = "sub";
          else this.#state = "data";
          break;
        case "option":
          this.#state = "data";
          break;
        case "sub":
          if (byte === IAC) this.#state = "sub_iac";
          break;
        case "sub_iac":
          this.#state = byte === SE ? "data" : "sub";
          break;
      }
    }
    return out.subarray(0, n);
  }
}
