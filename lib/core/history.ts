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
  /** The number of the charge of its oldest item (Infinity when it keeps none). */
  readonly oldestCharge: number;
  /** Drops its oldest item: the budget evicts it (and the owner releases its bytes). */
  evictOldest(): void;
  /** Where the budget keeps it in its heap, -1 when not there (the budget's to set). */
  budgetSlot: number;
}

/**
 * A bound on the bytes of items kept by many owners (the replay history of
 * every room, or every room of a memory store). Each charge is numbered in
 * the order it was made; while the total is over the bound, the oldest item
 * of all is evicted, whichever owner keeps it. Each owner keeps its items in
 * the order it charged them and drops only its oldest or releases what it
 * removes, so the oldest charge of all is always the oldest item of its
 * owner: the budget keeps its owners in a heap by their oldest charge, and
 * nothing per item (a kept message is one object less for the collector to
 * copy out of the young generation, and to mark).
 */
export class MemoryBudget {
  #usedBytes = 0;
  #evicted = 0;
  #charges = 0;
  /** The owners keeping anything, a min-heap by `oldestCharge`. */
  readonly #heap: BudgetOwner[] = [];

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
   * Charges `bytes` for a new item, the newest of all; returns the charge's
   * number. The owner keeps the number with the item, then calls
   * {@linkcode reorder}, then {@linkcode trim}.
   */
  charge(bytes: number): number {
    this.#usedBytes += bytes;
    return ++this.#charges;
  }

  /** Gives back the bytes of an item its owner dropped; it calls {@linkcode reorder} after. */
  release(bytes: number): void {
    this.#usedBytes -= bytes;
  }

  /** Puts `owner` where its oldest charge now belongs (in, out, or further down the heap). */
  reorder(owner: BudgetOwner): void {
    const heap = this.#heap;
    let slot = owner.budgetSlot;
    if (owner.oldestCharge === Infinity) {
      if (slot === -1) return;
      const last = heap.pop()!;
      owner.budgetSlot = -1;
      if (last === owner) return;
      heap[slot] = last;
      last.budgetSlot = slot;
      owner = last;
    } else if (slot === -1) {
      slot = heap.length;
      heap.push(owner);
      owner.budgetSlot = slot;
    }
    this.#siftUp(this.#siftDown(slot));
  }

  /** Evicts the oldest items of all owners while more than `maxBytes` are charged. */
  trim(): void {
    while (this.#usedBytes > this.maxBytes && this.#heap.length > 0) {
      this.#evicted++;
      this.#heap[0].evictOldest();
    }
  }

  /** Moves the owner at `slot` down while a child's oldest charge is older; its new slot. */
  #siftDown(slot: number): number {
    const heap = this.#heap;
    const owner = heap[slot];
    const key = owner.oldestCharge;
    while (true) {
      const left = 2 * slot + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right].oldestCharge < heap[left].oldestCharge
        ? right
        : left;
      if (heap[child].oldestCharge >= key) break;
      heap[slot] = heap[child];
      heap[slot].budgetSlot = slot;
      slot = child;
    }
    heap[slot] = owner;
    owner.budgetSlot = slot;
    return slot;
  }

  /** Moves the owner at `slot` up while its parent's oldest charge is newer. */
  #siftUp(slot: number): void {
    const heap = this.#heap;
    const owner = heap[slot];
    const key = owner.oldestCharge;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (heap[parent].oldestCharge <= key) break;
      heap[slot] = heap[parent];
      heap[slot].budgetSlot = slot;
      slot = parent;
    }
    heap[slot] = owner;
    owner.budgetSlot = slot;
  }
}

/** How a {@linkcode History} is charged to a shared budget. */
export interface HistoryBudget<T> {
  /** The budget shared by every history charged to it. */
  budget: MemoryBudget;
  /** The bytes an item is counted as. */
  sizeOf(item: T): number;
}

/** The fewest slots a history's ring has once it holds anything. */
const MIN_SLOTS = 8;

/**
 * The most recent items, oldest first on read: at most `capacity`, and,
 * given a budget, only while the budget has room (it evicts the oldest items
 * of all its histories first). The items sit in a ring that grows by
 * doubling (to `capacity` at most) and shrinks by half when three quarters are
 * empty, so a full history takes each new item into the slot of the one it
 * drops: nothing allocated a push (a memory store's ring of 10,000 was a
 * list cut and copied every 10,000 pushes, 160 KB arrays each time).
 */
