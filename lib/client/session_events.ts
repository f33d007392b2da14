/**
 * What a client session yields to its front ends (line mode, the terminal
 * UI, later a web page): the server's events, checked and cleaned, and the
 * session's own news about its connection.
 *
 * @module
 */

import type { JoinedEvent } from "../core/events.ts";
import type { ServerFrame } from "../protocol/wire_frames.ts";
import type { InvalidFrameEvent } from "./chat_session.ts";

/**
 * After a reconnect, the server's answer to the session rejoining one of the
 * user's rooms (not a `/join` the user typed): the room's members and the
 * messages missed meanwhile. A front end updates the room and stays on the
 * room the user was looking at.
 */
export interface RejoinedEvent extends Omit<JoinedEvent, "type"> {
  /** Not a server frame type: the reconnecting session's own. */
  type: "rejoined";
}

/** A change of the connection, reported between the server's events. */
export interface StatusEvent {
  /** Not a server frame type: the session's own. */
  type: "status";
  /**
   * `offline`: lost, waiting to retry; `connected`: back (a welcome
   * follows); `failed`: gave up; `warning`: something the user should know.
   */
  state: "offline" | "connected" | "failed" | "warning";
  /** What happened, in words for the user. */
  message: string;
  /** For `offline`: when the next attempt starts, in ms from now. */
  retryInMs?: number;
  /** For `offline`: how many attempts failed so far. */
  attempt?: number;
  /** For `connected`: the server it is on now (`host:port`), when it is another than before. */
  host?: string;
  /**
   * For `offline`: the server answered the last attempt, and refused it
   * (its words: `Nick "ana" is taken; try "ana_"`, `Server is full ...`).
   * Absent when the last attempt did not reach it.
   */
  refusal?: string;
  /**
   * For `failed`: a reconnect was refused for good (a changed server
   * certificate, a nick that became invalid); this, not an earlier
   * goodbye, is why the session ended.
   */
  refused?: boolean;
}

/**
 * What a reconnecting session yields: the server's events (checked and
 * cleaned), lines that were not valid frames, and its own status.
 */
export type SessionEvent = ServerFrame | RejoinedEvent | StatusEvent | InvalidFrameEvent;

/** The nick and rooms of a session, as `ReconnectOptions.onRoomsChange` hears them. */
export interface RoomsChange {
  /** The nick the server knows us by. */
  nick: string;
  /** The rooms wanted, in join order. */
  rooms: readonly string[];
  /** The room in use. */
  current?: string;
  /** The server's name, from its first welcome. */
  server: string;
}
