/**
 * The settings of a {@linkcode Hub} and what a client says to enter it, and
 * where a hello's fields are cleaned on their way into the core.
 *
 * @module
 */

import type { AccessStore } from "./state/access_store.ts";
import type { CommandRegistry } from "./command_registry.ts";
import type { HistoryStore } from "./state/history_store.ts";
import type { Member } from "./member.ts";
import type { Presence } from "./state/presence.ts";
import type { MuteStore } from "./state/mute_store.ts";
import type { RoomLog } from "./state/room_log.ts";
import { ChatError } from "./errors.ts";
import { cleanLine, sanitizeText } from "./sanitize.ts";

/** Settings of a {@linkcode Hub}; every field has a default. */
export interface HubOptions {
  /**
   * Shown to everyone on join.
   * @default {"lanchat"}
   */
  serverName?: string;
  /**
   * Message of the day, shown on join.
   * @default {none}
   */
  motd?: string;
  /**
   * Messages of each room replayed to a joiner.
   * @default {50}
   */
  historySize?: number;
  /**
   * Most bytes of messages kept in memory for replay, across all rooms
   * (counted by `messageBytes` of history.ts); past it, the oldest messages of
   * all rooms are dropped from replay first (a store still pages them). Also
   * the bound of the default in-memory store.
   * @default {16 MiB}
   */
  historyMemoryBytes?: number;
  /**
   * Members at once; more are refused with `server_full`.
   * @default {1000}
   */
  maxClients?: number;
  /**
   * Joins and leaves are announced only in rooms of at most this many
   * members, and welcomes list at most this many members: in a room of
   * thousands, every join told to everyone would cost the square of the
   * room's size.
   * @default {200}
   */
  announceLimit?: number;
  /**
   * Joins and leaves announced in one room: `burst` at once, then `rate` a
   * second; past it they are counted, and the room is told how many in one
   * notice when announcing is possible again. `false`: every one.
   * @default {{ rate: 1, burst: 20 }}
   */
  announceRate?: { rate: number; burst: number } | false;
  /**
   * Rooms at once (a room lives while it has members or history).
   * @default {1000}
   */
  maxRooms?: number;
  /**
   * Longest message, in characters after sanitising.
   * @default {4000}
   */
  maxMessageLength?: number;
  /**
   * Most lines in one (multi-line) message.
   * @default {20}
   */
  maxMessageLines?: number;
  /**
   * Longest nick, in code points (at most 64).
   * @default {24}
   */
  maxNickLength?: number;
  /**
   * Messages and commands per member: `rate` per second with bursts of
   * `burst`; after `floodLimit` refusals in quick succession the member is
   * disconnected. `false` turns limiting off (benchmarks).
   * @default {DEFAULT_RATE_LIMIT}
   */
  rateLimit?: RateLimit | false;
  /**
   * Where messages are kept for replay and paging (default: in memory).
   * @default {new MemoryStore()}
   */
  store?: HistoryStore;
  /**
   * Also keep private messages in the store (off by default).
   * @default {false}
   */
  storePrivate?: boolean;
  /**
   * What a new member's welcome says of uploads (issue 18): the server
   * hands each session its upload token here. None: no `files` field.
   */
  welcomeFiles?: (member: Member) => { token: string; maxFileBytes: number } | undefined;
  /**
   * Where nick registrations and bans are kept. Default: `store`, when it
   * is an {@linkcode AccessStore} too (the SQLite store is), else memory.
   */
  access?: AccessStore;
  /**
   * The commands members may type; a front end or an embedding program adds
   * its verbs to it.
   * @default {defaultCommands()}
   */
  commands?: CommandRegistry;
  /**
   * Orders each room's events and numbers them.
   * @default {new LocalRoomLog()}
   */
  roomLog?: RoomLog;
  /**
   * Who is online under which nick.
   * @default {new LocalPresence()}
   */
  presence?: Presence;
  /**
   * Where mutes are kept (a cluster's is shared by every node and kept across restarts).
   * @default {new MemoryMuteStore()}
   */
  mutes?: MuteStore;
  /**
   * Fingerprints (`SHA256:...`) of the operators' keys.
   * @default {none}
   */
  operators?: Iterable<string>;
  /**
   * The clock, in milliseconds since the epoch; tests hand in their own.
   * @default {Date.now}
   */
  now?: () => number;
}

