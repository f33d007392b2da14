/**
 * The slowest upload the server takes (issue 18): one that sends nothing
 * for a while, or trickles under a floor on average, holds a slot of the
 * member's and a temporary file for ever; {@linkcode UploadPace} says when
 * to cut it, and why, in words for the sender.
 *
 * @module
 */

import { formatSize } from "../core/file_name.ts";
import type { UploadFloor } from "./file_sharing.ts";
import { Interrupt } from "../core/interrupt.ts";

/** Follows one upload's bytes against an {@linkcode UploadFloor}. */
export class UploadPace {
  readonly #floor: UploadFloor;
  readonly #started: number;
  #last: number;
  #total = 0;
  /** `[time, total]` samples, oldest first, reaching back at least one window. */
  readonly #marks: [number, number][] = [];

  /** Starts following at `now` (ms). */
  constructor(floor: UploadFloor, now: number) {
    this.#floor = floor;
    this.#started = now;
    this.#last = now;
    this.#marks.push([now, 0]);
  }

  /** How often {@linkcode UploadPace.check} should run, in ms. */
  get interval(): number {
    return Math.max(10, Math.min(1000, this.#floor.idleMs / 4, this.#floor.windowMs / 10));
  }

  /** `bytes` arrived at `now`. */
  received(bytes: number, now: number): void {
    this.#total += bytes;
    this.#last = now;
  }

  /** Why the upload is too slow at `now`, or undefined while it keeps the pace. */
  check(now: number): string | undefined {
    const { idleMs, windowMs, minBytesPerSecond } = this.#floor;
    if (now - this.#last >= idleMs) {
      return `The upload was cut: no data for ${seconds(idleMs)}`;
    }
    this.#marks.push([now, this.#total]);
    while (this.#marks.length > 1 && this.#marks[1][0] <= now - windowMs) this.#marks.shift();
    if (now - this.#started < windowMs) return undefined;
    const [since, before] = this.#marks[0];
    const rate = ((this.#total - before) * 1000) / Math.max(now - since, 1);
    if (rate >= minBytesPerSecond) return undefined;
    return `The upload was cut: ${formatSize(rate)}/s over the last ${
      seconds(windowMs)
    }, the least taken is ${formatSize(minBytesPerSecond)}/s`;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * An upload's body that can be cut while a read waits: `cut(error)` makes
 * the read under way (or the next) throw `error`. `onChunk` sees each
 * chunk first.
 *
 * Each read waits on a promise of its own, never a race against one promise
 * that stays pending until the cut: every such race leaves a reaction on it
 * that holds the race's result, its chunk, until the upload ends (ten 100
 * MiB uploads at once kept 1 GB alive that way).
 */
export function cuttable<T>(
  source: AsyncIterable<T>,
  onChunk: (chunk: T) => void,
): { chunks: AsyncGenerator<T>; cut(error: Error): void } {
  let cutBy: Error | undefined;
  const interrupt = new Interrupt();
  const chunks = (async function* () {
    const reads = source[Symbol.asyncIterator]();
    while (true) {
      const next = await interrupt.wait(reads.next());
      if (!next) throw cutBy!;
      if (next.done) return;
      onChunk(next.value);
      yield next.value;
    }
  })();
  return {
    chunks,
    cut(error) {
      cutBy ??= error;
      interrupt.fire();
    },
  };
}
