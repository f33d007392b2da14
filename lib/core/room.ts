import type { ChatEvent, JoinEvent, LeaveEvent, MessageEvent } from "./events.ts";
import { History } from "./history.ts";
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

  constructor(
    /** Display name, e.g. `#lobby`. */
    readonly name: string,
    /** Folded name, for lookups. */
    readonly key: string,
    historySize: number,
  ) {
    this.history = new History(historySize);
  }

  /** The id of the newest event, 0 before the first. */
  get lastId(): number {
    return this.#lastId;
  }

  /**
   * Member nicks, sorted for display; with `limit`, only that many (the
   * longest-present ones), so a welcome to a room of thousands stays small.
   */
  nicks(limit = Infinity): string[] {
    const nicks: string[] = [];
    for (const member of this.members) {
      if (nicks.length >= limit) break;
      nicks.push(member.nick);
    }
    return nicks.sort(compareNicks);
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
