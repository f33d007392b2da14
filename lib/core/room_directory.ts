/**
 * The rooms of a hub: their names, creation (bounded by `maxRooms`, history
 * loaded from the store), who is in which, the join and leave announcements,
 * and the one path every room event takes ({@linkcode RoomDirectory.emit}).
 *
 * @module
 */

import { ChatError } from "./errors.ts";
import type { Announcements } from "./announcements.ts";
import type { AwayEvent, LeaveReason, MessageEvent, RoomSnapshot } from "./events.ts";
import type { HistoryBudget } from "./history.ts";
import type { HistoryStore } from "./state/history_store.ts";
import type { RoomEvent, RoomEventBody, RoomLog } from "./state/room_log.ts";
import type { Member } from "./member.ts";
import { Room } from "./room.ts";
import { foldRoom, roomKey } from "./room_name.ts";
import { excerpt } from "./sanitize.ts";

/** The room everyone starts in. */
export const LOBBY = "#lobby";

/**
 * Most members a welcome or joined snapshot lists (the rest are counted in
 * `memberCount`; `/who` lists everyone).
 */
export const MEMBER_LIST_LIMIT = 100;

/** What a {@linkcode RoomDirectory} is built from. */
export interface RoomDirectoryOptions {
  /** Rooms at once. */
  maxRooms: number;
  /** Messages of each room replayed to a joiner. */
  historySize: number;
  /** Joins and leaves are announced only in rooms of at most this many members. */
  announceLimit: number;
  /** The rate of join and leave announcements. */
  announcements: Announcements;
  /** Where messages are kept beyond the replay. */
  store: HistoryStore;
  /** The bound on every room's replay history. */
  budget: HistoryBudget<MessageEvent>;
  /** Orders each room's events. */
  log: RoomLog;
  /** The clock. */
  now: () => number;
  /** Told when a member enters or leaves a room (a shared presence publishes it). */
  changed?: (member: Member) => void;
}

/** The rooms of one hub, by folded name. */
export class RoomDirectory {
  readonly #rooms = new Map<string, Room>();
  readonly #options: RoomDirectoryOptions;

  /** Rooms made with `options`. */
  constructor(options: RoomDirectoryOptions) {
    this.#options = options;
    options.log.listen((event, folded, origin) => this.#deliver(event, folded, origin));
  }

  /** Looks a room up by name, ignoring case. */
  find(name: string): Room | undefined {
    return this.#rooms.get(foldRoom(name));
  }

  /** How many rooms there are. */
  get size(): number {
    return this.#rooms.size;
  }

  /** Every room. */
  all(): Iterable<Room> {
    return this.#rooms.values();
  }

  /** Forgets every room (shutdown). */
  clear(): void {
    this.#rooms.clear();
  }

  /**
   * The room a member's request is for: `roomName`, which it must be in, or
   * its current room.
   *
   * @throws {ChatError} `not_in_room`, or `bad_room` for a bad name
   */
  target(member: Member, roomName?: string): Room {
    if (roomName === undefined) {
      if (!member.current) throw new ChatError("not_in_room", "You are not in any room");
      return member.current;
    }
    const room = member.rooms.get(roomKey(roomName));
    if (!room) {
      throw new ChatError("not_in_room", `You are not in "${excerpt(roomName)}"; /join it first`);
    }
    return room;
  }

  /**
   * The room called `name` (a checked name), made if new.
   *
   * @throws {ChatError} `too_many_rooms` when there are `maxRooms`
   */
  open(name: string): Room {
    const folded = foldRoom(name);
    let room = this.#rooms.get(folded);
    if (room) return room;
    const { maxRooms, historySize, store, budget, now } = this.#options;
    if (this.#rooms.size >= maxRooms) {
      throw new ChatError(
        "too_many_rooms",
        `There are already ${maxRooms} rooms; join one of them`,
      );
    }
    let stored;
    try {
      stored = store.load(folded, historySize);
    } catch {
      // The store cannot be read: the room starts without replay. Its ids
      // would restart, so they continue from the clock instead (still
      // increasing, never reused).
      stored = { lastId: now(), messages: [] };
    }
    room = new Room(name, folded, historySize, stored, budget);
    this.#options.log.open(folded, stored.lastId);
    this.#rooms.set(folded, room);
    return room;
  }

  /** Puts a member in a room (not announced: see {@linkcode announceJoin}). */
  enter(member: Member, room: Room): void {
    room.add(member);
    member.rooms.set(room.foldedName, room);
    this.#options.changed?.(member);
  }

  /**
   * Takes a member out of a room without announcing it (a member of another
   * node, whose node announces it), and forgets an empty room without history.
   */
  withdraw(member: Member, room: Room): void {
    // Its node announces the leave in a room that announced it (`exit`: counted with the
    // leaver): listed here until that comes.
    const announced = member.remote !== undefined && this.announces(room);
    room.remove(member);
    if (announced) room.withdrawnAhead(member.nick);
    member.rooms.delete(room.foldedName);
    if (member.current === room) member.current = [...member.rooms.values()].at(-1);
    this.#forgetIfEmpty(room);
  }

  /** Tells a room that `member` joined, if the room is small enough and within its rate. */
  announceJoin(room: Room, member: Member): void {
    const { announceLimit, announcements, now } = this.#options;
    if (room.members.size > announceLimit || !announcements.may(room, "join")) return;
    this.emit(room, { type: "join", ts: now(), nick: member.nick }, member);
  }

  /** Takes a member out of a room, tells the room why, and forgets an empty room without history. */
  exit(member: Member, room: Room, reason: LeaveReason, message?: string, banned = false): void {
    const { announceLimit, announcements, now } = this.#options;
    room.remove(member);
    member.rooms.delete(room.foldedName);
    this.#options.changed?.(member);
    if (room.members.size < announceLimit && announcements.may(room, "leave")) {
      this.emit(room, {
        type: "leave",
        ts: now(),
        nick: member.nick,
        reason,
        ...(banned ? { code: "banned" as const } : {}),
        ...(message ? { message } : {}),
      });
    }
    this.#forgetIfEmpty(room);
  }

  /**
   * An empty room without history is forgotten; one with history stays so a
   * later joiner still gets the replay.
   */
  #forgetIfEmpty(room: Room): void {
    if (room.members.size === 0 && room.history.size === 0 && room.name !== LOBBY) {
      this.#rooms.delete(room.foldedName);
      this.#options.log.close(room.foldedName);
    }
  }

