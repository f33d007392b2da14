/**
 * IRC lines as the modern IRC client protocol describes them
 * (`[@tags] [:source] COMMAND [params...] [:trailing]`): parsed into their
 * parts, formatted back within the 512-byte limit, CTCP ACTION recognised,
 * and formatting codes (bold, colour, ...) stripped from what IRC users
 * type. Pure functions, no I/O.
 *
 * @module
 */

import { showUnsafe } from "../core/sanitize.ts";

/** Bytes of a line without its tags, CR LF included (RFC 1459, modern IRC). */
export const MAX_LINE_BYTES = 512;
/** Bytes of a client's tags, the `@` and the space after them included (IRCv3 message-tags). */
export const MAX_CLIENT_TAG_BYTES = 4096;

/** One IRC line, parsed. */
export interface IrcMessage {
  /** The message tags (values unescaped; a tag without value maps to ""). */
  tags: ReadonlyMap<string, string>;
  /** The source (`nick!user@host` or a server name), without the `:`. */
  source?: string;
  /** The command in capitals (`PRIVMSG`), or a numeric (`001`). */
  command: string;
  /** The parameters, the trailing one last and without its `:`. */
  params: string[];
}

/** Why a received line is refused. */
export type IrcLineProblem = "empty" | "too_long" | "tags_too_long";

const encoder = new TextEncoder();

/**
 * Parses one line (without its CR LF). Refuses an empty line, a body over
 * 510 bytes (512 with CR LF) and tags over 4094 bytes.
 *
 * @example
 * ```ts
 * import { parseIrcLine } from "./irc_line.ts";
 * parseIrcLine("PRIVMSG #lobby :hello there");
 * // { tags: Map {}, command: "PRIVMSG", params: ["#lobby", "hello there"] }
 * ```
 */
export function parseIrcLine(line: string): IrcMessage | IrcLineProblem {
  // Read by position (a slice per part, nothing else built per line): every
  // line an IRC client sends goes through here, a flood's PRIVMSGs included.
  const length = line.length;
  let at = 0;
  let tags: ReadonlyMap<string, string> = NO_TAGS;
  if (line.charCodeAt(0) === AT) {
    const end = line.indexOf(" ");
    const raw = end === -1 ? line.slice(1) : line.slice(1, end);
    if (byteLength(raw) + 2 > MAX_CLIENT_TAG_BYTES) return "tags_too_long";
    tags = parseTags(raw);
    at = end === -1 ? length : end + 1;
  }
  at = skipSpaces(line, at);
  // A UTF-16 unit is at most 3 UTF-8 bytes: only a long line is measured.
  if ((length - at) * 3 + 2 > MAX_LINE_BYTES && byteLength(line.slice(at)) + 2 > MAX_LINE_BYTES) {
    return "too_long";
  }
  let source: string | undefined;
  if (line.charCodeAt(at) === COLON) {
    const end = line.indexOf(" ", at);
    source = line.slice(at + 1, end === -1 ? length : end);
    at = end === -1 ? length : skipSpaces(line, end + 1);
  }
  const space = line.indexOf(" ", at);
  const word = line.slice(at, space === -1 ? length : space);
  if (word === "") return "empty";
  const command = isUpperCase(word) ? word : word.toUpperCase();
  at = space === -1 ? length : space + 1;
  const params: string[] = [];
  while (at < length) {
    const code = line.charCodeAt(at);
    if (code === SPACE) {
      at = skipSpaces(line, at);
      continue;
    }
    if (code === COLON) {
      params.push(line.slice(at + 1));
      break;
    }
    const end = line.indexOf(" ", at);
    params.push(line.slice(at, end === -1 ? length : end));
    at = end === -1 ? length : end + 1;
  }
  const message: IrcMessage = { tags, command, params };
  if (source !== undefined) message.source = source;
  return message;
}

