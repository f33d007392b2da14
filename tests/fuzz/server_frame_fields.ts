/**
 * The server-to-client fuzzer's table of server frames, from
 * docs/protocol.md 3.3: each field of each frame type, what kind of value it
 * holds, whether it may be left out, and which free-text fields line mode
 * prints.
 *
 * @module
 */

/** What kind of value a field of a server frame holds (docs/protocol.md 3.3). */
export type FieldKind =
  | "text"
  | "opaque"
  | "nick"
  | "room"
  | "token"
  | "enum"
  | "count"
  | "time"
  | "positive"
  | "bool"
  | "list"
  | "object"
  /** Read by nobody (a history message's own `type`): any value, or none. */
  | "ignored";

const MESSAGE_FIELDS: Record<string, FieldKind> = {
  "type?": "ignored",
  room: "room",
  id: "count",
  ts: "time",
  from: "nick",
  text: "text",
  kind: "enum",
};

/** Each field of each frame type, by path (`*` is any list index), and its kind; `?` marks optional. */
const SERVER_FIELDS: Record<string, Record<string, FieldKind>> = {
  msg: MESSAGE_FIELDS,
  join: { room: "room", id: "count", ts: "time", nick: "nick" },
  leave: {
    room: "room",
    id: "count",
    ts: "time",
    nick: "nick",
    reason: "enum",
    "message?": "text",
  },
  nick: { ts: "time", old: "nick", new: "nick", rooms: "list", "rooms.*": "room" },
  dm: { ts: "time", from: "nick", to: "nick", text: "text", kind: "enum" },
  welcome: {
    protocol: "count",
    server: "text",
    "motd?": "text",
    nick: "nick",
    room: "room",
    members: "list",
    "members.*": "nick",
    "memberCount?": "count",
    "rateLimit?": "object",
    "rateLimit.rate": "positive",
    "rateLimit.burst": "positive",
    history: "list",
    "history.*": "object",
    ...Object.fromEntries(Object.entries(MESSAGE_FIELDS).map(([k, v]) => [`history.*.${k}`, v])),
  },
  joined: {
    room: "room",
    members: "list",
    "members.*": "nick",
    "memberCount?": "count",
    history: "list",
    "history.*": "object",
    ...Object.fromEntries(Object.entries(MESSAGE_FIELDS).map(([k, v]) => [`history.*.${k}`, v])),
  },
  parted: { room: "room", current: "room" },
  who: { room: "room", members: "list", "members.*": "nick" },
  rooms: { rooms: "list", "rooms.*": "object", "rooms.*.room": "room", "rooms.*.members": "count" },
  history: {
    room: "room",
    messages: "list",
    "messages.*": "object",
    ...Object.fromEntries(Object.entries(MESSAGE_FIELDS).map(([k, v]) => [`messages.*.${k}`, v])),
    more: "bool",
  },
  help: {
    commands: "list",
    "commands.*": "object",
    "commands.*.name": "token",
    "commands.*.usage": "text",
    "commands.*.help": "text",
    "commands.*.op?": "bool",
  },
  challenge: { nonce: "opaque" },
  notice: { message: "text" },
  whois: {
    nick: "nick",
    client: "text",
    "fingerprint?": "text",
    registered: "bool",
    operator: "bool",
    "address?": "text",
    rooms: "list",
    "rooms.*": "room",
  },
  bans: {
    bans: "list",
    "bans.*": "object",
    "bans.*.kind": "enum",
    "bans.*.value": "text",
    "bans.*.nick?": "nick",
    "bans.*.reason?": "text",
    "bans.*.by": "nick",
    "bans.*.ts": "time",
  },
  pong: { "token?": "text" },
  ping: { "token?": "opaque" },
  error: { code: "token", message: "text" },
  bye: { reason: "enum", "code?": "token", message: "text" },
};

/** Free-text fields line mode prints (a second welcome prints only its history). */
export const SHOWN_IN_LINE_MODE = new Set([
  "msg.text",
  "dm.text",
  "leave.message",
  "notice.message",
  "error.message",
  "whois.client",
  "whois.fingerprint",
  "whois.address",
  "bans.bans.*.value",
  "bans.bans.*.reason",
  "help.commands.*.usage",
  "help.commands.*.help",
  "history.messages.*.text",
  "joined.history.*.text",
  "welcome.history.*.text",
  "pong.token",
]);

/** A path as the field tables write it: `history.*.text`. */
export function pathKey(path: (string | number)[]): string {
  return path.map((part) => (typeof part === "number" ? "*" : part)).join(".");
}

/** The kind of the field at `path` of a `type` frame, and whether it may be left out. */
export function fieldOf(
  type: string,
  path: (string | number)[],
): { kind: FieldKind; optional: boolean } {
  const key = pathKey(path);
  const fields = SERVER_FIELDS[type];
  if (fields[key]) return { kind: fields[key], optional: false };
  if (fields[`${key}?`]) return { kind: fields[`${key}?`], optional: true };
  throw new Error(`fuzz oracle: no field ${key} in ${type}`);
}
