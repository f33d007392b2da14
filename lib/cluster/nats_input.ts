/**
 * What a node accepts from NATS. Whoever can publish on `lanchat.>` or
 * write the stream and buckets can put anything there (a rogue route, a
 * leaked password, a bug in another version), so everything a node reads
 * from NATS is checked as the server checks what a client sends, at the
 * one place it enters: names (nicks, rooms, node names) are validated and
 * the value dropped when one is not what a node would have written; free
 * text (messages, topics, reasons, away, server names) is cleaned as a
 * client's is (no escape sequences or controls, CR LF as one line break,
 * bounded lengths); numbers must be finite; objects are rebuilt from the
 * known fields only, so nothing unexpected reaches a client's frame.
 * Each check throws {@linkcode NatsInputError} naming what was wrong; the
 * caller drops the value and reports it (the server logs it, rate-limited: lib/server/cluster_log.ts).
 *
 * Lengths are the largest any node may be configured for (a node cannot
 * know the flags of the node that wrote the value): start every node with
 * the same flags.
 *
 * @module
 */

import { LEAVE_REASONS } from "../core/events.ts";
import type {
  ByeEvent,
  DirectEvent,
  LeaveReason,
  MessageKind,
  RoomTopic,
  SharedFile,
} from "../core/events.ts";
import { cleanFileName } from "../core/file_name.ts";
import type { RoomEvent } from "../core/state/room_log.ts";
import { normalizeNick } from "../core/nick.ts";
import { checkRoomName, foldRoom } from "../core/room_name.ts";
import { cleanLine, excerpt, sanitizeText, unsafeCharacter } from "../core/sanitize.ts";
import {
  cleanMessage,
  MAX_CLIENT_LENGTH,
  MAX_REASON_LENGTH,
  MAX_SERVER_NAME_LENGTH,
} from "../core/hub_options.ts";
import { MAX_AWAY_LENGTH, MAX_TOPIC_LENGTH } from "../core/commands/status.ts";
import type { NickRecord } from "./nick_record.ts";
import type { NodeRecord } from "./cluster_names.ts";

/** Longest nick any node may allow (`--max-nick-length` at most). */
export const MAX_NATS_NICK = 64;
/** Longest message any node may allow (`--max-message-chars` at most). */
export const MAX_NATS_MESSAGE = 100_000;
/** Most lines of a message any node may allow (`--max-message-lines` at most). */
export const MAX_NATS_LINES = 1_000;
/** Longest leave or kick message: "by <operator nick>: " and a reason. */
const MAX_LEAVE_MESSAGE = MAX_REASON_LENGTH + MAX_NATS_NICK + 16;
/** Most rooms a nick record may list, and listeners a node record. */
const MAX_LIST = 1_000;
const MAX_LISTEN = 32;

/** A value from NATS that a node would never have written: dropped. */
export class NatsInputError extends Error {
  /** Names the error. */
  constructor(message: string) {
    super(message);
    this.name = "NatsInputError";
  }
}

function fail(message: string): never {
  throw new NatsInputError(message);
}

type Fields = Record<string, unknown>;

