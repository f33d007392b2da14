/**
 * Timers that all wait the same delay, behind one `setTimeout`: set in
 * order, they come due in the same order, so a line of them needs only one
 * real timer, for the one at its head. Every connection starts one (the
 * text greeting for a silent peer, `first_bytes.ts`), and a `setTimeout`
 * with its `clearTimeout` for each of 10,000 clients connecting at once
 * was a few percent of the connect and a kilobyte of garbage each.
 *
 * @module
 */

/** A timer in a {@linkcode DelayLine}: cleared once its callback is gone. */
export interface DelayTimer {
  /** When it comes due, on `performance.now()`'s clock. */
  readonly due: number;
  /** What it runs; undefined once it ran or was cleared. */
  callback: (() => void) | undefined;
}

/**
 * The longest wait a timer takes (a longer one fires at once, with a warning): a
 * longer delay waits in steps of this, so an unbounded one never spins.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Most timers gone by in the line's array before it is compacted. */
const COMPACT_AFTER = 1024;

/** See the module doc. */
export class DelayLine {
  readonly #timers: (DelayTimer | undefined)[] = [];
  #head = 0;
  /** Timers set and neither run nor cleared. */
  #live = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @param delayMs how long every timer of the line waits */
  constructor(readonly delayMs: number) {}

  /** Runs `callback` in `delayMs`, as `setTimeout(callback, delayMs)` would. */
  set(callback: () => void): DelayTimer {
    const timer: DelayTimer = { due: performance.now() + this.delayMs, callback };
    this.#timers.push(timer);
    this.#live++;
    this.#timer ??= setTimeout(this.#fire, Math.min(this.delayMs, MAX_TIMER_MS));
    return timer;
  }

  /** Cancels `timer` if it has not run; the real timer goes when no timer is left. */
  clear(timer: DelayTimer | undefined): void {
    if (timer?.callback === undefined) return;
    timer.callback = undefined;
    if (--this.#live === 0) this.#reset();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const timers = this.#timers;
    const now = performance.now();
    while (this.#head < timers.length) {
      const timer = timers[this.#head]!;
      if (timer.callback !== undefined && timer.due > now) break;
      timers[this.#head++] = undefined;
      const callback = timer.callback;
      if (callback === undefined) continue;
      timer.callback = undefined;
      this.#live--;
      callback();
    }
    // A callback that set a timer armed one for a whole delay: the head decides.
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#live === 0) return this.#reset();
    // Skip cleared ones at the head: the next one due decides.
    while (timers[this.#head]!.callback === undefined) timers[this.#head++] = undefined;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= timers.length) {
      timers.splice(0, this.#head);
      this.#head = 0;
    }
    const wait = Math.ceil(timers[this.#head]!.due - now);
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
  };

  #reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timers.length = 0;
    this.#head = 0;
  }
}
