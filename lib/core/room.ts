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
   * Other nodes' members as the room log has told them, where the presence watch (which places
   * them here and takes them out) has not caught up: the two come by different ways, in either
   * order, and a snapshot between them must agree with the events that follow it. By nick, each
   * at most ANNOUNCED_AHEAD_MS, at most MAX_ANNOUNCED_AHEAD:
   * - `#joinedAhead`: joined (announced), not placed yet: listed;
   * - `#withdrawnAhead`: taken out, its leave not announced yet: listed;
   * - `#leftFirst`: its leave announced, not taken out yet (placed, or its placement is still to
   *   come): not listed, and its withdrawal is quiet.
   */
  readonly #joinedAhead = new Map<string, Ahead>();
  readonly #withdrawnAhead = new Map<string, Ahead>();
  readonly #leftFirst = new Map<string, Ahead>();

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
    const hiding = this.#leftFirst.size !== 0;
    for (const member of this.members) {
      if (nicks.length >= limit) break;
      if (hiding && this.#hidden(member)) continue;
      nicks.push(member.nick);
    }
    for (const ahead of [this.#joinedAhead, this.#withdrawnAhead]) {
      for (const nick of ahead.keys()) {
        if (nicks.length >= limit) break;
        nicks.push(nick);
      }
    }
    nicks.sort(compareNicks);
    // Shared by every snapshot until it changes: frozen so no one edits it.
    Object.freeze(nicks);
    this.#list = { limit, nicks };
    return nicks;
  }

  /** How many are in it as the room log told them: see `#joinedAhead`. */
  get size(): number {
    if (this.#joinedAhead.size + this.#withdrawnAhead.size + this.#leftFirst.size === 0) {
      return this.members.size;
    }
    this.#forgetStaleAhead();
    let hidden = 0;
    for (const { member } of this.#leftFirst.values()) {
      if (member !== undefined && this.members.has(member)) hidden++;
    }
    return this.members.size - hidden + this.#joinedAhead.size + this.#withdrawnAhead.size;
  }

  /** Whether `member` is placed here though the log announced its leave already. */
  #hidden(member: Member): boolean {
    return member.remote !== undefined && this.#leftFirst.get(member.nick)?.member === member;
  }

  /** Adds a member. */
  add(member: Member): void {
    settleRoom(this);
    if (member.remote !== undefined) {
      // Placed: listed as itself now, unless its leave came already.
      if (this.#joinedAhead.delete(member.nick)) this.#list = undefined;
      if (this.#withdrawnAhead.delete(member.nick)) this.#list = undefined;
      const left = this.#leftFirst.get(member.nick);
      if (left !== undefined) left.member = member;
    }
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
      // Another node's member (or one of here whose origin the log lost).
      if (this.#remoteJoin(event)) return;
    } else if (skip === undefined && event.type === "leave") {
      this.#remoteLeave(event.nick);
    }
    if (!holdDelivery(this, event, skip)) this.fanOut(event, skip);
  }

  /**
   * The presence watch took `nick` (a member of another node) out: listed until the room log
   * announces its leave, unless that came first (see `#joinedAhead`).
   */
  withdrawnAhead(nick: string): void {
    if (this.#leftFirst.delete(nick)) return; // Its leave came first: everyone was told.
    if (remember(this.#withdrawnAhead, nick)) this.#list = undefined;
  }

  /** A join from the log without an origin here; true when it is delivered already. */
  #remoteJoin(event: RoomEvent & { type: "join" }): boolean {
    const nick = event.nick;
    const placed = this.#placed(nick);
    if (placed !== undefined && placed.remote === undefined) return false; // Its own, echoed.
    if (this.#leftFirst.delete(nick)) {
      // Its leave was announced, and everyone lists it out: told again. Still placed, it is the
      // placement before the leave, to be taken out (listed meanwhile) and placed again.
      this.#list = undefined;
      if (placed === undefined) remember(this.#joinedAhead, nick);
      return false;
    }
    // Taken out ahead of its leave, and listed till then: a join before that leave (or one whose
    // leave was never announced). Everyone is told, as before.
    if (this.#withdrawnAhead.has(nick)) return false;
    if (placed !== undefined) return this.#announcePlaced(event, placed);
    if (remember(this.#joinedAhead, nick)) this.#list = undefined;
    return false;
  }

  /** A leave from the log (another node's member's, or one of here's, which is gone already). */
  #remoteLeave(nick: string): void {
    if (this.#withdrawnAhead.delete(nick)) {
      this.#list = undefined;
      return;
    }
    const placed = this.#placed(nick);
    if (placed !== undefined && placed.remote === undefined) return;
    // Placed still, or to be placed (its join was announced ahead): hidden, and taken out quietly.
    const joinedAhead = this.#joinedAhead.delete(nick);
    if (placed === undefined && !joinedAhead) return;
    remember(this.#leftFirst, nick, placed);
    this.#list = undefined;
  }

  /** The member here under `nick`, if any (at most one: nicks are claimed across the cluster). */
  #placed(nick: string): Member | undefined {
    for (const member of this.members) {
      if (member.nick === nick) return member;
    }
    return undefined;
  }

  /** Forgets the members listed ahead whose other half did not come in time. */
  #forgetStaleAhead(): void {
    if (forgetStale(this.#joinedAhead)) this.#list = undefined;
    if (forgetStale(this.#withdrawnAhead)) this.#list = undefined;
    if (forgetStale(this.#leftFirst)) this.#list = undefined;
  }

  /**
   * Another node's member's join, when this node's presence placed that member here already:
   * the two come by different ways (the room log, the presence watch), in either order. Only
   * the members who joined before it are told; those after had it in their snapshot, and are
   * not told twice. False when it is not here yet (everyone is told, as usual).
   */
  #announcePlaced(event: RoomEvent & { type: "join" }, placed: Member): boolean {
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

/** One of `Room`'s members ahead: since when, and the member placed under it, if known. */
interface Ahead {
  at: number;
  member?: Member;
}

/** Notes `nick` now, last in `map` (at most MAX_ANNOUNCED_AHEAD); whether it did. */
function remember(map: Map<string, Ahead>, nick: string, member?: Member): boolean {
  forgetStale(map);
  if (map.size >= MAX_ANNOUNCED_AHEAD && !map.has(nick)) return false;
  map.delete(nick); // Kept in the order they came, for forgetStale.
  map.set(nick, { at: performance.now(), member });
  return true;
}

/** Drops the entries older than ANNOUNCED_AHEAD_MS; whether any went. */
function forgetStale(map: Map<string, Ahead>): boolean {
  if (map.size === 0) return false;
  const before = performance.now() - ANNOUNCED_AHEAD_MS;
  let dropped = false;
  for (const [nick, { at }] of map) {
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
