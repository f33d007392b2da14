/**
 * Splitting bytes into lines with a cap on the bytes of an unfinished line,
 * enforced before anything is decoded: a line that never ends costs at most
 * the cap.
 *
 * @module
 */

import { ProtocolError } from "./protocol_error.ts";

const LF = 0x0a;
const CR = 0x0d;
/** No unfinished line: one empty array for every reader (never written to). */
const NONE = new Uint8Array(0);

/**
 * Splits a byte stream into lines without ever holding more than `maxBytes`
 * of an unfinished line: the cap applies before any decoding, so an endless
 * line costs at most `maxBytes` of memory.
 *
 * @example
 * ```ts
 * const reader = new LineReader(1024);
 * reader.push(new TextEncoder().encode("hel"));   // []
 * reader.push(new TextEncoder().encode("lo\r\n")); // ["hello"] (as bytes)
 * ```
 */
export class LineReader {
  #partial: Uint8Array = NONE;
  #failed: ProtocolError | undefined;

  /**
   * A reader of lines of at most `maxBytes`.
   *
   * @param maxBytes longest accepted line, excluding the line break
   */
  constructor(readonly maxBytes: number) {}

  /**
   * The error the next {@linkcode LineReader.push} throws: a line passed
   * `maxBytes` after the complete lines the last push returned.
   */
  get failure(): ProtocolError | undefined {
    return this.#failed;
  }

  /** Bytes of an unfinished line held right now. */
  get buffered(): number {
    return this.#partial.length;
  }

  /**
   * Feeds bytes and returns the complete lines they end, without `\n` or a
   * trailing `\r`. The returned arrays may share memory with `chunk`.
   *
   * When a line passes `maxBytes`, the complete lines before it in the same
   * chunk are still returned; the error is then thrown by the next call
   * (call `push(new Uint8Array(0))` to collect it). A chunk whose first line
   * is too long throws at once.
   *
   * @throws {ProtocolError} `line_too_long` (fatal) once a line exceeds `maxBytes`
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed) throw this.#failed;
    const lines: Uint8Array[] = [];
    try {
      this.#split(chunk, lines);
    } catch (error) {
      if (!(error instanceof ProtocolError) || lines.length === 0) throw error;
      this.#failed = error;
    }
    return lines;
  }

  #split(chunk: Uint8Array, lines: Uint8Array[]): void {
    let start = 0;
    let newline = chunk.indexOf(LF);
    while (newline !== -1) {
      let line: Uint8Array;
      if (this.#partial.length > 0) {
        line = concat(this.#partial, chunk.subarray(start, newline));
        this.#partial = NONE;
        if (line.length > 0 && line[line.length - 1] === CR) {
          line = line.subarray(0, line.length - 1);
        }
      } else {
        // One view of the line, without its CR.
        const end = newline > start && chunk[newline - 1] === CR ? newline - 1 : newline;
        line = chunk.subarray(start, end);
      }
      this.#check(line.length);
      lines.push(line);
      start = newline + 1;
      newline = chunk.indexOf(LF, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      // A lone CR at the end may still be the first half of CRLF.
      this.#check(this.#partial.length + rest.length - (rest[rest.length - 1] === CR ? 1 : 0));
      this.#partial = this.#partial.length ? concat(this.#partial, rest) : rest.slice();
    }
  }

  #check(length: number): void {
    if (length > this.maxBytes) {
      this.#partial = NONE;
      throw new ProtocolError(
        "line_too_long",
        `Line is longer than ${this.maxBytes} bytes`,
        { fatal: true },
      );
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
