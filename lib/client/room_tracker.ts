/**
 * What a reconnecting session remembers of the user's rooms across
 * connections: the rooms wanted and the one in use, the newest message seen
 * in each (so a reconnect shows only what was missed), and how to rejoin
 * them on a new connection.
 *
 * @module
 */

import type { MessageEvent, WelcomeEvent } from "../core/events.ts";
import type { ServerFrame } from "../protocol/wire_frames.ts";
import type { RejoinedEvent } from "./session_events.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { foldRoom } from "../core/room_name.ts";

/**
 * Follows the user's nick and rooms from the server's events, across
 * connections. Pure: no socket, no clock.
 */
export class RoomTracker {
  /** The nick the server knows us by (or the one to reconnect with). */
  nick: string;
  /**
   * From a reconnect until the server answered every rejoin: `joined` is a
   * rejoin, and the `parted` of a lobby the user had left is not news.
   */
  rejoining = false;
  /** Rooms we want to be in (display names), in join order. */
  #rooms: string[] = [];
  /** The room in use. */
  #current: string | undefined;
  /** Newest message id seen per room (by folded name), to skip history already shown. */
  readonly #lastMessageIds = new Map<string, number>();

  /**
   * Starts with no rooms.
   *
   * @param nick the nick of the first welcome
   */
  constructor(nick: string) {
    this.nick = nick;
  }

  /** The room in use, as the server named it (undefined before any welcome). */
  get current(): string | undefined {
    return this.#current;
  }

  /** The rooms the user wants to be in, in join order. */
  get rooms(): readonly string[] {
    return this.#rooms;
  }

  /** Whether the user wants to be in `room` (names compared folded). */
  has(room: string): boolean {
    return this.#rooms.some((r) => foldRoom(r) === foldRoom(room));
  }

  /**
   * Follows nick, rooms and message ids from an event of the connection up
   * now (its first welcome included); returns the event to show (with
   * history already shown removed), or undefined to hide it.
   */
  track(event: ServerFrame): ServerFrame | RejoinedEvent | undefined {
    switch (event.type) {
      case "welcome":
      case "joined": {
        if (event.type === "welcome") this.nick = event.nick;
        const fresh = this.#freshHistory(event.room, event.history);
        if (event.type === "joined" && this.rejoining) {
          // Our own rejoin: the rooms we want, and the current one, stay as they were.
          return { ...event, type: "rejoined", history: fresh };
        }
        if (!this.has(event.room)) this.#rooms.push(event.room);
        this.#current = event.room;
        if (fresh.length !== event.history.length) return { ...event, history: fresh };
        return event;
      }
      case "parted":
        // Leaving the lobby the server put us in, for a user who had left it.
        if (this.rejoining) return undefined;
        this.#rooms = this.#rooms.filter((r) => foldRoom(r) !== foldRoom(event.room));
        // A room left is no longer on screen: joining it again shows its history again.
        this.#lastMessageIds.delete(foldRoom(event.room));
        this.#current = event.current;
        return event;
      case "nick":
        if (event.old === this.nick) this.nick = event.new;
        return event;
      case "msg":
        this.#lastMessageIds.set(foldRoom(event.room), event.id);
        return event;
      default:
        return event;
    }
  }

  /**
   * The welcome of a reconnect as a front end should see it: the nick
   * followed, the rooms wanted left as they were, and only the history
   * missed meanwhile; none at all from a lobby the user had left (the
   * server puts every newcomer in it).
   */
  welcomeBack(welcome: WelcomeEvent): WelcomeEvent {
    this.nick = welcome.nick;
    const fresh = this.#freshHistory(welcome.room, welcome.history);
    return { ...welcome, history: this.has(welcome.room) ? fresh : [] };
  }

  /**
   * The frames that put a new connection, which the server placed in
   * `lobby`, back in the rooms wanted, with the one in use current: joins of
   * the others, a part of a lobby the user had left, and the current room
   * joined last (that makes it current on the server too).
   */
  rejoinFrames(lobby: string): ClientFrame[] {
    const foldedLobby = foldRoom(lobby);
    const current = this.#current === undefined ? undefined : foldRoom(this.#current);
    const frames: ClientFrame[] = [];
    const join = (room: string) => frames.push({ type: "cmd", name: "join", args: room });
    for (const room of this.#rooms) {
      const folded = foldRoom(room);
      if (folded !== foldedLobby && folded !== current) join(room);
    }
    if (!this.has(lobby)) frames.push({ type: "cmd", name: "part", args: lobby });
    if (this.#current && (current !== foldedLobby || this.#rooms.length > 1)) join(this.#current);
    return frames;
  }

  /** History newer than what was seen; all of it if the server restarted (ids went back). */
  #freshHistory(room: string, history: MessageEvent[]): MessageEvent[] {
    const folded = foldRoom(room);
    const seen = this.#lastMessageIds.get(folded);
    const newest = history.at(-1)?.id;
    if (newest !== undefined) this.#lastMessageIds.set(folded, Math.max(newest, seen ?? 0));
    if (seen === undefined) return history;
    // A server that lost its history counts from 1 again: nothing it replays
    // can have been seen.
    if (newest !== undefined && newest < seen) {
      this.#lastMessageIds.set(folded, newest);
      return history;
    }
    return history.filter((m) => m.id > seen);
  }
}
