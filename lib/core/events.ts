/**
 * The events the chat core emits to members. They are also most of the
 * server-to-client frames of the native protocol (see docs/protocol.md; the
 * frames only the wire knows, keepalive and the key challenge, are in
 * `lib/protocol/wire_frames.ts`), so a codec either serialises them as JSON or
 * renders them as text.
 *
 * @module
 */

/** Protocol version carried in `hello` and `welcome`. */
export const PROTOCOL_VERSION = 1;

/** Why a member left a room or the server. */
export type LeaveReason = "part" | "quit" | "timeout" | "dropped" | "shutdown" | "kicked";

/** Every {@linkcode LeaveReason}, for checking one read from outside (a frame, NATS). */
export const LEAVE_REASONS: readonly LeaveReason[] = [
  "part",
  "quit",
  "timeout",
  "dropped",
  "shutdown",
  "kicked",
];

/**
 * What a message is: `"say"` a plain message, `"action"` a `/me`, `"notice"`
 * a `/notice` (IRC's NOTICE: shown apart, and never answered automatically,
 * which is how bots avoid answering each other in a loop).
 */
export type MessageKind = "say" | "action" | "notice";

/** A chat message in a room: said, a `/me` action, or a notice. */
export interface MessageEvent {
  /** The frame type, `"msg"`. */
  type: "msg";
  /** The room it was said in, e.g. `#lobby`. */
  room: string;
  /**
   * The event's place in the room's order: it increases with every event of
   * the room. It may skip numbers (a cluster numbers all rooms in one
   * sequence), so compare ids, never count on the next one being `id + 1`.
   */
  id: number;
  /** Server time, milliseconds since the Unix epoch. */
  ts: number;
  /** The sender's nick at the time. */
  from: string;
  /** The message, sanitised; may hold newlines (a multi-line message). */
  text: string;
  /** `"say"` for a plain message, `"action"` for `/me`, `"notice"` for `/notice`. */
  kind: MessageKind;
  /** A shared file this message announces (its `text` is the line text clients show). */
  file?: SharedFile;
}

/**
 * A file shared in a room or a DM (issue 18): what a native client shows
 * and fetches. The `url` is absolute and, where the file is private (a DM,
 * a server with a password), carries the file's capability token.
 */
export interface SharedFile {
  /** The file's id (22 base64url characters). */
  id: string;
  /** Its name, cleaned for every file system. */
  name: string;
  /** Its size in bytes. */
  size: number;
  /** Its media type (a sniffed image type, else what the sender said, else octet-stream). */
  type: string;
  /** Where to fetch it: `https://<host>:<port>/f/<id>/<name>[?k=<token>]`. */
  url: string;
}

/** Someone joined a room. */
export interface JoinEvent {
  /** The frame type, `"join"`. */
  type: "join";
  /** The room joined. */
  room: string;
  /** The room's event id (see {@linkcode MessageEvent.id}). */
  id: number;
  /** Server time, milliseconds since the Unix epoch. */
  ts: number;
  /** Who joined. */
  nick: string;
}

/** Someone left a room, or the server. */
export interface LeaveEvent {
  /** The frame type, `"leave"`. */
  type: "leave";
  /** The room left. */
  room: string;
  /** The room's event id (see {@linkcode MessageEvent.id}). */
  id: number;
  /** Server time, milliseconds since the Unix epoch. */
  ts: number;
  /** Who left. */
  nick: string;
  /** How it left. */
  reason: LeaveReason;
  /**
   * With `kicked`: `banned` when an operator's `/ban` removed it (the
   * member's `bye` carries the same code).
   */
  code?: "banned";
  /** Free text given with `/part` or `/quit`, or the cause of a drop. */
  message?: string;
}

/** Someone (maybe you) changed nick; sent once to them and to everyone who shares a room with them. */
export interface NickEvent {
  /** The frame type, `"nick"`. */
  type: "nick";
  /** Server time, milliseconds since the Unix epoch. */
  ts: number;
  /** The nick before. */
  old: string;
  /** The nick now. */
  new: string;
  /** The rooms of the recipient where the change is visible. */
  rooms: string[];
}

/** A private message; both the sender and the recipient receive it. */
export interface DirectEvent {
  /** The frame type, `"dm"`. */
  type: "dm";
  /** Server time, milliseconds since the Unix epoch. */
  ts: number;
  /** The sender's nick. */
  from: string;
  /** The recipient's nick. */
  to: string;
  /** The message, sanitised. */
  text: string;
  /** `"say"`, `"action"` for `/me` in a private conversation, or `"notice"`. */
  kind: MessageKind;
  /** A shared file this message announces. */
  file?: SharedFile;
}

