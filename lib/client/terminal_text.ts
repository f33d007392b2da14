/**
 * What a terminal client shows of text a server gave outside the chat's
 * frames: the answers to file transfers (an HTTP status line, a header's
 * value, a JSON refusal's message, a file's name). A hostile server, or a
 * machine in the middle of a `--plain` connection, may put escape
 * sequences, controls or bidirectional overrides there; none of them may
 * reach the terminal.
 *
 * @module
 */

import { cleanWireText } from "../protocol/frame_fields.ts";

/** Invisible formatting characters (zero-width ones, bidi marks, the BOM, tags). */
const INVISIBLE = /\p{Cf}/gu;

/**
 * Free text from a server, on one line: cleaned as chat text is (controls,
 * escape sequences and bidi overrides gone), without invisible formatting
 * characters either, trimmed, and cut at `max` code points with "…".
 *
 * @example
 * ```ts
 * serverText("no\x1b]0;pwned\x07 such\u200b file\u202e"); // "no such file"
 * ```
 */
export function serverText(text: string, max = 300): string {
  const clean = cleanWireText(text).replace(INVISIBLE, "").trim();
  const chars = [...clean];
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : clean;
}