function object(value: unknown, what: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${what}: no object`);
  }
  return value as Fields;
}

/** A time or count: a finite number. */
export function finite(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(`${what}: not a finite number`);
  return value;
}

/** A nick as the nick rules accept it (unchanged by them), at most {@linkcode MAX_NATS_NICK}. */
export function natsNick(value: unknown, what = "nick"): string {
  if (typeof value !== "string") fail(`${what}: not a string`);
  try {
    if (normalizeNick(value, MAX_NATS_NICK) === value) return value;
  } catch (error) {
    fail(`${what}: ${(error as Error).message}`);
  }
  return fail(`${what} "${excerpt(value)}" is not in its normal form`);
}

/** A room name as typed names are checked (unchanged by the check). */
export function natsRoom(value: unknown, what = "room"): string {
  if (typeof value !== "string") fail(`${what}: not a string`);
  try {
    if (checkRoomName(value) === value) return value;
  } catch (error) {
    fail(`${what}: ${(error as Error).message}`);
  }
  return fail(`${what} "${excerpt(value)}" is not in its normal form`);
}

/** A node's name: subject-safe (it goes into `lanchat.node.<node>.<verb>`). */
export function natsNode(value: unknown, what = "node"): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
    fail(`${what}: not a node name`);
  }
  return value;
}

/** One line of free text, cleaned as a client's (cut at `max`). */
function line(value: unknown, max: number, what: string): string {
  if (typeof value !== "string") fail(`${what}: not a string`);
  return cleanLine(value, max);
}

function optionalLine(value: unknown, max: number, what: string): string | undefined {
  return value === undefined ? undefined : line(value, max, what);
}

/** A folded name (a nick's, from a rename): no unsafe character, bounded. */
function folded(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "" || [...value].length > MAX_NATS_NICK * 2) {
    fail(`${what}: not a folded nick`);
  }
  if (unsafeCharacter(value) !== undefined) fail(`${what}: ${unsafeCharacter(value)}`);
  return value;
}

const KINDS: readonly string[] = ["say", "action", "notice"] satisfies MessageKind[];

function kind(value: unknown): MessageKind {
  if (typeof value !== "string" || !KINDS.includes(value)) fail("kind: not say, action or notice");
  return value as MessageKind;
}

function leaveReason(value: unknown): LeaveReason {
  if (typeof value !== "string" || !(LEAVE_REASONS as readonly string[]).includes(value)) {
    fail("reason: unknown");
  }
  return value as LeaveReason;
}

function messageText(value: unknown): string {
  if (typeof value !== "string") fail("text: not a string");
  try {
    return cleanMessage(value, MAX_NATS_MESSAGE, MAX_NATS_LINES);
  } catch (error) {
    return fail(`text: ${(error as Error).message}`);
  }
}

/**
 * The room event a stream message holds (`{ room, body }`, stored under the
 * subject of `folded`), checked and rebuilt, with its `id`.
 *
 * @throws {NatsInputError} when it is no room event a node would have written
 */
export function natsRoomEvent(value: unknown, folded: string, id: number): RoomEvent {
  const stored = object(value, `event ${id}`);
  const room = natsRoom(stored.room);
  if (foldRoom(room) !== folded) fail(`event ${id}: room "${room}" is not its subject's`);
  const body = object(stored.body, `event ${id} body`);
  const ts = finite(body.ts, "ts");
  switch (body.type) {
    case "msg":
      return {
        type: "msg",
        room,
        id,
        ts,
        from: natsNick(body.from, "from"),
        text: messageText(body.text),
        kind: kind(body.kind),
        ...(body.file !== undefined ? { file: natsSharedFile(body.file) } : {}),
      };
    case "join":
      return { type: "join", room, id, ts, nick: natsNick(body.nick) };
    case "leave": {
      const message = optionalLine(body.message, MAX_LEAVE_MESSAGE, "message");
      if (body.code !== undefined && body.code !== "banned") fail("code: unknown");
      return {
        type: "leave",
        room,
        id,
        ts,
        nick: natsNick(body.nick),
        reason: leaveReason(body.reason),
        ...(body.code === "banned" ? { code: "banned" as const } : {}),
        ...(message !== undefined ? { message } : {}),
      };
    }
    case "topic":
      return { type: "topic", room, id, ts, nick: natsNick(body.nick), text: topicText(body.text) };
    default:
      return fail(`event ${id}: unknown type`);
  }
}

/** A file id: 16 random bytes in base64url. */
export const FILE_ID = /^[A-Za-z0-9_-]{22}$/;
/** A media type: `type/subtype`. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/;

/** A byte count: a whole number, at least 0. */
export function natsSize(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    fail(`${what}: not a size`);
  }
  return value;
}

