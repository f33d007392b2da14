/**
 * Makes text from one user safe to show on another user's terminal.
 *
 * Every string a peer sends is handled once, where it enters the core, in
 * one of two ways: free text (messages, reasons, the client's name, the
 * server's name and motd) is cleaned with {@linkcode sanitizeText} or
 * {@linkcode cleanLine}; names (nicks, rooms, command words) are validated
 * and refused, never altered, when {@linkcode unsafeCharacter} finds
 * something in them. Values quoted back in an error go through
 * {@linkcode excerpt}, which shows such characters as escapes.
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

// DEL, C1 controls, the bidirectional formatting characters that can reorder what a reader sees,
// and the interlinear annotation marks that can hide text (a character class's inside).
const UNSAFE_BEYOND_C0 = String
  .raw`\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufff9-\ufffb`;

// Those, and the C0 controls but tab and newline.
const UNSAFE_CHARACTERS = new RegExp(String.raw`[\x00-\x08\x0b-\x1f${UNSAFE_BEYOND_C0}]`, "g");

// Text that sanitizing leaves as it is (no controls, no line breaks, nothing beyond ASCII).
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

// Line breaks in any spelling: CR LF, CR, and the Unicode line and paragraph separators.
const LINE_BREAK = /\r\n?|[\u2028\u2029]/g;

/** Options for {@linkcode sanitizeText}. */
export interface SanitizeOptions {
  /** Keep line breaks (as `\n`); otherwise they become spaces. */
  multiline?: boolean;
}

/**
 * Removes control characters, terminal escape sequences and bidirectional
 * overrides; turns tabs into spaces, CRLF/CR (and U+2028, U+2029) into
 * `\n`, and unpaired surrogates into U+FFFD.
 *
 * @example
 * ```ts
 * sanitizeText("hi\x1b[2J there"); // "hi there"
 * ```
 */
export function sanitizeText(text: string, options: SanitizeOptions = {}): string {
  // Most text is printable ASCII, which nothing below changes: one test instead of five passes.
  if (PRINTABLE_ASCII.test(text)) return text;
  let out = text.toWellFormed().replace(LINE_BREAK, "\n").replace(ESCAPE_SEQUENCE, "");
  out = out.replace(/\t/g, " ");
  out = options.multiline ? out : out.replace(/\n/g, " ");
  return out.replace(UNSAFE_CHARACTERS, "");
}

/**
 * One line of free text from a peer (a client's name, a reason), cleaned
 * with {@linkcode sanitizeText}, trimmed, and cut at `max` code points
 * (never inside a surrogate pair).
 *
 * @example
 * ```ts
 * cleanLine(" chat\x1b]0;pwned\x07-client/1.0\r\n", 64); // "chat-client/1.0"
 * ```
 */
export function cleanLine(text: string, max: number): string {
  const clean = sanitizeText(text).trim();
  if (clean.length <= max) return clean;
  return [...clean].slice(0, max).join("").trim();
}

// What a name may never contain: controls (C0, C1, DEL, tab, line breaks),
// invisible formatting characters (bidi controls, zero-width characters,
// the BOM, tags), unpaired surrogates, and the Unicode line separators.
const UNSAFE_IN_NAME = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Describes the first character that has no place in a name (a nick, a
 * room, a command word), or returns undefined when there is none: for
 * refusing such a name with a clear error instead of quietly changing it.
 *
 * @example
 * ```ts
 * unsafeCharacter("ana\x1b[31m"); // "the control character U+001B"
 * unsafeCharacter("ana"); // undefined
 * ```
 */
export function unsafeCharacter(text: string): string | undefined {
  const match = UNSAFE_IN_NAME.exec(text);
  if (!match) return undefined;
  const char = match[0];
  const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  if (/\p{Cs}/u.test(char)) return "an unpaired surrogate";
  if (/\p{Cc}/u.test(char)) return `the control character ${code}`;
  if (/\p{Cf}/u.test(char)) return `the invisible formatting character ${code}`;
  return `the line separator ${code}`;
}

const SHOWN_ESCAPED = new RegExp(UNSAFE_IN_NAME.source, "gu");

// What showUnsafe() escapes: what sanitizeText() removes (tab and LF too), and unpaired surrogates.
const UNSAFE_TO_SHOW = new RegExp(String.raw`[\x00-\x1f${UNSAFE_BEYOND_C0}]|\p{Cs}`, "gu");

/** `char` as an escape (`\x1b`, `\u202e`, `\u{e0001}`). */
function escapeChar(char: string): string {
  const code = char.codePointAt(0)!;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, "0")}`;
  return `\\u{${code.toString(16)}}`;
}

/**
 * `text` with every character that {@linkcode sanitizeText} would remove shown
 * as an escape instead, and nothing else changed (zero-width joiners stay):
 * for a value a protocol must echo back as it came (an IRC numeric's target,
 * a PING token), which is never cleaned where it enters.
 *
 * @example
 * ```ts
 * showUnsafe("#a\x1b[31m"); // "#a\\x1b[31m"
 * ```
 */
export function showUnsafe(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  return text.replace(UNSAFE_TO_SHOW, escapeChar);
}

/**
 * A short, terminal-safe excerpt of user input for quoting it back in an
 * error message: cut at `max` code points (never inside a surrogate pair),
 * with "…" when cut. Controls, invisible formatting characters and unpaired
 * surrogates are shown as escapes (`\x1b`, `\u202e`), so the sender sees
 * what was wrong and no terminal acts on them.
 *
 * @example
 * ```ts
 * excerpt("a\x1b[2Jb"); // "a\\x1b[2Jb"
 * ```
 */
export function excerpt(text: string, max = 40): string {
  const chars = [...text];
  const cut = chars.length > max ? chars.slice(0, max).join("") + "…" : text;
  return cut.replace(SHOWN_ESCAPED, escapeChar);
}
