/**
 * The room log: the one place that orders a room's events. Appending an
 * event gives it the room's next id; the log then hands it to its listener
 * (the local fan-out), in id order per room. Nothing else numbers events,
 * so every member of a room, on any server, sees the same order.
 *
 * @module
 */

import type { JoinEvent, LeaveEvent, MessageEvent, TopicEvent } from "../events.ts";
import type { Member } from "../member.ts";

/** A room event as the log orders it: numbered and stamped with its room. */
export type RoomEvent = MessageEvent | JoinEvent | LeaveEvent | TopicEvent;

/** A room event before the log gives it its room and id. */
export type RoomEventBody =
  | Omit<MessageEvent, "id" | "room">
  | Omit<JoinEvent, "id" | "room">
  | Omit<LeaveEvent, "id" | "room">
  | Omit<TopicEvent, "id" | "room">;

/**
 * Receives every event the log has ordered, per room in id order. `folded`
 * is the room's folded name; `origin` the local member that caused it (a
 * sender without echo, a joiner), which the fan-out skips, or undefined.
 */
export type RoomLogListener = (
  event: RoomEvent,
  folded: string,
  origin: Member | undefined,
) => void;

/** Orders each room's events and assigns their ids. */
export interface RoomLog {
  /** Starts numbering a room after `lastId` (what a store remembers), unless it counts higher. */
  open(folded: string, lastId: number): void;
  /** Forgets a room's counter (the room was forgotten; the store keeps its last id). */
  close(folded: string): void;
  /** The id of a room's newest event, 0 before the first. */
  lastId(folded: string): number;
  /**
   * Appends an event to a room: numbered, stamped with `name`, and handed
   * to the listener. The in-process log does all of that before returning
   * and returns nothing. A shared log (a cluster's) returns a promise of the
   * event's id, settled once the event is stored for good; it rejects when
   * the event could not be stored, and then it reaches no listener anywhere.
   */
  append(
    folded: string,
    name: string,
    body: RoomEventBody,
    origin?: Member,
  ): void | Promise<number>;
  /** Sets where ordered events go (one listener: the hub's fan-out). */
  listen(listener: RoomLogListener): void;
}

/**
 * The room log in one process: a counter per room, and the listener called
 * synchronously, so "this event is number N" and "everyone has N in their
 * queue" happen in one step with nothing in between.
 */
export class LocalRoomLog implements RoomLog {
  readonly #lastIds = new Map<string, { lastId: number }>();
  #listener: RoomLogListener = () => {};

  open(folded: string, lastId: number): void {
    const counter = this.#lastIds.get(folded);
    if (!counter) this.#lastIds.set(folded, { lastId });
    else counter.lastId = Math.max(counter.lastId, lastId);
  }

  close(folded: string): void {
    this.#lastIds.delete(folded);
  }

  lastId(folded: string): number {
    return this.#lastIds.get(folded)?.lastId ?? 0;
  }

  append(folded: string, name: string, body: RoomEventBody, origin?: Member): void {
    let counter = this.#lastIds.get(folded);
    if (!counter) this.#lastIds.set(folded, counter = { lastId: 0 });
    this.#listener(numbered(body, name, ++counter.lastId), folded, origin);
  }

  listen(listener: RoomLogListener): void {
    this.#listener = listener;
  }
}

/**
 * `body` with its room and id, fields in the same order as `{ ...body, room, id }` (the JSON
 * of a native client's frame is the same). A message without a file, the most common event
 * and the one kept in history, is made whole at once: a copy made by spreading holds only the
 * body's fields in the object itself and puts the two added after them in a property array of
 * their own, one more object for the collector to copy out of the young generation with every
 * message kept.
 */
export function numbered(body: RoomEventBody, room: string, id: number): RoomEvent {
  if (body.type === "msg" && body.file === undefined) {
    return {
      type: "msg",
      ts: body.ts,
      from: body.from,
      text: body.text,
      kind: body.kind,
      room,
      id,
    };
  }
  return { ...body, room, id } as RoomEvent;
}