/** A media type as a node stores it (lowercase `type/subtype`). */
export function natsMediaType(value: unknown): string {
  if (typeof value !== "string" || !MEDIA_TYPE.test(value)) fail("type: not a media type");
  return value;
}

/**
 * The `file` of a message (a shared file's announcement), checked: an id
 * as a node makes them, the name cleaned for every file system, a size, a
 * media type, and a link `http(s)://…/f/<id>/…` (to the node it was sent
 * to; every node serves it).
 */
export function natsSharedFile(value: unknown): SharedFile {
  const file = object(value, "file");
  if (typeof file.id !== "string" || !FILE_ID.test(file.id)) fail("file: bad id");
  if (typeof file.name !== "string" || file.name.length > 1_000) fail("file: bad name");
  if (typeof file.url !== "string" || file.url.length > 2_000) fail("file: bad url");
  let url: URL;
  try {
    url = new URL(file.url);
  } catch {
    return fail("file: bad url");
  }
  if (!/^https?:$/.test(url.protocol) || !url.pathname.startsWith(`/f/${file.id}/`)) {
    fail("file: url is not the file's");
  }
  return {
    id: file.id,
    name: cleanFileName(file.name),
    size: natsSize(file.size, "file size"),
    type: natsMediaType(file.type),
    url: url.href,
  };
}

function topicText(value: unknown): string {
  if (typeof value !== "string") fail("topic: not a string");
  const text = sanitizeText(value).trim();
  if ([...text].length > MAX_TOPIC_LENGTH) fail("topic: too long");
  return text;
}

/** A stored topic (`{ text, by, ts }`), checked and cleaned. */
export function natsTopic(value: unknown): RoomTopic {
  const topic = object(value, "topic");
  return { text: topicText(topic.text), by: natsNick(topic.by, "by"), ts: finite(topic.ts, "ts") };
}

/** What another node sends to a member here on `lanchat.node.<node>.dm`. */
export interface NatsDirect {
  /** The folded nick of the member here. */
  to: string;
  /** The node that sent it (its sender is a member there). */
  node: string;
  /** The message: a member's `/msg`, `/me` or `/notice` to a nick. */
  event: DirectEvent;
}

/**
 * A direct message from another node, checked and rebuilt. Only what a
 * member can send (a `dm` event): never a server notice.
 *
 * @throws {NatsInputError} when it is no direct message a node would have sent
 */
export function natsDirect(value: unknown): NatsDirect {
  const message = object(value, "direct message");
  const event = object(message.event, "direct message event");
  if (event.type !== "dm") fail(`direct message: type "${excerpt(String(event.type))}" refused`);
  return {
    to: folded(message.to, "to"),
    node: natsNode(message.node, "node"),
    event: {
      type: "dm",
      ts: finite(event.ts, "ts"),
      from: natsNick(event.from, "from"),
      to: natsNick(event.to, "to"),
      text: messageText(event.text),
      kind: kind(event.kind),
      ...(event.file !== undefined ? { file: natsSharedFile(event.file) } : {}),
    },
  };
}

/** What another node asks on `lanchat.node.<node>.kick`. */
export interface NatsKick {
  /** The folded nick of the member here. */
  to: string;
  /** How it leaves its rooms. */
  reason: LeaveReason;
  /** What its rooms are told. */
  message?: string;
  /** Its goodbye. */
  bye?: ByeEvent;
  /** Whether a ban did it. */
  banned: boolean;
}

/** The goodbyes another node may ask for: an operator's kick or ban, or a nick taken over. */
const KICK_BYES: Record<string, readonly (string | undefined)[]> = {
  kicked: [undefined, "banned"],
  dropped: [undefined, "session_replaced"],
};

/**
 * A kick from another node, checked and rebuilt; its texts cleaned, its
 * goodbye only one of those a node sends.
 *
 * @throws {NatsInputError} when it is no kick a node would have sent
 */
