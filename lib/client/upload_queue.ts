/**
 * The terminal clients' uploads, queued to the server's limits (issue 18):
 * at most {@linkcode UPLOADS_AT_ONCE} at a time, the others waiting for
 * their turn, and one refused for the rate (429) sent again after the wait
 * the server names, so that a script of many `/send` lines sends them all.
 *
 * @module
 */

import { TransferError } from "./file_transfer.ts";

/** Uploads under way at once: the server's own limit per address and per nick. */
export const UPLOADS_AT_ONCE = 2;
/** An upload refused for the rate waits at most this long in all before it fails. */
export const MAX_WAIT_MS = 5 * 60_000;
/** The shortest wait between two tries of one upload, in ms. */
export const MIN_RETRY_MS = 1_000;
/** The most tries of one upload the server asks to send again. */
export const MAX_TRIES = 30;

/** What {@linkcode UploadQueue.run} is told. */
export interface QueuedUpload {
  /** Aborting takes it out of the queue, or cancels the wait. */
  signal?: AbortSignal;
  /**
   * Told once, the first time the upload has to wait: why, in words
   * (the server's own for a 429).
   */
  onWaiting?: (why: string) => void;
  /** Told whenever it starts or stops waiting. */
  onWaitChange?: (waiting: boolean) => void;
}

/** Waits `ms`, or rejects when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs uploads a few at a time, and again after a refusal for the rate. */
export class UploadQueue {
  #active = 0;
  readonly #turns: (() => void)[] = [];

  /**
   * A queue of `atOnce` uploads at a time.
   *
   * @param atOnce uploads under way at once @default {UPLOADS_AT_ONCE}
   * @param wait how a pause is waited (tests may shorten it) @default {pause}
   */
  constructor(
    readonly atOnce: number = UPLOADS_AT_ONCE,
    readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = pause,
  ) {}

  /** Uploads under way now (not those waiting for their turn). */
  get active(): number {
    return this.#active;
  }

  /**
   * Runs `upload` when its turn comes, and again after each refusal that
   * says how long to wait (`TransferError.retryMs`), until it is taken, is
   * refused otherwise, or has waited {@linkcode MAX_WAIT_MS} in all.
   *
   * @throws {TransferError} `cancelled` when `signal` aborts while it waits; the upload's own failure
   */
  async run<T>(upload: () => Promise<T>, options: QueuedUpload = {}): Promise<T> {
    const { signal, onWaiting, onWaitChange } = options;
    let told = false;
    const waiting = (why: string) => {
      if (!told) onWaiting?.(why);
      told = true;
      onWaitChange?.(true);
    };
    if (this.#active >= this.atOnce) {
      waiting(`the server takes ${this.atOnce} uploads at once`);
      await this.#turn(signal); // The slot is handed over: `#active` counts it already.
      onWaitChange?.(false);
    } else this.#active++;
    try {
      let waited = 0;
      for (let tries = 1;; tries++) {
        try {
          return await upload();
        } catch (error) {
          const asked = error instanceof TransferError ? error.retryMs : undefined;
          if (asked === undefined || signal?.aborted || tries >= MAX_TRIES) throw error;
          // At least a second between tries, whatever a server says (0 s, 1 ms): each try may
          // send the whole file again; the waits actually made count against the cap.
          const ms = Math.max(asked, MIN_RETRY_MS);
          if (waited + ms > MAX_WAIT_MS) throw error;
          waiting((error as Error).message);
          await this.wait(ms, signal);
          onWaitChange?.(false);
          waited += ms;
        }
      }
    } finally {
      const next = this.#turns.shift();
      if (next) next();
      else this.#active--;
    }
  }

  /** Resolves when an upload under way ends and hands its slot over; rejects `cancelled` when `signal` aborts first. */
  #turn(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled());
      const go = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.#turns.indexOf(go);
        if (at >= 0) this.#turns.splice(at, 1);
        reject(cancelled());
      };
      this.#turns.push(go);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

function cancelled(): TransferError {
  return new TransferError("cancelled", "cancelled");
}