/** A room's topic: what it is, who set it, when. */
export interface RoomTopic {
  /** The topic, one line, sanitised, at most `MAX_TOPIC_LENGTH` (300) characters. */
  text: string;
  /** The nick that set it, at the time. */
  by: string;
  /** When it was set, milliseconds since the Unix epoch. */
  ts: number;
}

/** Someone set (or, with an empty `text`, cleared) a room's topic; sent to the room. */
export interface TopicEvent {
  /** The frame type, `"topic"`. */
  type: "topic";
  /** The room. */
  room: string;
  /** The room's event id (see {@linkcode MessageEvent.id}). */
  id: number;
  /** Server time, milliseconds since the Unix epoch. */
  ts: number;
  /** Who set it. */
  nick: string;
  /** The new topic; `""` when it was cleared. */
  text: string;
}

/** Answer to `/topic` without text: a room's current topic. */
export interface RoomTopicEvent {
  /** The frame type, `"room_topic"`. */
  type: "room_topic";
  /** The room asked about. */
  room: string;
  /** Its topic; absent when it has none. */
  topic?: RoomTopic;
}

/**
 * Someone (maybe you) went away or came back. Sent once to them and to
 * everyone who shares a room with them; and, with `dm`, to the sender of a
 * private message to an away member (every time, as IRC's 301 is).
 */
export interface AwayEvent {
  /** The frame type, `"away"`. */
  type: "away";
  /** Server time, milliseconds since the Unix epoch. */
  ts: number;
  /** Who. */
  nick: string;
  /** Why they are away; absent: they are back. */
  message?: string;
  /** The rooms of the recipient where it is visible (empty with `dm`). */
  rooms: string[];
  /** Set when this answers a private message you sent to an away member. */
  dm?: true;
}

/** What a member sees of a room it is in. */
export interface RoomSnapshot {
  /** The room, e.g. `#lobby`. */
  room: string;
  /** Member nicks, sorted; in a large room only the first `memberListLimit` of them. */
  members: string[];
  /**
   * How many members the room has (more than `members.length` in a large
   * room). Always sent by this server; clients treat a missing one as
   * `members.length`.
   */
  memberCount?: number;
  /** The listed members who are away (absent: none). */
  away?: string[];
  /** The room's topic, if it has one. */
  topic?: RoomTopic;
  /** The last messages of the room, oldest first. */
  history: MessageEvent[];
}

/** First frame after a successful hello. */
export interface WelcomeEvent extends RoomSnapshot {
  /** The frame type, `"welcome"`. */
  type: "welcome";
  /** The protocol version the server speaks ({@linkcode PROTOCOL_VERSION}). */
  protocol: number;
  /** The server's name, sanitised. */
  server: string;
  /** The message of the day, if the server has one. */
  motd?: string;
  /** The nick the server accepted (normalised). */
  nick: string;
  /**
   * The per-client rate limit, so clients can pace what they send (a script
   * piping a burst of lines waits instead of being refused). Absent: none.
   */
  rateLimit?: { rate: number; burst: number };
  /**
   * Uploads (issue 18): the token this session's uploads carry
   * (`Authorization: Bearer <token>` on `POST /f`), valid while the session
   * lasts, and the largest file taken. Absent: the server takes no files.
   */
  files?: { token: string; maxFileBytes: number };
}

/** You joined a room (answer to `/join`). */
export interface JoinedEvent extends RoomSnapshot {
  /** The frame type, `"joined"`. */
  type: "joined";
}

/** You left a room (answer to `/part`). */
export interface PartedEvent {
  /** The frame type, `"parted"`. */
  type: "parted";
  /** The room you left. */
  room: string;
  /** The room you are now in by default. */
  current: string;
  /** The reason you gave, as the room's `leave` carries it (absent: none, or muted). */
  message?: string;
}

/** Answer to `/who`. */
export interface WhoEvent {
  /** The frame type, `"who"`. */
  type: "who";
  /** The room asked about. */
  room: string;
  /** Every member's nick, sorted. */
  members: string[];
  /** The members who are away (absent: none). */
  away?: string[];
}

/** Answer to `/rooms`. */
export interface RoomsEvent {
  /** The frame type, `"rooms"`. */
  type: "rooms";
  /** Every room, with how many members it has. */
  rooms: { room: string; members: number; topic?: string }[];
}

