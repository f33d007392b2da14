/**
 * A room: its members, sorted for display, and the replay of its newest
 * messages.
 *
 * @module
 */

import type { MessageEvent, RoomTopic } from "./events.ts";
import { History, type HistoryBudget } from "./history.ts";
import type { StoredRoom } from "./state/history_store.ts";
import type { RoomEvent } from "./state/room_log.ts";
import type { Member } from "./member.ts";
import { holdDelivery, settleRoom } from "./delivery_batch.ts";

/**
 * A room on this server: its members here and its recent messages. Its
 * events are ordered (and numbered) by the room log; {@linkcode Room.deliver}
 * hands each to the members in that order.
 */
export class Room {
  /** Who is in the room, in the order they joined. */
  readonly members: Set<Member> = new Set();
  /** The newest messages, replayed to a joiner. */
  readonly history: History<MessageEvent>;
  /** Its members who are away (see `Member.away`). */
  readonly away: Set<Member> = new Set();
  /** Its topic, if it has one. */
  topic: RoomTopic | undefined;
  #list: { limit: number; nicks: string[] } | undefined;
  /**
   * Other nodes' members listed here though not placed here, by nick, with since when: the room
   * log and the presence watch bring their comings and goings by different ways, in either
   * order. One whose join the log announced before the watch placed it is listed until it is
   * placed; one the watch took out before the log announced its leave, until the leave comes.
   * So a snapshot between the two agrees with the events that follow it. At most
   * ANNOUNCED_AHEAD_MS each.
   */
  readonly #ahead = new Map<string, number>();
  /** Placed members of other nodes whose leave the log announced first, with when (not listed ahead then). */
  readonly #leftFirst = new Map<string, number>();

  /** A room as the hub's room directory opens it. */
  constructor(
    /** Display name, e.g. `#lobby`. */
    readonly name: string,
    /** Folded name (`foldRoom`), for lookups. */
    readonly foldedName: string,
    historySize: number,
    /** What a store remembers of the room: its newest messages. */
    stored?: StoredRoom,
    /** The bound on the replay history of all rooms, in bytes. */
    budget?: HistoryBudget<MessageEvent>,
  ) {
    this.history = new History(historySize, budget);
    for (const message of stored?.messages ?? []) this.history.push(message);
    this.topic = stored?.topic;
  }