  /** What a joiner is shown of a room: members (at most a page), their count, the replay. */
  snapshot(room: Room): RoomSnapshot {
    return this.snapshotInto(room, {});
  }

  /**
   * {@linkcode RoomDirectory.snapshot}'s fields added to `frame`, after the
   * fields it has, in the snapshot's order (native clients see the order):
   * a welcome or `joined` is one object, not a spread of a snapshot made
   * for it (every join makes one).
   */
  snapshotInto<T extends object>(room: Room, frame: T): T & RoomSnapshot {
    const members = room.nicks(Math.min(this.#options.announceLimit, MEMBER_LIST_LIMIT));
    const snapshot = frame as T & RoomSnapshot;
    snapshot.room = room.name;
    snapshot.members = members;
    snapshot.memberCount = room.size;
    if (room.away.size !== 0) {
      const away = room.awayNicks(members);
      if (away.length > 0) snapshot.away = away;
    }
    if (room.topic) snapshot.topic = room.topic;
    snapshot.history = room.history.last();
    return snapshot;
  }

  /** Whether a room is small enough for joins, leaves and away changes to be announced. */
  announces(room: Room): boolean {
    return room.members.size <= this.#options.announceLimit;
  }

  /**
   * Marks a member away (a message) or back (undefined) in its rooms, and
   * tells its room-mates here in rooms that announce, and itself with
   * `self`. Members of other nodes are not told: their own node tells them.
   */
  setAway(member: Member, message: string | undefined, ts: number, self: boolean): void {
    const peers = new Map<Member, string[]>(self ? [[member, []]] : []);
    for (const room of member.rooms.values()) {
      if (message === undefined) room.away.delete(member);
      else room.away.add(member);
      for (const peer of this.announces(room) ? room.members : self ? [member] : []) {
        if (peer.remote) continue;
        const rooms = peers.get(peer);
        if (rooms) rooms.push(room.name);
        else peers.set(peer, [room.name]);
      }
    }
    const away = message === undefined ? {} : { message };
    for (const [peer, rooms] of peers) {
      const event: AwayEvent = { type: "away", ts, nick: member.nick, ...away, rooms };
      peer.sink.deliver(event);
    }
  }

  /** The id of a room's newest event, 0 before the first. */
  lastId(room: Room): number {
    return this.#options.log.lastId(room.foldedName);
  }

  /**
   * Every room event goes through here, to the room log, which numbers it
   * and hands it back to be delivered (to everyone but `skip`). Nothing from
   * the in-process log; from a shared one, the promise of the event's id
   * (rejected when it could not be stored: see `RoomLog.append`).
   */
  emit(room: Room, body: RoomEventBody, skip?: Member): void | Promise<number> {
    return this.#options.log.append(room.foldedName, room.name, body, skip);
  }

  /**
   * What the room log ordered: delivered to the room's members here, and
   * recorded in the store (messages, and the room's newest id).
   */
  #deliver(event: RoomEvent, folded: string, origin: Member | undefined): void {
    this.#rooms.get(folded)?.deliver(event, origin);
    const { store } = this.#options;
    if (event.type === "msg") store.append(folded, event);
    else if (event.type === "topic") {
      const topic = event.text ? { text: event.text, by: event.nick, ts: event.ts } : undefined;
      store.setTopic(folded, event.room, topic);
    }
    store.touch(folded, event.room, event.id);
  }
}
