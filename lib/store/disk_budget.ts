/**
 * The SQLite store's disk budget: past a number of bytes in use, the oldest
 * messages of all rooms and private messages together are deleted, a batch
 * at a time, down to 90% of it.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { StoreReport } from "./store_report.ts";

/** Bytes the pages of `db` hold now (its size less its free pages). */
export function usedBytes(db: DatabaseSync): number {
  const pages = (db.prepare("PRAGMA page_count").get() as { page_count: number }).page_count;
  const free = (db.prepare("PRAGMA freelist_count").get() as { freelist_count: number })
    .freelist_count;
  const size = (db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
  return (Number(pages) - Number(free)) * Number(size);
}

/**
 * Keeps a history database (tables `messages` and `private_messages`, each
 * with a `ts`) within `maxBytes`: a trim never leaves it over the budget,
 * however long that takes (as long as deleting what the last write added);
 * the way down from there to 90% goes in slices of time so that a write is
 * never held up long: {@linkcode DiskBudget.trim} says when there is more to
 * do, and its owner calls it again later (after its next write).
 */
export class DiskBudget {
  readonly #db: DatabaseSync;
  readonly #report: ((report: StoreReport) => void) | undefined;
  /** Set while the database is over the budget's low mark: each slice deletes some more. */
  #trimming = false;
  /** Messages deleted in the current round. */
  #trimmed = 0;
  /** How many of the oldest messages the next batch deletes (adapts to their size). */
  #batch = 16;

  /** Keeps `db` within `maxBytes`, telling `report` about each round and each failure. */
  constructor(
    db: DatabaseSync,
    readonly maxBytes: number,
    report?: (report: StoreReport) => void,
  ) {
    this.#db = db;
    this.#report = report;
  }

  /** Whether a round is under way: the database is still above 90% of the budget. */
  get trimming(): boolean {
    return this.#trimming;
  }

  /**
   * Runs {@linkcode DiskBudget.trim}; a failure (a full disk can refuse a
   * delete too) ends the round and is reported, never thrown.
   *
   * @returns whether the round goes on (call again later)
   */
  trimSafely(sliceMs: number): boolean {
    try {
      return this.trim(sliceMs);
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // No transaction was open.
      }
      this.#trimming = false;
      this.#report?.({ kind: "trim_failed", error: error as Error });
      return false;
    }
  }

  /**
   * Past the budget, deletes the oldest messages of all rooms and the oldest
   * private messages, a batch at a time, until the database holds at most
   * 90% of it. Over the budget itself it deletes until it is within it,
   * whatever the time; below that it spends at most `sliceMs` (Infinity:
   * until done). A slice alone let writes on a loaded machine outrun it:
   * the database was found at 2 MB for a 1 MB budget.
   *
   * @returns whether the round goes on (call again later)
   */
  trim(sliceMs: number): boolean {
    const maxBytes = this.maxBytes;
    let used = usedBytes(this.#db);
    if (!this.#trimming && used <= maxBytes) return false;
    this.#trimming = true;
    const target = maxBytes * 0.9;
    const deadline = performance.now() + sliceMs;
    while (used > target && (used > maxBytes || performance.now() < deadline)) {
      const cutoff = this.#cutoff(this.#batch);
      if (cutoff === undefined) break; // Nothing left to delete: the rest is not messages.
      this.#db.exec("BEGIN");
      let removed = Number(
        this.#db.prepare("DELETE FROM messages WHERE ts <= ?").run(cutoff).changes,
      );
      removed += Number(
        this.#db.prepare("DELETE FROM private_messages WHERE ts <= ?").run(cutoff).changes,
      );
      this.#db.exec("COMMIT");
      this.#trimmed += removed;
      const now = usedBytes(this.#db);
      // Size the next batch to what is left, from what this one freed per message.
      const perMessage = Math.max(64, (used - now) / Math.max(1, removed));
      this.#batch = Math.min(20_000, Math.max(1, Math.ceil((now - target) / perMessage)));
      used = now;
    }
    if (used > target && this.#cutoff(1) !== undefined) return true; // Not done in this slice.
    this.#trimming = false;
    if (this.#trimmed > 0) {
      this.#report?.({ kind: "trimmed", removed: this.#trimmed, usedBytes: used, maxBytes });
    }
    this.#trimmed = 0;
    return false;
  }

  /**
   * The time stamp up to which deleting removes the `count` oldest messages,
   * of rooms and private ones together (a merge of their time indexes); the
   * newest of all when there are fewer; undefined when there are none.
   */
  #cutoff(count: number): number | undefined {
    const nth = this.#db.prepare(
      "SELECT ts FROM messages UNION ALL SELECT ts FROM private_messages ORDER BY 1 LIMIT 1 OFFSET ?",
    ).get(count - 1) as { ts: number } | undefined;
    if (nth) return Number(nth.ts);
    const newest = this.#db.prepare(
      "SELECT max(ts) AS ts FROM (SELECT max(ts) AS ts FROM messages UNION ALL SELECT max(ts) FROM private_messages)",
    ).get() as { ts: number | null };
    return newest.ts === null ? undefined : Number(newest.ts);
  }
}
