/**
 * The words of the page's model (see `chat_model.ts`): a conversation (a
 * room or a private one), its lines, the connection's state, and how
 * conversations are named and found.
 *
 * @module
 */

import type { MessageKind, SharedFile } from "../core/events.ts";
import { foldRoom } from "../core/room_name.ts";

/** How a line looks: its kind decides its style. */
export type LineKind =
  | "say"
  | "action"
  | "nick_notice"
  | "dm"
  | "notice"
  | "motd"
  | "error"
  | "event"
  | "status"
  | "queued";

/** One line of a conversation. */
export interface ChatLine {
  /** Unique within the page: the key for rendering. */
  key: number;
  kind: LineKind;
  /** Who said it (messages), or who it is about (join, leave, nick). */
  nick?: string;
  text: string;
  /** Server time, ms since the epoch (absent for the page's own lines). */
  ts?: number;
  /** The room's message id (room messages). */
  id?: number;
  /** The user wrote it. */
  own: boolean;
  /** It names the user (and is someone else's). */
  mention: boolean;
  /** Replayed history, not live. */
  history: boolean;
  /** The shared file the message announces (shown as a preview or a card, not as its text). */
  file?: SharedFile;
}

/** A room or a private conversation with one nick. */
export interface Conversation {
  /** `#room` or `@nick`, folded: how the page finds it. */
  key: string;
  /** As shown: `#Room`, or the other nick. */
  name: string;
  kind: "room" | "dm";
  lines: ChatLine[];
  /** Members, sorted as the server sends them (rooms only). */
  members: string[];
  /** The room's topic, shown under its name (absent: none). */
  topic?: string;
  /** The members who are away (absent: none known). */
  away?: string[];
  /** Lines that arrived while it was not shown (or the page was hidden). */
  unread: number;
  /** One of the unread lines names the user (any private message counts). */
  mention: boolean;
  /** The "new messages" marker goes before the line with this key. */
  markerBefore?: number;
  /**
   * Replayed history was just added: the next live message from someone
   * else gets the marker (unless the user speaks first).
   */
  awaitingLive?: boolean;
  /** Whether the server has older messages (undefined: not asked yet). */
  more?: boolean;
  /** A `/history` request for it is on its way. */
  loadingOlder: boolean;
}

/** The connection as the page shows it, always. */
export interface ConnectionState {
  state: "connecting" | "connected" | "offline" | "failed";
  /** In words, for the user. */
  message: string;
  /** Failed because another tab or device joined with the same key. */
  replaced?: boolean;
}

/** A command as the server lists it (`/help`), for completion. */
export interface CommandInfo {
  name: string;
  usage: string;
  help: string;
}

/** Kinds of line that are people's messages (the marker goes before one of these). */
export const MESSAGE_KINDS: ReadonlySet<LineKind> = new Set([
  "say",
  "action",
  "nick_notice",
  "dm",
]);

/**
 * The line kind of a message's kind: a member's notice is `nick_notice`
 * (`notice` is the server's own word to the user); `say` is `fallback`.
 */
export function messageLineKind(kind: MessageKind, fallback: "say" | "dm" = "say"): LineKind {
  return kind === "notice" ? "nick_notice" : kind === "action" ? "action" : fallback;
}

/** Most lines kept per conversation; older ones are dropped from the page. */
export const MAX_LINES = 2000;

/** The key of a room's conversation. */
export function roomKey(room: string): string {
  return foldRoom(room.startsWith("#") ? room : `#${room}`);
}

/** The key of the private conversation with `nick` (nicks fold as room names do). */
export function dmKey(nick: string): string {
  return `@${foldRoom(nick)}`;
}

/** Whether `text` names `nick` as a word (any case). */
export function mentions(text: string, nick: string): boolean {
  if (nick === "") return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escaped}($|[^\\p{L}\\p{N}_])`, "iu").test(text);
}

/** What happened that a notification might tell (see {@linkcode ChatModel.apply}). */
export interface Alert {
  /** The conversation it happened in. */
  key: string;
  title: string;
  body: string;
}