  /**
   * Member nicks, sorted for display; with `limit`, only that many (the
   * longest-present ones), so a welcome to a room of thousands stays small.
   * The sorted list is cached until the membership or a nick changes.
   */
  nicks(limit = Infinity): string[] {
    this.#forgetStaleAhead();
    if (this.#list && this.#list.limit === limit) return this.#list.nicks;
    const nicks: string[] = [];
    for (const member of this.members) {
      if (nicks.length >= limit) break;
      nicks.push(member.nick);
    }
    for (const nick of this.#ahead.keys()) {
      if (nicks.length >= limit) break;
      nicks.push(nick);
    }
    nicks.sort(compareNicks);
    // Shared by every snapshot until it changes: frozen so no one edits it.
    Object.freeze(nicks);
    this.#list = { limit, nicks };
    return nicks;
  }

  /** How many are in it: its members, and those announced ahead of their placement. */
  get size(): number {
    if (this.#ahead.size === 0) return this.members.size;
    this.#forgetStaleAhead();
    return this.members.size + this.#ahead.size;
  }

  /** Adds a member. */
  add(member: Member): void {
    settleRoom(this);
    if (this.#ahead.delete(member.nick)) this.#list = undefined;
    this.members.add(member);
    if (member.away !== undefined) this.away.add(member);
    // Joiners past the listed ones do not change the list.
    if (this.#list && this.members.size <= this.#list.limit) this.#list = undefined;
  }

  /** Removes a member. */
  remove(member: Member): void {
    settleRoom(this);
    if (this.members.delete(member)) this.#list = undefined;
    this.away.delete(member);
  }

  /** The nicks of the away members among `listed` (all of them without it), sorted. */
  awayNicks(listed?: readonly string[]): string[] {
    const nicks: string[] = [];
    for (const member of this.away) {
      if (!listed || listed.includes(member.nick)) nicks.push(member.nick);
    }
    return nicks.sort(compareNicks);
  }

  /** Forgets the cached member list (a member changed nick). */
  invalidate(): void {
    this.#list = undefined;
  }

  /**
   * Hands an event the room log ordered to every member (except `skip`),
   * keeping messages for replay. Never awaits anything. While a transport
   * handles a client's chunk, the members get it with the rest of the run
   * (delivery_batch.ts).
   */
  deliver(event: RoomEvent, skip?: Member): void {
    if (event.type === "msg") this.history.push(event);
    else if (event.type === "topic") {
      this.topic = event.text ? { text: event.text, by: event.nick, ts: event.ts } : undefined;
    } else if (skip === undefined && event.type === "join") {
      // Another node's member (or one gone from here before its join came back).
      if (this.#announcePlaced(event)) return;
      this.#leftFirst.delete(event.nick); // A join again: an earlier leave is done with.
      if (remember(this.#ahead, event.nick)) this.#list = undefined;
    } else if (skip === undefined && event.type === "leave") {
      if (this.#ahead.delete(event.nick)) this.#list = undefined;
      else if (this.#placedRemote(event.nick)) remember(this.#leftFirst, event.nick);
    }
    if (!holdDelivery(this, event, skip)) this.fanOut(event, skip);
  }

  /**
   * The presence watch took `nick` (a member of another node) out: listed until the room log
   * announces its leave, unless that came first (see `#ahead`).
   */
  withdrawnAhead(nick: string): void {
    if (this.#leftFirst.delete(nick)) return; // Its leave came first: everyone was told.
    if (remember(this.#ahead, nick)) this.#list = undefined;
  }

  /** The member of another node placed here under `nick`, if any. */
  #placedRemote(nick: string): Member | undefined {
    for (const member of this.members) {
      if (member.remote !== undefined && member.nick === nick) return member;
    }
    return undefined;
  }

  /** Forgets the members listed ahead whose other half did not come in time. */
  #forgetStaleAhead(): void {
    if (forgetStale(this.#ahead)) this.#list = undefined;
    forgetStale(this.#leftFirst);
  }

  /**
   * Another node's member's join, when this node's presence placed that member here already:
   * the two come by different ways (the room log, the presence watch), in either order. Only
   * the members who joined before it are told; those after had it in their snapshot, and are
   * not told twice. False when it is not here yet (everyone is told, as usual).
   */
  #announcePlaced(event: RoomEvent & { type: "join" }): boolean {
    const placed = this.#placedRemote(event.nick);
    if (placed === undefined) return false;
    settleRoom(this);
    for (const member of this.members) {
      if (member === placed) break;
      member.sink.deliver(event);
    }
    return true;
  }

  /** Hands `event` to every member but `skip`, now. */
  fanOut(event: RoomEvent, skip: Member | undefined): void {
    for (const member of this.members) {
      if (member === skip) continue;
      member.sink.deliver(event);
    }
  }
}

/**
 * How long a member of another node announced by the room log is listed before the presence
 * watch places it: the two travel separately, milliseconds apart unless a node is overloaded.
 */
export const ANNOUNCED_AHEAD_MS = 10_000;

/** Most members a room lists ahead of their placement (a bound against a flood of joins). */
const MAX_ANNOUNCED_AHEAD = 256;

/** Notes `nick` now, last in `map` (at most MAX_ANNOUNCED_AHEAD); whether it did. */
function remember(map: Map<string, number>, nick: string): boolean {
  forgetStale(map);
  if (map.size >= MAX_ANNOUNCED_AHEAD && !map.has(nick)) return false;
  map.delete(nick); // Kept in the order they came, for forgetStale.
  map.set(nick, performance.now());
  return true;
}

/** Drops the entries older than ANNOUNCED_AHEAD_MS; whether any went. */
function forgetStale(map: Map<string, number>): boolean {
  if (map.size === 0) return false;
  const before = performance.now() - ANNOUNCED_AHEAD_MS;
  let dropped = false;
  for (const [nick, at] of map) {
    if (at >= before) break;
    map.delete(nick);
    dropped = true;
  }
  return dropped;
}

const collator = new Intl.Collator(undefined, { sensitivity: "base" });

function compareNicks(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
