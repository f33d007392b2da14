/**
 * The SQLite store's write-behind buffer: accepted messages wait here until
 * a write takes them. While writes fail it stays within its bound in bytes by
 * dropping the oldest, counts every message it drops, and says what to log.
 *
 * @module
 */

import type { StoreReport } from "./store_report.ts";

/** While writes fail, a changed count is reported again after this many retries (or at once after 0). */
const REPORT_EVERY_RETRIES = 10;

/** Settings of a {@linkcode WriteBuffer}. */
export interface WriteBufferOptions {
  /** Most bytes that wait while writes fail; past it the oldest are dropped, and counted. */
  maxPendingBytes: number;
  /** Hears failed writes (now and then), the recovery, and at the end what was lost. */
  report?: (report: StoreReport) => void;
}

/**
 * Items waiting to be written, oldest first, each weighing `bytes`, and the
 * accounting of a failing disk: the owner writes {@linkcode WriteBuffer.items}
 * and calls {@linkcode WriteBuffer.written} or {@linkcode WriteBuffer.failed}.
 */
export class WriteBuffer<T extends { readonly bytes: number }> {
  readonly #options: WriteBufferOptions;
  #items: T[] = [];
  #bytes = 0;
  /** Set while writes fail. */
  #failing = false;
  /** Failed retries in a row, and the retry and count last reported. */
  #retries = 0;
  #reported = { retry: 0, count: 0, dropped: 0 };
  #lastError: Error | undefined;
  /** Items dropped (too many waiting while writes failed): in this failure, and in all. */
  #droppedNow = 0;
  #droppedInAll = 0;

  /** An empty buffer bounded by `options.maxPendingBytes` while writes fail. */
  constructor(options: WriteBufferOptions) {
    this.#options = options;
  }

  /** The items waiting, oldest first. */
  get items(): readonly T[] {
    return this.#items;
  }

  /** How many items wait. */
  get length(): number {
    return this.#items.length;
  }

  /** The bytes of the items waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the last write failed (and no write has worked since). */
  get failing(): boolean {
    return this.#failing;
  }

  /** Adds an item; while writes fail, drops the oldest past the bound. */
  add(item: T): void {
    this.#items.push(item);
    this.#bytes += item.bytes;
    if (this.#failing && this.#bytes > this.#options.maxPendingBytes) this.#dropOldest();
  }

  /** Every item waiting was written: empties the buffer and reports a recovery. */
  written(): void {
    const written = this.#items.length;
    this.#items = [];
    this.#bytes = 0;
    if (!this.#failing) return;
    this.#options.report?.({ kind: "recovered", written, dropped: this.#droppedNow });
    this.#failing = false;
    this.#retries = 0;
    this.#droppedNow = 0;
  }

  /** A write failed: keeps the items (within the bound) and reports it, now and then. */
  failed(error: Error): void {
    this.#lastError = error;
    if (this.#bytes > this.#options.maxPendingBytes) this.#dropOldest();
    const count = this.#items.length + this.#droppedNow;
    const retry = this.#failing ? ++this.#retries : 0;
    // Said again at the next retry once items wait or start to be dropped, else now and then.
    const reported = this.#reported;
    const changed = count !== reported.count && (
      reported.count === 0 || (this.#droppedNow > 0 && reported.dropped === 0) ||
      retry - reported.retry >= REPORT_EVERY_RETRIES
    );
    if (!this.#failing || changed) {
      this.#reported = { retry, count, dropped: this.#droppedNow };
      this.#options.report?.({
        kind: "write_failed",
        error,
        pending: this.#items.length,
        dropped: this.#droppedNow,
      });
    }
    this.#failing = true;
  }

  /** At the end: empties the buffer and reports how many items were never written, if any. */
  discard(): void {
    const lost = this.#items.length + this.#droppedInAll;
    if (lost > 0) this.#options.report?.({ kind: "lost", lost, error: this.#lastError });
    this.#items = [];
  }

  /** Drops the oldest items down to three quarters of the bound (one cut, not one per add). */
  #dropOldest(): void {
    const target = this.#options.maxPendingBytes * 0.75;
    let cut = 0;
    let bytes = this.#bytes;
    while (cut < this.#items.length - 1 && bytes > target) bytes -= this.#items[cut++].bytes;
    this.#items.splice(0, cut);
    this.#bytes = bytes;
    this.#droppedNow += cut;
    this.#droppedInAll += cut;
  }
}