/** What a client says to enter the chat. */
export interface HelloRequest {
  /** The nick asked for, as typed (checked and normalised by the hub). */
  nick: string;
  /** The client software, e.g. `chat-client/0.1.0`. */
  client: string;
  /** Whether the member wants its own room messages echoed back. */
  echo?: boolean;
  /**
   * Whether the client can send files with the welcome's upload token (the
   * text and IRC formats never show it: their welcome has none).
   * @default {true}
   */
  uploads?: boolean;
  /** The fingerprint of the key it proved (the transport checked the proof). */
  fingerprint?: string;
  /** Where it connects from, for bans and mutes (opaque to the core: an IP address). */
  address?: string;
}

/** Per-member rate limit settings. */
export interface RateLimit {
  /** Requests a second, sustained. */
  rate: number;
  /** Requests at once after a quiet spell. */
  burst: number;
  /** Refusals in quick succession after which the member is disconnected. */
  floodLimit: number;
}

/** The default rate limit: 5 per second, bursts of 10, dropped after 20 refusals. */
export const DEFAULT_RATE_LIMIT: RateLimit = { rate: 5, burst: 10, floodLimit: 20 };

/** Longest client name (`hello.client`) kept, in code points; the rest is cut. */
export const MAX_CLIENT_LENGTH = 64;

/** Longest server name kept, in code points. */
export const MAX_SERVER_NAME_LENGTH = 64;

/** Longest `/part`, `/quit`, `/kick` or `/ban` reason kept, in code points. */
export const MAX_REASON_LENGTH = 200;

/**
 * Where a hello enters the core. Every field is listed (the type insists on
 * it, so a field added later must say how it is made safe): free text is
 * cleaned, the nick is left to {@linkcode normalizeNick}, which refuses an
 * unsafe one rather than change it.
 */
const HELLO_FIELDS: { [K in keyof HelloRequest]-?: (value: HelloRequest[K]) => HelloRequest[K] } = {
  nick: (nick) => nick,
  client: (client) => cleanLine(client, MAX_CLIENT_LENGTH) || "unknown",
  echo: (echo) => echo,
  uploads: (uploads) => uploads,
  // Set by the transport, not typed by the peer; cleaned all the same.
  fingerprint: (fingerprint) => fingerprint === undefined ? undefined : cleanLine(fingerprint, 100),
  address: (address) => address === undefined ? undefined : cleanLine(address, 100),
};

/** A hello with every field made safe (see `HELLO_FIELDS`). */
export function cleanHello(hello: HelloRequest): HelloRequest {
  // Field by field rather than through Object.entries (every join cleans
  // its hello twice); the type makes a new field listed here too.
  const fields = HELLO_FIELDS as Record<keyof HelloRequest, (value: unknown) => unknown>;
  const clean: Record<keyof HelloRequest, unknown> = {
    nick: fields.nick(hello.nick),
    client: fields.client(hello.client),
    echo: fields.echo(hello.echo),
    uploads: fields.uploads(hello.uploads),
    fingerprint: fields.fingerprint(hello.fingerprint),
    address: fields.address(hello.address),
  };
  return clean as unknown as HelloRequest;
}

/**
 * A message as it may be sent: cleaned, without leading or trailing blank
 * lines, not empty, at most `maxLength` characters and `maxLines` lines.
 *
 * @throws {ChatError} `empty_message` or `message_too_long`
 */
export function cleanMessage(text: string, maxLength: number, maxLines: number): string {
  const sanitized = sanitizeText(text, { multiline: true });
  // Blank lines can only be cut where the text starts or ends with a newline
  // (most messages do not: no regular expression run for them).
  const clean =
    sanitized.charCodeAt(0) === NEWLINE || sanitized.charCodeAt(sanitized.length - 1) === NEWLINE
      ? sanitized.replace(/^\n+|\n+$/g, "")
      : sanitized;
  if (clean.trim() === "") throw new ChatError("empty_message", "Message is empty");
  // Code points: never more than UTF-16 units, so only a long text needs counting.
  const length = clean.length <= maxLength ? clean.length : codePoints(clean);
  if (length > maxLength) {
    throw new ChatError(
      "message_too_long",
      `Message is ${length} characters long; the limit is ${maxLength}`,
    );
  }
  const lines = lineCount(clean);
  if (lines > maxLines) {
    throw new ChatError("message_too_long", `Message has ${lines} lines; the limit is ${maxLines}`);
  }
  return clean;
}

const NEWLINE = 0x0a;

/** The code points of `text` (a surrogate pair counts once). */
function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** The lines of `text` (without splitting it). */
function lineCount(text: string): number {
  let lines = 1;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) lines++;
  return lines;
}
