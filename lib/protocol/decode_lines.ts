import { ProtocolError } from "../errors.ts";
import { LineReader } from "./line_reader.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Turns byte chunks into decoded lines, each at most `maxBytes` long. A line
 * of invalid UTF-8 yields a (non-fatal) `bad_utf8` error in its place; an
 * oversized line yields a fatal `line_too_long` error and ends the stream.
 */
export async function* decodeLines(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<string | ProtocolError, void, void> {
  const reader = new LineReader(maxBytes);
  const empty = new Uint8Array(0);
  for await (const chunk of chunks) {
    let lines: Uint8Array[];
    let failure: ProtocolError | undefined;
    try {
      lines = reader.push(chunk);
      // Lines before an oversized one come first; then its error.
      if (lines.length > 0) reader.push(empty);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      lines ??= [];
      failure = error;
    }
    for (const line of lines) {
      try {
        yield decoder.decode(line);
      } catch (cause) {
        yield new ProtocolError("bad_utf8", "Line is not valid UTF-8", { cause });
      }
    }
    if (failure) {
      yield failure;
      return;
    }
  }
}
