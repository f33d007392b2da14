/**
 * Server-to-client frames as a client receives them: checked and cleaned in
 * one place, before anything of them reaches a screen.
 *
 * A server is a peer like any other: a hostile one, or anyone in the middle of
 * a `--plain` connection, can send any bytes. {@linkcode parseServerFrame}
 * accepts a frame only when every field the client uses has the type and
 * range docs/protocol.md gives it, and returns a fresh object that holds only
 * those fields, with every string cleaned: no control characters, no escape
 * sequences, no bidirectional overrides, no unpaired surrogates, and no line
 * break outside message text and the motd. Nicks and room names must follow
 * the nick and room rules (no spaces, brackets or punctuation that could
 * forge a line), numbers must be finite and in range (a `ts` is a real date).
 *
 * @module
 */

import type {
  BanEntry,
  LeaveReason,
  MessageEvent,
  RoomSnapshot,
  RoomTopic,
} from "../core/events.ts";
import type { ErrorCode, ServerFrame } from "./wire_frames.ts";
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

const LEAVE_REASONS: readonly LeaveReason[] = [
  "part",
  "quit",
  "timeout",
  "dropped",
  "shutdown",
  "kicked",
];
const BYE_REASONS = [
  "quit",
  "shutdown",
  "dropped",
  "full",
  "protocol",
  "timeout",
  "kicked",
  "denied",
] as const;

/**
 * Parses one line from a server (JSON, one frame). Returns the frame,
 * checked and cleaned, or undefined for a blank line or a frame `type` this
 * client does not know (a newer server's; ignored, as the protocol allows).
 *
 * @throws {InvalidFrameError} when the line is not JSON, not an object, or a
 * known frame with a missing or wrong field
 *
 * @example
 * ```ts
 * parseServerFrame('{"type":"notice","message":"hi\\u001b]0;owned\\u0007"}');
 * // { type: "notice", message: "hi" }
 * ```
 */