export class History<T> implements BudgetOwner {
  /** The ring: slot `(#head + i) % #items.length` holds item i (0: the oldest kept). */
  #items: (T | undefined)[] = [];
  /** With a budget, each slot's charge number and bytes (numbers: nothing allocated per item). */
  #charges: number[] = [];
  #sizes: number[] = [];
  #head = 0;
  #size = 0;
  readonly #budget: HistoryBudget<T> | undefined;
  /** Its place in its budget's heap (the budget's to set). */
  budgetSlot: number = -1;

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
    if (this.#size >= this.capacity) this.#dropOldest();
    if (this.#size === this.#items.length) {
      this.#resize(Math.min(this.capacity, Math.max(MIN_SLOTS, 2 * this.#size)));
    }
    const slot = (this.#head + this.#size) % this.#items.length;
    this.#items[slot] = item;
    this.#size++;
    const budget = this.#budget;
    if (budget === undefined) return;
    const bytes = budget.sizeOf(item);
    this.#charges[slot] = budget.budget.charge(bytes);
    this.#sizes[slot] = bytes;
    budget.budget.reorder(this);
    budget.budget.trim();
  }

  /** The number of the charge of the oldest item kept (Infinity when none, or with no budget). */
  get oldestCharge(): number {
    return this.#size > 0 && this.#budget ? this.#charges[this.#head] : Infinity;
  }

  /** The number of items held. */
  get size(): number {
    return this.#size;
  }

  /** The last `count` items (all by default), oldest first. */
  last(count = this.size): T[] {
    const n = Math.max(0, Math.min(count, this.#size));
    return this.slice(this.#size - n);
  }

  /** The item at `index` (0: the oldest kept), or undefined. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.#size
      ? this.#items[(this.#head + index) % this.#items.length]
      : undefined;
  }

  /** The items from `start` to `end` (exclusive; 0: the oldest kept), oldest first. */
  slice(start: number, end: number = this.size): T[] {
    const from = Math.max(0, start);
    const to = Math.min(this.#size, end);
    const out: T[] = [];
    for (let i = from; i < to; i++) out.push(this.#items[(this.#head + i) % this.#items.length]!);
    return out;
  }

  /** Drops the oldest items until at most `count` are left; returns how many were dropped. */
  keepLast(count: number): number {
    let dropped = 0;
    while (this.#size > Math.max(0, count)) {
      this.#dropOldest();
      dropped++;
    }
    return dropped;
  }

  /** Keeps only the items `keep` accepts (in order); returns how many were removed. */
  retain(keep: (item: T) => boolean): number {
    const budget = this.#budget?.budget;
    const slots = this.#items.length;
    const items: T[] = [];
    const charges: number[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#head + i) % slots;
      const item = this.#items[slot] as T;
      if (keep(item)) {
        items.push(item);
        if (budget) {
          charges.push(this.#charges[slot]);
          sizes.push(this.#sizes[slot]);
        }
      } else budget?.release(this.#sizes[slot]);
    }
    const removed = this.#size - items.length;
    this.#items = items;
    this.#charges = charges;
    this.#sizes = sizes;
    this.#head = 0;
    this.#size = items.length;
    budget?.reorder(this);
    return removed;
  }

  /** The budget evicts this history's oldest item. */
  evictOldest(): void {
    this.#dropOldest();
  }

  /** Drops the oldest item, giving its bytes back to the budget. */
  #dropOldest(): void {
    const head = this.#head;
    this.#items[head] = undefined;
    const budget = this.#budget?.budget;
    if (budget) budget.release(this.#sizes[head]);
    this.#head = (head + 1) % this.#items.length;
    this.#size--;
    // A ring three quarters empty halves (never below MIN_SLOTS): memory follows what is kept.
    if (this.#items.length > MIN_SLOTS && this.#size * 4 <= this.#items.length) {
      this.#resize(Math.max(MIN_SLOTS, Math.ceil(this.#items.length / 2)));
    }
    budget?.reorder(this);
  }

  /** Moves the items, oldest first, into a ring of `slots` (at least `#size`). */
  #resize(slots: number): void {
    const old = this.#items.length;
    const items: (T | undefined)[] = new Array(slots).fill(undefined);
    const withBudget = this.#budget !== undefined;
    const charges: number[] = withBudget ? new Array(slots).fill(0) : [];
    const sizes: number[] = withBudget ? new Array(slots).fill(0) : [];
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#head + i) % old;
      items[i] = this.#items[slot];
      if (withBudget) {
        charges[i] = this.#charges[slot];
        sizes[i] = this.#sizes[slot];
      }
    }
    this.#items = items;
    this.#charges = charges;
    this.#sizes = sizes;
    this.#head = 0;
  }
}
