/**
 * Recent messages kept in memory, bounded per room by count and across all
 * rooms by bytes.
 *
 * @module
 */

import type { MessageEvent } from "./events.ts";

/** The default bound on the bytes of messages kept in memory (16 MiB): `--history-memory`. */
export const DEFAULT_HISTORY_MEMORY_BYTES = 16 * 1024 * 1024;

/** What a message is counted as beyond its text: the event object and its fields. */
const MESSAGE_OVERHEAD_BYTES = 128;

/**
 * The bytes a kept message is counted as: its text and nick at two bytes a
 * UTF-16 code unit (what a JS string of CJK text takes; ASCII takes half),
 * plus the event object. Cheap (no encoding) and never an underestimate.
 */
export function messageBytes(message: MessageEvent): number {
  return 2 * (message.text.length + message.from.length) + MESSAGE_OVERHEAD_BYTES;
}

/** Something that keeps items charged to a {@linkcode MemoryBudget}. */
export interface BudgetOwner {
  /** Drops the item `entry` was charged for: always the oldest one it keeps. */
  evict(entry: BudgetEntry): void;
}

/** One kept item's charge, linked in the order items were charged (oldest first). */
export class BudgetEntry {
  /** The charge made before this one. */
  older: BudgetEntry | undefined;
  /** The charge made after this one. */
  newer: BudgetEntry | undefined;
  /** Whether it is still charged. */
  linked = true;

  /** A charge of `bytes` made by `owner` (both set again when a released entry is reused). */
  constructor(public owner: BudgetOwner, public bytes: number) {}
}

/**
 * A bound on the bytes of items kept by many owners (the replay history of
 * every room, or every room of a memory store). Charges are kept in the
 * order they were made; while the total is over the bound, the oldest item
 * of all is evicted, whichever owner keeps it. Each owner keeps its items in
 * the order it charged them and drops only its oldest or releases what it
 * removes, so the oldest charge of all is always the oldest item of its
 * owner.
 */
export class MemoryBudget {
  #oldest: BudgetEntry | undefined;
  #newest: BudgetEntry | undefined;
  #usedBytes = 0;
  #evicted = 0;

  /**
   * An empty budget.
   *
   * @param maxBytes the bound, in bytes
   */
  constructor(readonly maxBytes: number) {}

  /** Bytes charged now. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Items evicted to stay within the bound, since the start. */
  get evicted(): number {
    return this.#evicted;
  }

  /**
   * Charges `bytes` for a new item of `owner`, as the newest. Call {@linkcode trim} after.
   * `reuse`, an entry released and held by nobody else, is charged again
   * instead of a new one: a full history replaces its oldest item with each
   * new one, and the entries live long enough to be copied out of V8's young
   * generation each time.
   */
  charge(owner: BudgetOwner, bytes: number, reuse?: BudgetEntry): BudgetEntry {
    let entry: BudgetEntry;
    if (reuse && !reuse.linked) {
      entry = reuse;
      entry.owner = owner;
      entry.bytes = bytes;
      entry.linked = true;
    } else entry = new BudgetEntry(owner, bytes);
    entry.older = this.#newest;
    if (this.#newest) this.#newest.newer = entry;
    else this.#oldest = entry;
    this.#newest = entry;
    this.#usedBytes += bytes;
    return entry;
  }

  /** Releases a charge: its owner dropped the item itself. Safe to call twice. */
  release(entry: BudgetEntry): void {
    if (!entry.linked) return;
    entry.linked = false;
    if (entry.older) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    entry.older = entry.newer = undefined;
    this.#usedBytes -= entry.bytes;
  }

  /** Evicts the oldest items of all owners while more than `maxBytes` are charged. */
  trim(): void {
    while (this.#usedBytes > this.maxBytes && this.#oldest) {
      const entry = this.#oldest;
      this.release(entry);
      this.#evicted++;
      entry.owner.evict(entry);
    }
  }
}

/** How a {@linkcode History} is charged to a shared budget. */
export interface HistoryBudget<T> {
  /** The budget shared by every history charged to it. */
  budget: MemoryBudget;
  /** The bytes an item is counted as. */
  sizeOf(item: T): number;
}

/**
 * The most recent items, oldest first on read: at most `capacity`, and,
 * given a budget, only while the budget has room (it evicts the oldest items
 * of all its histories first).
 */
export class History<T> implements BudgetOwner {
  /** Kept items are `#items[#head]` to the end. */
  #items: (T | undefined)[] = [];
  #entries: (BudgetEntry | undefined)[] = [];
  #head = 0;
  readonly #budget: HistoryBudget<T> | undefined;

  /**
   * An empty history.
   *
   * @param capacity how many items to keep; 0 keeps none
   * @param budget a bound on the bytes of every history sharing it
   */
  constructor(readonly capacity: number, budget?: HistoryBudget<T>) {
    this.#budget = budget;
  }

  /** Adds an item, dropping the oldest one when full, then lets the budget trim. */
  push(item: T): void {
    if (this.capacity === 0) return;
    // When full, the oldest goes first (the budget ends the same: its charge
    // released, the new one the newest) and its entry is charged again.
    const dropped = this.size >= this.capacity ? this.#dropOldest() : undefined;
    this.#items.push(item);
    const budget = this.#budget;
    this.#entries.push(budget?.budget.charge(this, budget.sizeOf(item), dropped));
    budget?.budget.trim();
  }

  /** The number of items held. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** The last `count` items (all by default), oldest first. */
  last(count = this.size): T[] {
    const n = Math.max(0, Math.min(count, this.size));
    return this.#items.slice(this.#items.length - n) as T[];
  }

  /** The item at `index` (0: the oldest kept), or undefined. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.size ? this.#items[this.#head + index] : undefined;
  }

  /** The items from `start` to `end` (exclusive; 0: the oldest kept), oldest first. */
  slice(start: number, end = this.size): T[] {
    const from = this.#head + Math.max(0, start);
    const to = this.#head + Math.min(this.size, end);
    return to > from ? this.#items.slice(from, to) as T[] : [];
  }

  /** Drops the oldest items until at most `count` are left; returns how many were dropped. */
  keepLast(count: number): number {
    let dropped = 0;
    while (this.size > Math.max(0, count)) {
      this.#dropOldest();
      dropped++;
    }
    return dropped;
  }

  /** Keeps only the items `keep` accepts (in order); returns how many were removed. */
  retain(keep: (item: T) => boolean): number {
    const items: T[] = [];
    const entries: (BudgetEntry | undefined)[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      if (keep(item)) {
        items.push(item);
        entries.push(this.#entries[i]);
      } else if (this.#entries[i]) this.#budget!.budget.release(this.#entries[i]!);
    }
    const removed = this.size - items.length;
    this.#items = items;
    this.#entries = entries;
    this.#head = 0;
    return removed;
  }

  /** The budget evicts this history's oldest item. */
  evict(entry: BudgetEntry): void {
    if (this.#entries[this.#head] === entry) {
      this.#dropOldest();
      return;
    }
    // Never expected (the budget's oldest is its owner's oldest); stay consistent anyway.
    const index = this.#entries.indexOf(entry, this.#head);
    if (index !== -1) this.retain((item) => item !== this.#items[index]);
  }

  /** Drops the oldest item; returns its entry, released. */
  #dropOldest(): BudgetEntry | undefined {
    const entry = this.#entries[this.#head];
    if (entry) this.#budget!.budget.release(entry);
    this.#items[this.#head] = undefined;
    this.#entries[this.#head] = undefined;
    this.#head++;
    // Cut the dropped slots off once they are half the array: O(1) per item on average.
    if (this.#head >= 32 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }
}