const AT = 0x40;
const COLON = 0x3a;
const SPACE = 0x20;
/** The tags of a line without any: one map for them all, never changed (ReadonlyMap). */
const NO_TAGS: ReadonlyMap<string, string> = new Map();

function parseTags(raw: string): ReadonlyMap<string, string> {
  const tags = new Map<string, string>();
  for (const tag of raw.split(";")) {
    if (tag === "") continue;
    const eq = tag.indexOf("=");
    if (eq === -1) tags.set(tag, "");
    else tags.set(tag.slice(0, eq), unescapeTagValue(tag.slice(eq + 1)));
  }
  return tags;
}

/** The position of the first character at or after `at` that is not a space. */
function skipSpaces(line: string, at: number): number {
  while (line.charCodeAt(at) === SPACE) at++;
  return at;
}

/** Whether `word` has no ASCII small letter (most commands: no new string to make). */
function isUpperCase(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const code = word.charCodeAt(i);
    if (code > 0x7f || (code >= 0x61 && code <= 0x7a)) return false;
  }
  return true;
}

/**
 * Formats a line with its CR LF. The last parameter is written as trailing
 * (with `:`) when it must be (empty, has a space, starts with `:`) or when
 * `trailing` asks for it. Tags come first when given.
 */
export function formatIrcLine(
  source: string | undefined,
  command: string,
  params: readonly string[],
  options: { trailing?: boolean; tags?: string } = {},
): string {
  let line = source !== undefined ? `:${source} ${command}` : command;
  // A server's line (no nick!user@host) may echo what a client sent as it came (a numeric's
  // target, a PONG's token, a NAK's caps): its controls and bidi characters are shown escaped.
  const echoes = source !== undefined && !source.includes("!");
  params.forEach((p, i) => {
    const param = echoes ? showUnsafe(p) : p;
    const last = i === params.length - 1;
    const needsColon = param === "" || param.includes(" ") || param.startsWith(":");
    line += last && (needsColon || options.trailing) ? ` :${param}` : ` ${param}`;
  });
  // A UTF-16 unit is at most 3 UTF-8 bytes: only a long line is measured.
  if (line.length * 3 > MAX_LINE_BYTES - 2) line = fitLine(line);
  return (options.tags ? `@${options.tags} ` : "") + line + "\r\n";
}

/**
 * `line` cut at a character to 510 bytes (512 with CR LF): a topic, an away
 * message or a reason set by a text or native client may be 300 characters
 * of 4 bytes each, more than one IRC line holds.
 */
function fitLine(line: string): string {
  return byteLength(line) > MAX_LINE_BYTES - 2 ? splitUtf8(line, MAX_LINE_BYTES - 2)[0] : line;
}

/**
 * Splits `text` into pieces of at most `maxBytes` UTF-8 bytes each, at code
 * point boundaries (a long message becomes several IRC lines).
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (byteLength(text) <= maxBytes) return [text];
  const pieces: string[] = [];
  let piece = "";
  let bytes = 0;
  for (const char of text) {
    const size = byteLength(char);
    if (bytes + size > maxBytes && piece !== "") {
      pieces.push(piece);
      piece = "";
      bytes = 0;
    }
    piece += char;
    bytes += size;
  }
  if (piece !== "") pieces.push(piece);
  return pieces;
}

/** The action of a CTCP ACTION (`\x01ACTION waves\x01`), or undefined for anything else. */
export function ctcpAction(text: string): string | undefined {
  if (text.charCodeAt(0) !== 1) return undefined; // most messages: no regex
  const match = /^\x01ACTION(?: (.*?))?\x01?$/s.exec(text);
  return match ? match[1] ?? "" : undefined;
}

/** Whether `text` is a CTCP request (between \x01 bytes) other than ACTION. */
export function isOtherCtcp(text: string): boolean {
  return text.startsWith("\x01") && ctcpAction(text) === undefined;
}

/** Text as a CTCP ACTION. */
export function toCtcpAction(text: string): string {
  return `\x01ACTION ${text}\x01`;
}

