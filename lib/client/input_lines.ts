/**
 * Line mode's input: stdin cut into lines, each bounded in bytes.
 *
 * @module
 */

import type { LineModeOutput } from "./line_mode.ts";

/** Longest input line accepted from stdin, in bytes. */
export const MAX_INPUT_LINE_BYTES = 64 * 1024;

/**
 * Input lines of at most `MAX_INPUT_LINE_BYTES`; a longer line is skipped
 * with a notice on stderr and reading goes on.
 */
export async function* inputLines(
  input: AsyncIterable<Uint8Array>,
  output: LineModeOutput,
  onSkip: () => void,
  onWaiting: (waiting: boolean, partial: boolean) => void = () => {},
): AsyncGenerator<string, void, void> {
  const decoder = new TextDecoder();
  let partial: Uint8Array[] = [];
  let size = 0;
  let skipping = false;
  const chunks = input[Symbol.asyncIterator]();
  while (true) {
    // Everything that had arrived is read: say so while waiting for more
    // (and whether a line has begun).
    onWaiting(true, size > 0 || skipping);
    const next = await chunks.next();
    onWaiting(false, false);
    if (next.done) break;
    const chunk = next.value;
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      if (!skipping) {
        size += piece.length;
        if (size > MAX_INPUT_LINE_BYTES) {
          output.err(
            `chat-client: skipped an input line longer than ${MAX_INPUT_LINE_BYTES} bytes`,
          );
          skipping = true;
          onSkip();
          partial = [];
        } else partial.push(piece.slice());
      }
      if (newline === -1) break;
      if (!skipping) {
        yield decoder.decode(joinParts(partial, size)).replace(/\r$/, "");
      }
      partial = [];
      size = 0;
      skipping = false;
      start = newline + 1;
    }
  }
  if (partial.length > 0 && !skipping) {
    yield decoder.decode(joinParts(partial, size)).replace(/\r$/, "");
  }
}

/** The pieces of one input line, as one buffer. */
function joinParts(parts: Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}
