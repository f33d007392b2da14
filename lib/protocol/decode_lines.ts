/**
 * Bytes to text lines, bounded: {@linkcode LineDecoder} feeds a
 * `LineReader` and decodes each line as UTF-8, turning a line that is too long
 * or not UTF-8 into its `ProtocolError`; {@linkcode decodeLines} does the same
 * for a stream.
 *
 * @module
 */

import { ProtocolError } from "./protocol_error.ts";
import { LineReader } from "./line_reader.ts";
import { utf8Text } from "./utf8.ts";

/**
 * Turns byte chunks into decoded lines, synchronously (sans I/O): each line
 * at most `maxBytes` long. A line of invalid UTF-8 gives a (non-fatal)
 * `bad_utf8` error in its place; an oversized line gives a fatal
 * `line_too_long` error after the lines before it, and nothing after. A
 * `LineReader` itself rather than an object around one: every connection
 * has a decoder, and a second object is ~40 bytes each.
 */
export class LineDecoder extends LineReader {
  #failed = false;

  /** The lines (or errors) that `chunk` completes. */
  decode(chunk: Uint8Array): (string | ProtocolError)[] {
    if (this.#failed) return [];
    let lines: Uint8Array[] = [];
    let failure: ProtocolError | undefined;
    try {
      lines = this.push(chunk);
      // Lines before an oversized one come first; then its error.
      if (lines.length > 0) failure = this.failure;
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      failure = error;
    }
    // Each line decoded in its place in the array push() made for this call (ours alone): no
    // second array, nor an iterator, per chunk.
    const out = lines as unknown as (string | ProtocolError)[];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      try {
        out[i] = utf8Text(line);
      } catch (cause) {
        out[i] = new ProtocolError("bad_utf8", "Line is not valid UTF-8", { cause, bytes: line });
      }
    }
    if (failure) {
      this.#failed = true;
      out.push(failure);
    }
    return out;
  }
}

/** {@linkcode LineDecoder} over an async stream of chunks (for the client). */
export async function* decodeLines(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<string | ProtocolError, void, void> {
  const lines = new LineDecoder(maxBytes);
  for await (const chunk of chunks) {
    for (const line of lines.decode(chunk)) {
      yield line;
      if (line instanceof ProtocolError && line.fatal) return;
    }
  }
}
