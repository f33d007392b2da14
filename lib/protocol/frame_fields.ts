/**
 * The checks every field of a server frame goes through (see
 * server_frames.ts): a reader per object that accepts a field only with the
 * type and range docs/protocol.md gives it, and the cleaning of every string
 * that may reach a screen.
 *
 * @module
 */

import { excerpt, sanitizeText } from "../core/sanitize.ts";

/** The server sent a line that is not a valid frame. */
export class InvalidFrameError extends Error {
  /** An error whose message is `The server sent an invalid frame: <detail>`. */
  constructor(
    /** What is wrong, e.g. `"ts" of a "msg" frame is 1e+308, not a time`. */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`The server sent an invalid frame: ${detail}`, options);
    this.name = "InvalidFrameError";
  }
}

/** Longest message text or motd kept, in UTF-16 units (the server's own cap is 100,000 characters). */
export const MAX_TEXT_LENGTH = 100_000;
/** Longest one-line text kept (a notice, an error, a reason), in UTF-16 units. */
export const MAX_LINE_LENGTH = 4000;
/** Longest name-like text kept (the server's name, a client name, an address), in UTF-16 units. */
export const MAX_NAME_LENGTH = 200;
/** Longest nick or room name (after the `#`) accepted, in code points. */
const MAX_IDENTIFIER = 64;
/** Latest time a `ts` may name: the end of what `Date` can show. */
const MAX_TIME = 8.64e15;

const NICK = /^[\p{L}\p{N}_][\p{L}\p{N}\p{M}_.\-]*$/u;
const ROOM = /^#[\p{L}\p{N}\p{M}_.\-]+$/u;
/** Machine-readable tokens: error codes, a command's name. */
const TOKEN = /^[a-z0-9_]{1,64}$/;

/** Reads the fields of one (possibly nested) object of a frame, checking each. */
export class Fields {
  constructor(
    readonly raw: Record<string, unknown>,
    readonly type: string,
    readonly path = "",
  ) {}

  fail(field: string, problem: string): never {
    throw new InvalidFrameError(`"${this.path}${field}" of a "${this.type}" frame ${problem}`);
  }

