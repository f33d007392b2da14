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

import { LEAVE_REASONS } from "../core/events.ts";
import type {
  BanEntry,
  MessageEvent,
  RoomSnapshot,
  RoomTopic,
  SharedFile,
} from "../core/events.ts";
import { cleanFileName } from "../core/file_name.ts";
import type { ErrorCode, ServerFrame } from "./wire_frames.ts";
import {
  Fields,
  InvalidFrameError,
  MAX_LINE_LENGTH,
  MAX_NAME_LENGTH,
  quote,
} from "./frame_fields.ts";

export {
  cleanWireText,
  InvalidFrameError,
  isNick,
  isRoom,
  MAX_LINE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
} from "./frame_fields.ts";

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

function message(f: Fields): MessageEvent {
  return {
    type: "msg",
    room: f.room("room"),
    id: f.count("id"),
    ts: f.time("ts"),
    from: f.nick("from"),
    text: f.text("text"),
    kind: f.choice("kind", ["say", "action", "notice"]),
    ...sharedFile(f),
  };
}

/** A file id as the server makes them: 16 random bytes in base64url. */
const FILE_ID = /^[A-Za-z0-9_-]{22}$/;
/** A media type: `type/subtype`, parameters not kept. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/i;
/** An upload token: what the server hands out, never shown. */
const UPLOAD_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The `file` of a `msg` or `dm` (issue 18), checked: a bad one is dropped,
 * not the message (its text still says what was shared). The name is cleaned
 * for every file system, as the server should have; the url must be
 * `http(s)://.../f/<id>/...`.
 */
function sharedFile(f: Fields): { file?: SharedFile } {
  if (!f.has("file")) return {};
  try {
    const o = f.object(f.raw.file, "file");
    const id = o.opaque("id");
    const url = o.opaque("url");
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (
      !FILE_ID.test(id) || !parsed || !/^https?:$/.test(parsed.protocol) ||
      !parsed.pathname.startsWith(`/f/${id}/`)
    ) return {};
    const type = o.line("type", 200);
    return {
      file: {
        id,
        name: cleanFileName(o.line("name", 1000)),
        size: o.count("size"),
        type: MEDIA_TYPE.test(type) ? type.toLowerCase() : "application/octet-stream",
        url: parsed.href,
      },
    };
  } catch (error) {
    if (error instanceof InvalidFrameError) return {};
    throw error;
  }
}

/** The welcome's `files` (upload token, largest file), or nothing when absent or bad. */
function uploads(f: Fields): { files?: { token: string; maxFileBytes: number } } {
  if (!f.has("files")) return {};
  try {
    const o = f.object(f.raw.files, "files");
    const token = o.opaque("token");
    const maxFileBytes = o.count("maxFileBytes");
    return UPLOAD_TOKEN.test(token) ? { files: { token, maxFileBytes } } : {};
  } catch (error) {
    if (error instanceof InvalidFrameError) return {};
    throw error;
  }
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
    ...sharedFile(f),
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
      ...uploads(f),
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
    ...(f.has("node") ? { node: f.line("node", MAX_NAME_LENGTH) } : {}),
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