export function natsKick(value: unknown): NatsKick {
  const kick = object(value, "kick");
  const message = optionalLine(kick.message, MAX_LEAVE_MESSAGE, "message");
  let bye: ByeEvent | undefined;
  if (kick.bye !== undefined) {
    const b = object(kick.bye, "bye");
    const codes = typeof b.reason === "string" ? KICK_BYES[b.reason] : undefined;
    if (b.type !== "bye" || !codes) fail("bye: not a kick's");
    if (!codes.includes(b.code as string | undefined)) fail("bye: unknown code");
    bye = {
      type: "bye",
      reason: b.reason as ByeEvent["reason"],
      ...(b.code !== undefined ? { code: b.code as ByeEvent["code"] } : {}),
      message: line(b.message, MAX_LEAVE_MESSAGE, "bye message"),
    };
  }
  return {
    to: folded(kick.to, "to"),
    reason: leaveReason(kick.reason),
    ...(message !== undefined ? { message } : {}),
    ...(bye ? { bye } : {}),
    banned: kick.banned === true,
  };
}

/** The fields of a nick record another node wrote, checked and cleaned: a {@linkcode NickRecord}. */
export type NatsNickFields = NickRecord;

/**
 * A nick record (`LANCHAT_NICKS`), checked and rebuilt: the nick through
 * the nick rules, texts cleaned, `operator` only as `true`.
 *
 * @throws {NatsInputError} when it is no record a node would have written
 */
export function natsNickRecord(value: unknown): NatsNickFields {
  const r = object(value, "nick record");
  if (!Array.isArray(r.rooms) || r.rooms.length > MAX_LIST) fail("rooms: not a list");
  const fingerprint = optionalLine(r.fingerprint, 100, "fingerprint");
  const address = optionalLine(r.address, 100, "address");
  const away = optionalLine(r.away, MAX_AWAY_LENGTH, "away");
  if (r.operator !== undefined && typeof r.operator !== "boolean") fail("operator: no boolean");
  if (r.claiming !== undefined && r.claiming !== true) fail("claiming: not true");
  return {
    node: natsNode(r.node),
    nick: natsNick(r.nick),
    since: finite(r.since, "since"),
    client: typeof r.client === "string" ? cleanLine(r.client, MAX_CLIENT_LENGTH) : fail("client"),
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    ...(address !== undefined ? { address } : {}),
    ...(r.operator === true ? { operator: true } : {}),
    ...(away !== undefined ? { away } : {}),
    rooms: r.rooms.map((room) => natsRoom(room)),
    ...(r.was !== undefined ? { was: folded(r.was, "was") } : {}),
    ...(r.claiming === true ? { claiming: true as const } : {}),
  };
}

/** The fields of a node record (`LANCHAT_NODES`), checked and cleaned: a {@linkcode NodeRecord}. */
export type NatsNodeFields = NodeRecord;

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))[:](\d{1,5})$/;

/**
 * A node record, checked and rebuilt: listeners as `host:port`, the server
 * name and version cleaned, numbers finite (clients a count).
 *
 * @throws {NatsInputError} when it is no record a node would have written
 */
export function natsNodeRecord(value: unknown): NatsNodeFields {
  const r = object(value, "node record");
  if (!Array.isArray(r.listen) || r.listen.length > MAX_LISTEN) fail("listen: not a list");
  const listen = r.listen.map((entry) => {
    const match = typeof entry === "string" ? HOST_PORT.exec(entry) : null;
    if (!match || Number(match[1]) > 65_535) {
      fail(`listen: "${excerpt(String(entry))}" is no host:port`);
    }
    return entry as string;
  });
  const clients = finite(r.clients, "clients");
  if (!Number.isSafeInteger(clients) || clients < 0 || clients > 10_000_000) {
    fail("clients: no count");
  }
  const server = line(r.server, MAX_SERVER_NAME_LENGTH, "server");
  const version = line(r.version, 32, "version");
  return {
    node: natsNode(r.node),
    server,
    listen,
    started: finite(r.started, "started"),
    seen: finite(r.seen, "seen"),
    clients,
    version,
  };
}
