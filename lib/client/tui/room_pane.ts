/**
 * One room's pane in the terminal UI: its lines, members, unread counts and
 * scroll state, and the few operations that keep them consistent (a line
 * added below a scrolled-up view, a queued line replaced by its echo).
 * Pure data: no terminal, no socket.
 *
 * @module
 */

import { sanitizeText } from "../../core/sanitize.ts";

/** Most lines kept per room in the terminal UI. */
export const MAX_LINES = 5000;

/** How a line is shown. */
export type LineKind =
  | "msg"
  | "action"
  | "nick_notice"
  | "dm"
  | "join"
  | "leave"
  | "notice"
  | "error"
  | "info";

/** One entry of a room's pane. */
export interface ViewLine {
  /** How the line is shown. */
  kind: LineKind;
  /** Server time; absent for local notes. */
  ts?: number;
  /** Who it is from (messages, actions, notices, DMs). */
  nick?: string;
  /** For DMs: the other party and the direction. */
  dm?: { peer: string; outgoing: boolean };
  /** The text, cleaned. */
  text: string;
  /** Written by us. */
  own?: boolean;
  /** Mentions our nick. */
  mention?: boolean;
  /** Replayed from before we joined. */
  history?: boolean;
  /** The room event id, for messages (to ask for older ones). */
  id?: number;
  /** Typed while offline: waiting to be sent (replaced by the message once the server has it). */
  queued?: boolean;
}

/** What the UI holds for one room. */
export interface RoomView {
  /** The room's name, as the server wrote it. */
  name: string;
  /** The pane's lines, oldest first. */
  lines: ViewLine[];
  /** Member nicks, sorted (some only, in a large room). */
  members: string[];
  /** How many members (a large room lists only some in `members`). */
  memberCount: number;
  /** The room's topic, shown in the header (absent: none). */
  topic?: string;
  /** The members known to be away (absent: none). */
  away?: string[];
  /** Messages that arrived while another room was shown. */
  unread: number;
  /** Of those, how many mention us. */
  mentions: number;
  /** Rows scrolled up from the bottom (0: following new messages). */
  scroll: number;
  /**
   * Lines that arrived while scrolled up. They stay below the view, so what
   * the reader looks at does not move.
   */
  hidden: number;
  /** Of those, the messages (for the "N new messages" marker). */
  newBelow: number;
  /** An older page was asked for and has not arrived yet. */
  olderPending?: boolean;
  /** The server has nothing older. */
  atBeginning?: boolean;
}

/** A room pane with nothing in it yet. */
export function emptyRoom(name: string): RoomView {
  return {
    name,
    lines: [],
    members: [],
    memberCount: 0,
    unread: 0,
    mentions: 0,
    scroll: 0,
    hidden: 0,
    newBelow: 0,
  };
}

/**
 * Adds a line at the bottom of `room`, cleaned, keeping at most
 * {@linkcode MAX_LINES}; below a scrolled-up view it is counted as hidden
 * (and as new, for a message), so what the reader looks at does not move.
 */
export function pushLine(room: RoomView, line: ViewLine): void {
  // Server frames are cleaned where they enter the client (server_frames.ts);
  // this is the pane's own guard, for local notes too.
  line.text = clean(line.text, true);
  if (line.nick !== undefined) line.nick = clean(line.nick);
  if (line.dm) line.dm.peer = clean(line.dm.peer);
  room.lines.push(line);
  if (room.lines.length > MAX_LINES) room.lines.splice(0, room.lines.length - MAX_LINES);
  if (room.scroll > 0) {
    room.hidden++;
    const message = line.kind === "msg" || line.kind === "action" || line.kind === "dm" ||
      line.kind === "nick_notice";
    if (message && !line.queued) room.newBelow++;
  }
}

/**
 * Our message `text` reached the room: its queued line goes (the message
 * itself follows), and so do queued lines before it, which the server
 * handled first (each was echoed, or refused with an error line).
 */
export function dropQueuedLine(room: RoomView, text: string): void {
  const index = room.lines.findIndex((l) => l.queued && l.text === clean(text, true));
  if (index === -1) return;
  const firstHidden = room.lines.length - room.hidden;
  const gone = (line: ViewLine, i: number) => i <= index && line.queued === true;
  // Lines that go from below a scrolled-up view are no longer hidden there.
  room.hidden -= room.lines.filter((l, i) => i >= firstHidden && gone(l, i)).length;
  room.lines = room.lines.filter((l, i) => !gone(l, i));
}

/** The id of the oldest message `room` holds (undefined: none). */
export function oldestMessageId(room: RoomView | undefined): number | undefined {
  return room?.lines.find((l) => l.id !== undefined)?.id;
}

/** Never trust the server either: nothing a terminal would interpret. */
export function clean(text: string, multiline = false): string {
  return sanitizeText(text, { multiline });
}