/** Answer to `/history`: a page of older messages of a room. */
export interface HistoryEvent {
  /** The frame type, `"history"`. */
  type: "history";
  /** The room paged. */
  room: string;
  /** Oldest first; all with ids below the requested one (without `query`). */
  messages: MessageEvent[];
  /**
   * Whether more messages exist past the page's far end: older ones before
   * the first (ask again with its id), or with `after` and a `between` going
   * forward, newer ones after the last. Always false for `around`.
   */
  more: boolean;
  /**
   * The option `/history` was given (`--after` and so on); absent for the
   * first form and `--before`, whose pages go back.
   */
  query?: "after" | "around" | "between" | "latest";
}

/** Answer to `/help`. */
export interface HelpEvent {
  /** The frame type, `"help"`. */
  type: "help";
  /** `op` marks the commands only operators may run (listed only to operators). */
  commands: { name: string; usage: string; help: string; op?: true }[];
}

/** A confirmation or a note for one member (e.g. "Nick \"ana\" is now registered to your key"). */
export interface NoticeEvent {
  /** The frame type, `"notice"`. */
  type: "notice";
  /** The note, one line or several. */
  message: string;
}

/** Answer to `/whois`. */
export interface WhoisEvent {
  /** The frame type, `"whois"`. */
  type: "whois";
  /** The nick asked about. */
  nick: string;
  /** The client software it named in its hello. */
  client: string;
  /** Its key's fingerprint, when it proved one. */
  fingerprint?: string;
  /** Whether its nick is registered (to its key). */
  registered: boolean;
  /** Whether its key is one of the server's operators. */
  operator: boolean;
  /** Its IP address: shown to operators only. */
  address?: string;
  /** The node of a cluster it is connected to: on a cluster, shown to operators only. */
  node?: string;
  /** The rooms it is in. */
  rooms: string[];
  /** Its away message, when it is away. */
  away?: string;
}

/** A ban: a key (by fingerprint) or an IP address refused at the door. */
export interface BanEntry {
  /** What is banned: a key or an address. */
  kind: "key" | "ip";
  /** `SHA256:...` or an IP address. */
  value: string;
  /** The nick it had when banned. */
  nick?: string;
  /** Why, as the operator said. */
  reason?: string;
  /** The operator who banned it. */
  by: string;
  /** When, milliseconds since the Unix epoch. */
  ts: number;
}

/** Answer to `/bans` (operators only). */
export interface BansEvent {
  /** The frame type, `"bans"`. */
  type: "bans";
  /** Every ban in force, oldest first. */
  bans: BanEntry[];
}

/** A request failed; only its sender sees this. */
export interface ErrorEvent<Code extends string = ChatErrorCode> {
  /** The frame type, `"error"`. */
  type: "error";
  /** Stable, machine-readable code (see docs/protocol.md). */
  code: Code;
  /** Human-readable explanation. */
  message: string;
}

/** The server ends the connection; the socket closes right after. */
export interface ByeEvent<Code extends string = ChatErrorCode> {
  /** The frame type, `"bye"`. */
  type: "bye";
  /**
   * `kicked`: an operator's /kick or /ban; `denied`: refused at the door
   * (wrong password, banned, bad key proof).
   */
  reason: "quit" | "shutdown" | "dropped" | "full" | "protocol" | "timeout" | "kicked" | "denied";
  /** For an error that ended the connection: its code (e.g. `send_queue_exceeded`). */
  code?: Code;
  /** Why, in words for a person. */
  message: string;
}

/** Every event a member can receive. */
export type ChatEvent =
  | MessageEvent
  | JoinEvent
  | LeaveEvent
  | NickEvent
  | DirectEvent
  | TopicEvent
  | RoomTopicEvent
  | AwayEvent
  | WelcomeEvent
  | JoinedEvent
  | PartedEvent
  | WhoEvent
  | RoomsEvent
  | HelpEvent
  | HistoryEvent
  | NoticeEvent
  | WhoisEvent
  | BansEvent
  | ErrorEvent
  | ByeEvent;

/**
 * Stable codes of the errors the chat core raises (the wire adds its own, for
 * bytes, handshakes and connections: `ErrorCode` in
 * `lib/protocol/wire_frames.ts`).
 */
export type ChatErrorCode =
  | "bad_nick"
  | "nick_taken"
  | "bad_room"
  | "too_many_rooms"
  | "not_in_room"
  | "no_such_nick"
  | "unknown_command"
  | "bad_args"
  | "empty_message"
  | "message_too_long"
  | "server_full"
  | "rate_limited"
  | "store_error"
  | "flooding"
  | "banned"
  | "nick_registered"
  | "key_required"
  | "not_operator"
  | "muted"
  | "session_replaced"
  | "cluster_unavailable";
