/**
 * Where room messages are kept beyond the in-memory replay buffer. The hub
 * only sees this interface; `lib/store` has the SQLite implementation, and
 * {@linkcode MemoryStore} keeps everything in memory (`--no-persist`).
 *
 * @module
 */

import type { DirectEvent, MessageEvent } from "./events.ts";

/** What a store knows about a room when the hub first needs it. */
export interface StoredRoom {
  /** The room's newest event id, so ids keep increasing across restarts. */
  lastId: number;
  /** Its newest messages, oldest first. */
  messages: MessageEvent[];
}

/** A message store: append, page back from an id, prune. */
export interface HistoryStore {
  /** The newest id and the last `limit` messages of a room (by folded key). */
  load(roomKey: string, limit: number): StoredRoom;
  /** Records a message. Must not block on disk: a store batches writes. */
  append(roomKey: string, event: MessageEvent): void;
  /** Records a private message (only called with `--store-private`). */
  appendPrivate(event: DirectEvent): void;
  /** Records a room's newest id (join and leave events use ids too). */
  touch(roomKey: string, name: string, lastId: number): void;
  /** Up to `limit` messages with ids below `beforeId`, oldest first. */
  page(roomKey: string, beforeId: number, limit: number): MessageEvent[];
  /** Deletes messages older than `olderThan` (ms) or beyond `keep` per room. */
  prune(olderThan: number | undefined, keep: number | undefined): number;
  /** Writes everything still pending. */
  flush(): void;
  /** Flushes and releases the store. */
  close(): void;
}

/**
 * Keeps the last `perRoom` messages of each room in memory (history for one run). Old messages
 * are cut off in batches, when a room holds twice as many: cutting one message off the front of
 * a full array at every append cost O(perRoom) each (91 of 425 ms of a flood's server CPU).
 */
export class MemoryStore implements HistoryStore {
  readonly #rooms = new Map<string, { lastId: number; messages: MessageEvent[] }>();

  constructor(readonly perRoom = 10_000) {}

  load(roomKey: string, limit: number): StoredRoom {
    const room = this.#rooms.get(roomKey);
    return { lastId: room?.lastId ?? 0, messages: this.#kept(room).slice(-limit) };
  }

  append(roomKey: string, event: MessageEvent): void {
    const room = this.#room(roomKey);
    room.messages.push(event);
    room.lastId = Math.max(room.lastId, event.id);
    if (room.messages.length >= 2 * this.perRoom) {
      room.messages.splice(0, room.messages.length - this.perRoom);
    }
  }

  appendPrivate(_event: DirectEvent): void {
    // Kept nowhere: a memory store has no export to read them back from.
  }

  touch(roomKey: string, _name: string, lastId: number): void {
    const room = this.#room(roomKey);
    room.lastId = Math.max(room.lastId, lastId);
  }

  page(roomKey: string, beforeId: number, limit: number): MessageEvent[] {
    const older = this.#kept(this.#rooms.get(roomKey)).filter((m) => m.id < beforeId);
    return older.slice(-limit);
  }

  prune(olderThan: number | undefined, keep: number | undefined): number {
    let removed = 0;
    for (const room of this.#rooms.values()) {
      room.messages = this.#kept(room);
      const before = room.messages.length;
      if (olderThan !== undefined) room.messages = room.messages.filter((m) => m.ts >= olderThan);
      if (keep !== undefined && room.messages.length > keep) {
        room.messages.splice(0, room.messages.length - keep);
      }
      removed += before - room.messages.length;
    }
    return removed;
  }

  flush(): void {}

  /** A room's last `perRoom` messages (it may hold up to twice as many until the next cut). */
  #kept(room: { messages: MessageEvent[] } | undefined): MessageEvent[] {
    if (!room) return [];
    const extra = room.messages.length - this.perRoom;
    return extra > 0 ? room.messages.slice(extra) : room.messages;
  }

  close(): void {}

  #room(roomKey: string): { lastId: number; messages: MessageEvent[] } {
    let room = this.#rooms.get(roomKey);
    if (!room) this.#rooms.set(roomKey, room = { lastId: 0, messages: [] });
    return room;
  }
}
