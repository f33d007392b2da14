/**
 * What a command handler may see and do ({@linkcode ChatServices}): find
 * members and rooms, speak in a room, move a member between rooms, ask the
 * stores, read the clock. The {@linkcode Hub} hands handlers this, never
 * itself, so a handler cannot reach membership or rate limiting around it.
 *
 * @module
 */

import type { AccessStore } from "./state/access_store.ts";
import type { CommandRegistry } from "./command_registry.ts";
import type { ByeEvent, LeaveReason, MessageKind } from "./events.ts";
import type { HistoryStore } from "./state/history_store.ts";
import type { Member } from "./member.ts";
import type { Mutes } from "./mutes.ts";
import type { NickClaims } from "./nick_claims.ts";
import type { Room } from "./room.ts";
import type { RoomDirectory } from "./room_directory.ts";
import type { Presence } from "./state/presence.ts";
import { cleanMessage, MAX_REASON_LENGTH } from "./hub_options.ts";
import { cleanLine } from "./sanitize.ts";

/** The hub's state and actions that command handlers use. */
export interface ChatServices {
  /** The commands this hub knows (for `/help`). */
  readonly commands: CommandRegistry;
  /** Who is online under which nick. */
  readonly presence: Presence;
  /** The rooms. */
  readonly rooms: RoomDirectory;
  /** Nick registrations and bans. */
  readonly access: AccessStore;
  /** Messages beyond the replay (for `/history`), and private ones with `storePrivate`. */
  readonly history: HistoryStore;
  /** Whether private messages are kept in the history store. */
  readonly storePrivate: boolean;
  /** Who may not speak. */
  readonly mutes: Mutes;
  /** Who may take which nick. */
  readonly claims: NickClaims;
  /** Longest nick, in code points. */
  readonly maxNickLength: number;
  /** The clock, in ms since the epoch. */
  now(): number;
  /**
   * Says `text` in a room as `member` (a message, a `/me` action or a
   * notice). On a cluster, a promise settled once the room log stored it.
   *
   * @throws {ChatError} `cluster_unavailable` (as the promise's rejection)
   */
  say(member: Member, text: string, room: Room, kind: MessageKind): void | Promise<void>;
  /**
   * A message as it may be sent: cleaned, not empty, within the limits.
   *
   * @throws {ChatError} `empty_message` or `message_too_long`
   */
  cleanMessage(text: string): string;
  /** A reason (`/kick`, `/ban`, `/part`) cleaned to one line of bounded length. */
  cleanReason(reason: string): string;
  /** A `/part` or `/quit` reason as others see it; none from a muted member. */
  leaveReason(member: Member, reason: string | undefined): string | undefined;
  /** Sends a `notice` to one member. */
  notice(member: Member, message: string): void;
  /** Removes a member from every room and the server, telling each room why. */
  leave(member: Member, reason: LeaveReason, message?: string, banned?: boolean): void;
  /**
   * Removes a member (as {@linkcode ChatServices.leave}) and ends its
   * connection with `bye`.
   */
  disconnect(
    member: Member,
    reason: LeaveReason,
    message: string | undefined,
    bye: ByeEvent,
    banned?: boolean,
  ): void;
}

/** What a hub makes its {@linkcode ChatServices} of: its parts and its own actions. */
export interface ChatParts extends
  Pick<
    ChatServices,
    | "commands"
    | "presence"
    | "rooms"
    | "access"
    | "history"
    | "storePrivate"
    | "mutes"
    | "claims"
    | "maxNickLength"
    | "now"
    | "say"
    | "leave"
    | "disconnect"
  > {
  /** Longest message, in characters. */
  maxMessageLength: number;
  /** Most lines in one message. */
  maxMessageLines: number;
}

/** The services a hub hands its command handlers: its parts, and the cleaning rules. */
export function chatServices(parts: ChatParts): ChatServices {
  const { maxMessageLength, maxMessageLines, ...rest } = parts;
  return {
    ...rest,
    cleanMessage: (text) => cleanMessage(text, maxMessageLength, maxMessageLines),
    cleanReason: (reason) => cleanLine(reason, MAX_REASON_LENGTH),
    // A muted member's words reach no one, a leaving reason included.
    leaveReason: (member, reason) =>
      !reason || parts.mutes.until(member) !== undefined
        ? undefined
        : cleanLine(reason, MAX_REASON_LENGTH),
    notice: (member, message) => member.sink.deliver({ type: "notice", message }),
  };
}
