/**
 * Makes text from one user safe to show on another user's terminal.
 *
 * @module
 */

// ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings
// (ESC ] P X ^ _ ... terminated by BEL or ESC \ or end of text), and the
// two-byte escapes (ESC + one character). C1 forms (U+009B CSI, U+009D OSC, ...)
// are handled the same way so 8-bit terminals see nothing either.
const ESCAPE_SEQUENCE = new RegExp(
  [
    "(?:\\x1b\\[|\\u009b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?",
    "(?:\\x1b[\\]PX^_]|[\\u0090\\u0098\\u009d\\u009e\\u009f])[^\\x07\\x1b\\u009c]*(?:\\x07|\\x1b\\\\|\\u009c)?",
    "\\x1b[\\x20-\\x7e]?",
  ].join("|"),
  "g",
);

// Remaining C0 controls (but tab and newline), DEL, C1 controls, and the
// bidirectional formatting characters that can reorder what a reader sees.
const UNSAFE_CHARACTERS =
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Options for {@linkcode sanitizeText}. */
export interface SanitizeOptions {
  /** Keep line breaks (as `\n`); otherwise they become spaces. */
  multiline?: boolean;
}

/**
 * Removes control characters, terminal escape sequences and bidirectional
 * overrides; turns tabs into spaces, CRLF/CR into `\n`, and unpaired
 * surrogates into U+FFFD.
 *
 * @example
 * ```ts
 * sanitizeText("hi\x1b[2J there"); // "hi there"
 * ```
 */
export function sanitizeText(text: string, options: SanitizeOptions = {}): string {
  let out = text.toWellFormed().replace(/\r\n?/g, "\n").replace(ESCAPE_SEQUENCE, "");
  out = out.replace(/\t/g, " ");
  out = options.multiline ? out : out.replace(/\n/g, " ");
  return out.replace(UNSAFE_CHARACTERS, "");
}

/**
 * A short, terminal-safe excerpt of user input for quoting it back in an
 * error message: sanitised, cut at `max` code points (never inside a
 * surrogate pair), with "…" when cut.
 */
export function excerpt(text: string, max = 40): string {
  const chars = [...sanitizeText(text)];
  return chars.length > max ? chars.slice(0, max).join("") + "…" : chars.join("");
}
