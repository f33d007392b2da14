/**
 * Keeps a flood from becoming a flood of log lines: records that anyone on
 * the network can cause (refused connections, failed handshakes, timeouts)
 * are written at most `burst` times per kind in each window; the rest are
 * counted and summed up in one line when the window ends.
 *
 * @module
 */

import type { LogRecord } from "./log_record.ts";

/** Settings of a {@linkcode LogLimiter}. */
export interface LogLimiterOptions {
  /**
   * The kind a record counts as, or undefined for records that are always
   * written.
   * @default {event and reason of the records listed in LIMITED_EVENTS}
   */
  kindOf?: (record: LogRecord) => string | undefined;
  /**
   * Length of a window in ms.
   * @default {10000}
   */
  windowMs?: number;
  /**
   * Records of one kind written per window before the rest are counted.
   * @default {5}
   */
  burst?: number;
  /** The clock (ms). @default {Date.now} */
  now?: () => number;
}

/** Events that strangers can cause at will, so they are rate-limited by default. */
export const LIMITED_EVENTS: ReadonlySet<string> = new Set([
  "refused",
  "evicted",
  "limit",
  "denied",
  "tls_error",
  "timeout",
  "drop",
]);

/** How many times a kind's burst joins and leaves of all addresses may take together. */
const EVERYONE = 10;

function defaultKind(record: LogRecord): string | undefined {
  if (LIMITED_EVENTS.has(record.event)) return `${record.event}|${record.reason ?? ""}`;
  // Connections that never joined are as cheap to make as refused ones.
  if (record.event === "disconnect" && record.nick === undefined) return "disconnect|unjoined";
  // Joins and leaves, per address: someone joining and quitting in a loop.
  if (record.event === "join" || record.event === "disconnect") {
    return `${record.event}|${addressOf(record.remote)}`;
  }
  return undefined;
}

/** `192.168.1.7` of `192.168.1.7:51234`, `::1` of `[::1]:51234`. */
function addressOf(remote: string | number | undefined): string {
  const text = String(remote ?? "");
  return /^\[(.*)\]:\d+$/.exec(text)?.[1] ?? text.replace(/:\d+$/, "");
}

interface Window {
  start: number;
  written: number;
  suppressed: number;
  /** The last suppressed record, the template of the summary line. */
  last?: LogRecord;
}

/** Wraps a log function; see the module doc. */
export class LogLimiter {
  readonly #write: (record: LogRecord) => void;
  readonly #kindOf: (record: LogRecord) => string | undefined;
  readonly #windowMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(write: (record: LogRecord) => void, options: LogLimiterOptions = {}) {
    this.#write = write;
    this.#kindOf = options.kindOf ?? defaultKind;
    this.#windowMs = options.windowMs ?? 10_000;
    this.#burst = options.burst ?? 5;
    this.#now = options.now ?? Date.now;
  }

  /** Writes the record, or counts it when its kind has used up its window. */
  readonly log = (record: LogRecord): void => {
    const kind = this.#kindOf(record);
    if (kind === undefined) {
      this.#write(record);
      return;
    }
    const now = this.#now();
    // Joins and leaves also share one window of all addresses: many
    // addresses, each within its own, must not fill the log either.
    const everyone = record.event === "join" || record.event === "disconnect"
      ? this.#window(`${record.event}|*`, now)
      : undefined;
    const window = this.#window(kind, now);
    if (everyone && everyone.written >= this.#burst * EVERYONE) {
      everyone.suppressed++;
      everyone.last = record;
    } else if (window.written < this.#burst) {
      window.written++;
      if (everyone) everyone.written++;
      this.#write(record);
    } else {
      window.suppressed++;
      window.last = record;
    }
  };

  /** The current window of `kind` (a new one after the last has ended, summed up first). */
  #window(kind: string, now: number): Window {
    let window = this.#windows.get(kind);
    if (window && now - window.start >= this.#windowMs) {
      this.#summarise(kind, window);
      window = undefined;
    }
    if (!window) this.#windows.set(kind, window = { start: now, written: 0, suppressed: 0 });
    return window;
  }

  /** Writes the summary of every window that has ended (call it now and then). */
  flush(): void {
    const now = this.#now();
    for (const [kind, window] of this.#windows) {
      if (now - window.start >= this.#windowMs) this.#summarise(kind, window);
    }
  }

  /** Writes the summary of every window, ended or not (at shutdown). */
  close(): void {
    for (const [kind, window] of this.#windows) this.#summarise(kind, window);
  }

  #summarise(kind: string, window: Window): void {
    this.#windows.delete(kind);
    if (window.suppressed === 0 || !window.last) return;
    const seconds = Math.max(1, Math.round((this.#now() - window.start) / 1000));
    const { level, event, reason, what } = window.last;
    const address = !kind.endsWith("|*") &&
        (event === "join" || (event === "disconnect" && window.last.nick !== undefined))
      ? addressOf(window.last.remote)
      : undefined;
    this.#write({
      level,
      event,
      reason,
      ...(what !== undefined ? { what } : {}),
      remote: address,
      suppressed: window.suppressed,
      detail: `${window.suppressed} more like this in ${seconds} s, not logged one by one`,
    });
  }
}
