/**
 * Where room messages are kept beyond the in-memory replay buffer. The hub
 * only sees this interface; `lib/store` has the SQLite implementation, and
 * {@linkcode MemoryStore} keeps everything in memory (`--no-persist`).
 *
 * @module
 */

import type { DirectEvent, MessageEvent, RoomTopic } from "../events.ts";
import { type HistoryRange, inRange, refKey, refValue } from "./history_query.ts";
import {
  DEFAULT_HISTORY_MEMORY_BYTES,
  History,
  type HistoryBudget,
  MemoryBudget,
  messageBytes,
} from "../history.ts";

/** What a store knows about a room when the hub first needs it. */
export interface StoredRoom {
  /** The room's newest event id, so ids keep increasing across restarts. */
  lastId: number;
  /** Its newest messages, oldest first. */
  messages: MessageEvent[];
  /** Its topic, if one was set (and not cleared). */
  topic?: RoomTopic;
}

/** A message store: append, page back from an id, prune. */
export interface HistoryStore {
  /** The newest id and the last `limit` messages of a room (by its folded name). */
  load(foldedRoom: string, limit: number): StoredRoom;
  /** Records a message. Must not block on disk: a store batches writes. */
  append(foldedRoom: string, event: MessageEvent): void;
  /** Records a private message (only called with `--store-private`). */
  appendPrivate(event: DirectEvent): void;
  /** Records a room's topic, or with `undefined` that it has none (may batch, as `append`). */
  setTopic(foldedRoom: string, name: string, topic: RoomTopic | undefined): void;
  /** Records a room's newest id (join and leave events use ids too). */
  touch(foldedRoom: string, name: string, lastId: number): void;
  /** Up to `limit` messages with ids below `beforeId`, oldest first (`/history` waits on it). */
  page(foldedRoom: string, beforeId: number, limit: number): Promise<MessageEvent[]>;
  /** The messages of a range (history_query.ts), oldest first (`/history --after`, IRC's CHATHISTORY). */
  range(foldedRoom: string, range: HistoryRange): Promise<MessageEvent[]>;
  /** Deletes messages older than `olderThan` (ms) or beyond `keep` per room. */
  prune(olderThan: number | undefined, keep: number | undefined): number;
  /** Writes everything still pending. */
  flush(): void;
  /** Flushes and releases the store. */
  close(): void;
}

/**
 * Keeps the last `perRoom` messages of each room in memory (history for one
 * run, `--no-persist`), and at most `maxBytes` of messages across all rooms
 * (counted by {@linkcode messageBytes}): past that, the oldest messages of
 * all rooms go first.
 */
export class MemoryStore implements HistoryStore {
  readonly #rooms = new Map<
    string,
    { lastId: number; messages: History<MessageEvent>; topic?: RoomTopic }
  >();
  readonly #budget: HistoryBudget<MessageEvent>;

  /**
   * An empty store bounded per room and across rooms.
   *
   * @param perRoom most messages kept per room
   * @param maxBytes most bytes of messages kept across all rooms
   */
  constructor(
    /** Most messages kept per room. @default {10000} */
    readonly perRoom = 10_000,
    maxBytes = DEFAULT_HISTORY_MEMORY_BYTES,
  ) {
    this.#budget = { budget: new MemoryBudget(maxBytes), sizeOf: messageBytes };
  }

  /** Bytes of messages kept now (as {@linkcode messageBytes} counts them). */
  get usedBytes(): number {
    return this.#budget.budget.usedBytes;
  }

  load(foldedRoom: string, limit: number): StoredRoom {
    const room = this.#rooms.get(foldedRoom);
    return {
      lastId: room?.lastId ?? 0,
      messages: room?.messages.last(limit) ?? [],
      ...(room?.topic ? { topic: room.topic } : {}),
    };
  }

  append(foldedRoom: string, event: MessageEvent): void {
    const room = this.#room(foldedRoom);
    room.messages.push(event);
    room.lastId = Math.max(room.lastId, event.id);
  }

  appendPrivate(_event: DirectEvent): void {
    // Kept nowhere: a memory store has no export to read them back from.
  }

  setTopic(foldedRoom: string, _name: string, topic: RoomTopic | undefined): void {
    this.#room(foldedRoom).topic = topic;
  }

  touch(foldedRoom: string, _name: string, lastId: number): void {
    const room = this.#room(foldedRoom);
    room.lastId = Math.max(room.lastId, lastId);
  }

  page(foldedRoom: string, beforeId: number, limit: number): Promise<MessageEvent[]> {
    return this.range(foldedRoom, { below: { id: beforeId }, newest: true, limit });
  }

  range(foldedRoom: string, range: HistoryRange): Promise<MessageEvent[]> {
    const messages = this.#rooms.get(foldedRoom)?.messages;
    if (!messages || range.limit <= 0) return Promise.resolve([]);
    // Ids and times increase along a room: a binary search for each bound.
    const first = (ref: HistoryRange["above"], inclusive: boolean): number => {
      if (ref === undefined) return inclusive ? messages.size : 0;
      let low = 0;
      let high = messages.size;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const key = refKey(messages.at(middle)!, ref);
        if (inclusive ? key < refValue(ref) : key <= refValue(ref)) low = middle + 1;
        else high = middle;
      }
      return low;
    };
    // [start, end): after `above`, before `below`.
    const start = first(range.above, false);
    const end = first(range.below, true);
    if (end <= start) return Promise.resolve([]);
    const slice = range.newest
      ? messages.slice(Math.max(start, end - range.limit), end)
      : messages.slice(start, Math.min(end, start + range.limit));
    // A clock set back puts times out of order: keep only what is truly inside.
    return Promise.resolve(slice.filter((message) => inRange(message, range)));
  }

  prune(olderThan: number | undefined, keep: number | undefined): number {
    let removed = 0;
    for (const room of this.#rooms.values()) {
      if (olderThan !== undefined) removed += room.messages.retain((m) => m.ts >= olderThan);
      if (keep !== undefined) removed += room.messages.keepLast(keep);
    }
    return removed;
  }

  flush(): void {}

  close(): void {}

  #room(
    foldedRoom: string,
  ): { lastId: number; messages: History<MessageEvent>; topic?: RoomTopic } {
    let room = this.#rooms.get(foldedRoom);
    if (!room) {
      room = { lastId: 0, messages: new History(this.perRoom, this.#budget) };
      this.#rooms.set(foldedRoom, room);
    }
    return room;
  }
}