/**
 * IRC formatting removed: bold (\x02), colour (\x03 with up to two digits
 * and an optional comma and two more), hex colour (\x04 with six hex digits
 * and an optional comma and six more), reset (\x0F), monospace (\x11),
 * reverse (\x16), italics (\x1D), strikethrough (\x1E), underline (\x1F).
 * A terminal client never sees them; the words stay.
 *
 * @example
 * ```ts
 * import { stripFormatting } from "./irc_line.ts";
 * stripFormatting("\x02bold\x02 \x0304,12red\x03 text"); // "bold red text"
 * ```
 */
export function stripFormatting(text: string): string {
  if (!FORMATTING.test(text)) return text; // most messages: one scan, nothing to replace
  return text
    .replace(/\x03(?:\d{1,2}(?:,\d{1,2})?)?/g, "")
    .replace(/\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?/g, "")
    .replace(/[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, "");
}

/** Any byte stripFormatting removes or starts a code with. */
// deno-lint-ignore no-control-regex
const FORMATTING = /[\x02-\x04\x0f\x11\x16\x1d\x1e\x1f]/;

/** Escapes a tag value (IRCv3 message-tags: `;`, space, `\`, CR, LF). */
export function escapeTagValue(value: string): string {
  // Most values (a time, a msgid) have nothing to escape: one scan, no new string.
  return TAG_SPECIAL.test(value) ? value.replace(TAG_SPECIALS, escapeTagCharacter) : value;
}

const TAG_SPECIAL = /[\\; \r\n]/;
const TAG_SPECIALS = /[\\; \r\n]/g;

function escapeTagCharacter(c: string): string {
  return TAG_ESCAPES[c];
}

const TAG_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  ";": "\\:",
  " ": "\\s",
  "\r": "\\r",
  "\n": "\\n",
};
const TAG_UNESCAPES: Record<string, string> = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

function unescapeTagValue(value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => TAG_UNESCAPES[c] ?? c);
}

/** UTF-8 length of `text`. */
export function byteLength(text: string): number {
  // Fast path: ASCII is one byte a unit.
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).length;
}

/** The commands whose first line makes a connection an IRC client's. */
const REGISTRATION = ["CAP", "NICK", "USER", "PASS"];
const REGISTRATION_INITIALS = new Set(REGISTRATION.map((word) => word.charCodeAt(0)));

/**
 * Whether a connection's first bytes are an IRC registration command:
 * `CAP`, `NICK`, `USER` or `PASS` in capitals, a space, then a parameter
 * (`"irc"`); cannot be (`"other"`); or might still be (`"more"`). A text
 * client's nick never has a space, so a person whose nick is `NICK` (the
 * line `NICK`) stays a text client.
 */
export function sniffIrcRegistration(bytes: Uint8Array): "irc" | "other" | "more" {
  // Most text clients tell at their first byte: no registration command starts with it.
  if (bytes.length > 0 && !REGISTRATION_INITIALS.has(bytes[0])) return "other";
  const n = Math.min(bytes.length, 6);
  let head = "";
  for (let i = 0; i < n; i++) head += String.fromCharCode(bytes[i]);
  for (const word of REGISTRATION) {
    const full = `${word} `;
    if (head.length <= full.length) {
      if (full.startsWith(head)) return "more";
      continue;
    }
    if (head.startsWith(full)) return /[ \r\n]/.test(head[full.length]) ? "other" : "irc";
  }
  return "other";
}

/**
 * A target of a command: not empty (the core's "current room", which an IRC
 * client cannot see: `PART :` left it) and one word (`TOPIC :#a --clear`
 * must not become the core's flag).
 */
export function isName(name: string): boolean {
  return name !== "" && !WHITESPACE.test(name);
}

/** Made once: a regular expression literal in a function is a new object on every call. */
const WHITESPACE = /\s/;