export function parseServerFrame(line: string): ServerFrame | undefined {
  if (line.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new InvalidFrameError(`not JSON: "${quote(line)}"`, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidFrameError(`not a JSON object: "${quote(line)}"`);
  }
  const raw = value as Record<string, unknown>;
  if (typeof raw.type !== "string") {
    throw new InvalidFrameError(`no "type" in "${quote(line)}"`);
  }
  const parse = PARSERS[raw.type];
  return parse ? parse(new Fields(raw, raw.type)) : undefined;
}

/** Reads the fields of one (possibly nested) object of a frame, checking each. */
class Fields {
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
function quote(text: string): string {
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

function message(f: Fields): MessageEvent {
  return {
    type: "msg",
    room: f.room("room"),
    id: f.count("id"),
    ts: f.time("ts"),
    from: f.nick("from"),
    text: f.text("text"),
    kind: f.choice("kind", ["say", "action", "notice"]),
  };
}

function snapshot(f: Fields): RoomSnapshot {
  const members = f.nicks("members");
  return {
    room: f.room("room"),
    members,
    ...(f.has("memberCount") ? { memberCount: f.count("memberCount") } : {}),
    ...(f.has("away") ? { away: f.nicks("away") } : {}),
    ...(f.has("topic") ? { topic: roomTopic(f.object(f.raw.topic, "topic")) } : {}),
    history: f.list("history", (item, at) => message(f.object(item, at))),
  };
}

function roomTopic(f: Fields): RoomTopic {
  return { text: f.line("text"), by: f.nick("by"), ts: f.time("ts") };
}

function ban(f: Fields): BanEntry {
  return {
    kind: f.choice("kind", ["key", "ip"]),
    value: f.line("value", MAX_NAME_LENGTH),
    ...(f.has("nick") ? { nick: f.nick("nick") } : {}),
    ...(f.has("reason") ? { reason: f.line("reason") } : {}),
    by: f.nick("by"),
    ts: f.time("ts"),
  };
}

/** One reader per frame type of docs/protocol.md (section 3.3). */
const PARSERS: Record<string, (f: Fields) => ServerFrame> = {
  msg: message,
  join: (f) => ({
    type: "join",
    room: f.room("room"),
    id: f.count("id"),
    ts: f.time("ts"),
    nick: f.nick("nick"),
  }),
  leave: (f) => ({
    type: "leave",
    room: f.room("room"),
    id: f.count("id"),
    ts: f.time("ts"),
    nick: f.nick("nick"),
    reason: f.choice("reason", LEAVE_REASONS),
    // A code this client does not know (a newer server's) is left out, not an error.
    ...(f.raw.code === "banned" ? { code: "banned" as const } : {}),
    ...(f.has("message") ? { message: f.line("message") } : {}),
  }),
  nick: (f) => ({
    type: "nick",
    ts: f.time("ts"),
    old: f.nick("old"),
    new: f.nick("new"),
    rooms: f.rooms("rooms"),
  }),
  topic: (f) => ({
    type: "topic",
    room: f.room("room"),
    id: f.count("id"),
    ts: f.time("ts"),
    nick: f.nick("nick"),
    text: f.line("text"), // Empty: the topic was cleared.
  }),
  room_topic: (f) => ({
    type: "room_topic",
    room: f.room("room"),
    ...(f.has("topic") ? { topic: roomTopic(f.object(f.raw.topic, "topic")) } : {}),
  }),
  away: (f) => ({
    type: "away",
    ts: f.time("ts"),
    nick: f.nick("nick"),
    ...(f.has("message") ? { message: f.line("message") } : {}),
    rooms: f.rooms("rooms"),
    ...(f.has("dm") && f.bool("dm") ? { dm: true as const } : {}),
  }),
  dm: (f) => ({
    type: "dm",
    ts: f.time("ts"),
    from: f.nick("from"),
    to: f.nick("to"),
    text: f.text("text"),
    kind: f.choice("kind", ["say", "action", "notice"]),
  }),
  welcome: (f) => {
    const rate = f.has("rateLimit") ? f.object(f.raw.rateLimit, "rateLimit") : undefined;
    return {
      type: "welcome",
      protocol: f.count("protocol"),
      server: f.line("server", MAX_NAME_LENGTH),
      ...(f.has("motd") ? { motd: f.text("motd", MAX_LINE_LENGTH) } : {}),
      nick: f.nick("nick"),
      ...(rate
        ? { rateLimit: { rate: rate.positive("rate"), burst: rate.positive("burst") } }
        : {}),
      ...snapshot(f),
    };
  },
  joined: (f) => ({ type: "joined", ...snapshot(f) }),
  parted: (f) => ({
    type: "parted",
    room: f.room("room"),
    current: f.room("current"),
    ...(f.has("message") ? { message: f.line("message") } : {}),
  }),
  who: (f) => ({
    type: "who",
    room: f.room("room"),
    members: f.nicks("members"),
    ...(f.has("away") ? { away: f.nicks("away") } : {}),
  }),
  rooms: (f) => ({
    type: "rooms",
    rooms: f.list("rooms", (item, at) => {
      const r = f.object(item, at);
      return {
        room: r.room("room"),
        members: r.count("members"),
        ...(r.has("topic") ? { topic: r.line("topic") } : {}),
      };
    }),
  }),
  history: (f) => ({
    type: "history",
    room: f.room("room"),
    messages: f.list("messages", (item, at) => message(f.object(item, at))),
    more: f.bool("more"),
    ...(f.has("query")
      ? { query: f.choice("query", ["after", "around", "between", "latest"] as const) }
      : {}),
  }),
  help: (f) => ({
    type: "help",
    commands: f.list("commands", (item, at) => {
      const c = f.object(item, at);
      return {
        name: c.token("name"),
        usage: c.line("usage", MAX_NAME_LENGTH),
        help: c.line("help"),
        ...(c.has("op") && c.bool("op") ? { op: true as const } : {}),
      };
    }),
  }),
  challenge: (f) => ({ type: "challenge", nonce: f.opaque("nonce") }),
  notice: (f) => ({ type: "notice", message: f.line("message") }),
  whois: (f) => ({
    type: "whois",
    nick: f.nick("nick"),
    client: f.line("client", MAX_NAME_LENGTH),
    ...(f.has("fingerprint") ? { fingerprint: f.line("fingerprint", MAX_NAME_LENGTH) } : {}),
    registered: f.bool("registered"),
    operator: f.bool("operator"),
    ...(f.has("address") ? { address: f.line("address", MAX_NAME_LENGTH) } : {}),
    rooms: f.rooms("rooms"),
    ...(f.has("away") ? { away: f.line("away") } : {}),
  }),
  bans: (f) => ({ type: "bans", bans: f.list("bans", (item, at) => ban(f.object(item, at))) }),
  pong: (f) => ({
    type: "pong",
    ...(f.has("token") ? { token: f.line("token", MAX_NAME_LENGTH) } : {}),
  }),
  ping: (f) => ({ type: "ping", token: f.has("token") ? f.opaque("token") : "" }),
  error: (f) => ({
    type: "error",
    // Codes are open-ended (a newer server may add some); only their form is checked.
    code: f.token("code") as ErrorCode,
    message: f.line("message"),
  }),
  bye: (f) => ({
    type: "bye",
    reason: f.choice("reason", BYE_REASONS),
    ...(f.has("code") ? { code: f.token("code") as ErrorCode } : {}),
    message: f.line("message"),
  }),
};