  #value(field: string): unknown {
    const value = this.raw[field];
    if (value === undefined) this.fail(field, "is missing");
    return value;
  }

  #string(field: string): string {
    const value = this.#value(field);
    if (typeof value !== "string") this.fail(field, `is ${describe(value)}, not a string`);
    return value;
  }

  /** A nick: the nick rules' characters, at most 64 of them. */
  nick(field: string): string {
    const value = this.#string(field);
    if (!isNick(value)) this.fail(field, `is "${quote(value)}", not a nick`);
    return value;
  }

  /** A room name: `#` and the nick rules' characters. */
  room(field: string): string {
    const value = this.#string(field);
    if (!isRoom(value)) this.fail(field, `is "${quote(value)}", not a room name`);
    return value;
  }

  /** A code such as `nick_taken`. */
  token(field: string): string {
    const value = this.#string(field);
    if (!TOKEN.test(value)) this.fail(field, `is "${quote(value)}", not a code`);
    return value;
  }

  /** One of `choices`. */
  choice<T extends string>(field: string, choices: readonly T[]): T {
    const value = this.#string(field);
    if (!(choices as readonly string[]).includes(value)) {
      this.fail(field, `is "${quote(value)}", not one of ${choices.join(", ")}`);
    }
    return value as T;
  }

  /** Text shown on one line: cleaned, cut at `max` UTF-16 units. */
  line(field: string, max = MAX_LINE_LENGTH): string {
    return cleanText(this.#string(field), max, false);
  }

  /** Text that may span lines (a message, the motd): cleaned, line breaks kept. */
  text(field: string, max = MAX_TEXT_LENGTH): string {
    return cleanText(this.#string(field), max, true);
  }

  /** A string passed back to the server as it came (a ping's token, a nonce), never shown. */
  opaque(field: string): string {
    const value = this.#string(field);
    if (value.length > 1024) this.fail(field, `is ${value.length} characters long`);
    return value;
  }

  /** A whole number from 0 to 2^53 - 1 (ids, counts). */
  count(field: string): number {
    const value = this.#value(field);
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      this.fail(field, `is ${describe(value)}, not a whole number`);
    }
    return value;
  }

  /** A positive, finite number (a rate). */
  positive(field: string): number {
    const value = this.#value(field);
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > 1e9) {
      this.fail(field, `is ${describe(value)}, not a positive number`);
    }
    return value;
  }

  /** Milliseconds since 1970 that a `Date` can show. */
  time(field: string): number {
    const value = this.#value(field);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_TIME) {
      this.fail(field, `is ${describe(value)}, not a time`);
    }
    return value;
  }

  bool(field: string): boolean {
    const value = this.#value(field);
    if (typeof value !== "boolean") this.fail(field, `is ${describe(value)}, not true or false`);
    return value;
  }

  /** A list whose items `read` checks one by one. */
  list<T>(field: string, read: (item: unknown, at: string) => T): T[] {
    const value = this.#value(field);
    if (!Array.isArray(value)) this.fail(field, `is ${describe(value)}, not a list`);
    return value.map((item, i) => read(item, `${field}[${i}]`));
  }

  nicks(field: string): string[] {
    return this.list(field, (item, at) => {
      if (typeof item !== "string" || !isNick(item)) {
        this.fail(at, `is ${describe(item)}, not a nick`);
      }
      return item;
    });
  }

  rooms(field: string): string[] {
    return this.list(field, (item, at) => {
      if (typeof item !== "string" || !isRoom(item)) {
        this.fail(at, `is ${describe(item)}, not a room name`);
      }
      return item;
    });
  }

  /** The fields of a nested object (an item of a list). */
  object(item: unknown, at: string): Fields {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      this.fail(at, `is ${describe(item)}, not an object`);
    }
    return new Fields(item as Record<string, unknown>, this.type, `${this.path}${at}.`);
  }

  /** Whether the optional `field` is present (undefined and null both mean absent). */
  has(field: string): boolean {
    return this.raw[field] !== undefined && this.raw[field] !== null;
  }
}

/**
 * Cuts `text` to `max` UTF-16 units (never inside a surrogate pair), then
 * cleans it. The Unicode line and paragraph separators count as line breaks:
 * many programs split lines on them.
 */
function cleanText(text: string, max: number, multiline: boolean): string {
  let cut = text;
  if (cut.length > max) {
    const end = /[\ud800-\udbff]/.test(cut[max - 1]) ? max - 1 : max;
    cut = cut.slice(0, end) + "…";
  }
  return cleanWireText(cut, multiline);
}

/**
 * What the client shows of any text from the wire: {@linkcode sanitizeText},
 * with the Unicode line and paragraph separators taken as line breaks (many
 * programs split lines on them), so that one line stays one line.
 */
export function cleanWireText(text: string, multiline = false): string {
  return sanitizeText(text.replace(/[\u2028\u2029]/g, "\n"), { multiline });
}

/** A short excerpt of `text` for an error message, on one line. */
export function quote(text: string): string {
  return excerpt(text.replace(/[\u2028\u2029]/g, " "));
}

/** Whether `value` is a nick a server could have accepted. */
export function isNick(value: string): boolean {
  return NICK.test(value) && [...value].length <= MAX_IDENTIFIER;
}

/** Whether `value` is a room name a server could have accepted. */
export function isRoom(value: string): boolean {
  return ROOM.test(value) && [...value].length <= MAX_IDENTIFIER + 1;
}

/** A short, safe description of a value for an error message. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return `"${quote(value)}"`;
    case "number":
      return String(value);
    case "boolean":
      return String(value);
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}
