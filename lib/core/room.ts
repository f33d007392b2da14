import type { ChatEvent, JoinEvent, LeaveEvent, MessageEvent } from "./events.ts";
import { History, type HistoryBudget } from "./history.ts";
import type { StoredRoom } from "./history_store.ts";
import type { Member } from "./member.ts";

type RoomEventBody =
  | Omit<MessageEvent, "id" | "room">
  | Omit<JoinEvent, "id" | "room">
  | Omit<LeaveEvent, "id" | "room">;

/**
 * A room: its members, its event counter and its recent messages. All events
 * of a room pass through {@linkcode Room.emit}, one at a time, so every member
 * sees them in the same order with strictly increasing ids.
 */
export class Room {
  readonly members: Set<Member> = new Set();
  readonly history: History<MessageEvent>;
  #lastId = 0;
  #list: { limit: number; nicks: string[] } | undefined;

  constructor(
    /** Display name, e.g. `#lobby`. */
    readonly name: string,
    /** Folded name, for lookups. */
    readonly key: string,
    historySize: number,
    /** What a store remembers of the room: ids continue from its last one. */
    stored?: StoredRoom,
    /** The bound on the replay history of all rooms, in bytes. */
    budget?: HistoryBudget<MessageEvent>,
  ) {
    this.history = new History(historySize, budget);
    this.#lastId = stored?.lastId ?? 0;
    for (const message of stored?.messages ?? []) this.history.push(message);
  }

  /** The id of the newest event, 0 before the first. */
  get lastId(): number {
    return this.#lastId;
  }

  /**
   * Member nicks, sorted for display; with `limit`, only that many (the
   * longest-present ones), so a welcome to a room of thousands stays small.
   * The sorted list is cached until the membership or a nick changes.
   */
  nicks(limit = Infinity): string[] {
    if (this.#list && this.#list.limit === limit) return this.#list.nicks;
    const nicks: string[] = [];
    for (const member of this.members) {
      if (nicks.length >= limit) break;
      nicks.push(member.nick);
    }
    nicks.sort(compareNicks);
    // Shared by every snapshot until it changes: frozen so no one edits it.
    Object.freeze(nicks);
    this.#list = { limit, nicks };
    return nicks;
  }

  /** Adds a member. */
  add(member: Member): void {
    this.members.add(member);
    // Joiners past the listed ones do not change the list.
    if (this.#list && this.members.size <= this.#list.limit) this.#list = undefined;
  }

  /** Removes a member. */
  remove(member: Member): void {
    if (this.members.delete(member)) this.#list = undefined;
  }

  /** Forgets the cached member list (a member changed nick). */
  invalidate(): void {
    this.#list = undefined;
  }

  /**
   * Stamps an event with the room and the next id, keeps messages in history,
   * and hands it to every member (except `skip`). Never awaits anything.
   */
  emit<E extends RoomEventBody>(body: E, skip?: Member): E & { id: number; room: string } {
    const event = { ...body, room: this.name, id: ++this.#lastId } as
      & E
      & { id: number; room: string };
    if (event.type === "msg") this.history.push(event as unknown as MessageEvent);
    for (const member of this.members) {
      if (member === skip) continue;
      member.sink.deliver(event as unknown as ChatEvent);
    }
    return event;
  }
}

const collator = new Intl.Collator(undefined, { sensitivity: "base" });

function compareNicks(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
