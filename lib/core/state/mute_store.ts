/**
 * Where mutes are kept: the seam under {@linkcode Mutes} (lib/core/mutes.ts).
 * Every message, topic and nick change reads it, so the view is
 * synchronous; `/mute` and `/unmute` wait on the write. The default,
 * {@linkcode MemoryMuteStore}, keeps them for one run (a restart lifts every
 * mute); in a cluster the store is a NATS KV bucket shared by every node,
 * kept across restarts (lib/cluster/nats_mutes.ts).
 *
 * @module
 */

/** One mute: who (a mute id, `fingerprint ...`, `ip ...` or `member ...`), until when, by whom. */
export interface MuteEntry {
  /** The mute id (`Mutes.idsOf`). */
  id: string;
  /** Until when, ms since the epoch; Infinity until `/unmute`; at or before now: lifted. */
  until: number;
  /** The operator who muted (or unmuted) it. */
  by?: string;
}

/** A mute set or lifted on another node of a cluster, for the hub to tell its members. */
export interface MuteChange {
  /** The entry now in force (`until` in the past: lifted). */
  entry: MuteEntry;
  /** When the id was muted until before this change (undefined: not muted). */
  before: number | undefined;
}

/** Mutes by id, with their ends. */
export interface MuteStore {
  /** Until when an id is muted (ms), or undefined; may return a time already past. */
  until(id: string): number | undefined;
  /** Mutes (or, with an `until` already past, unmutes) an id; resolves once kept. */
  set(entry: MuteEntry): void | Promise<void>;
  /**
   * Forgets the mute of `id` if it still ends at `until` (it ran out). A
   * store shared by several nodes has none: it keeps an ended mute, which
   * reads as not muted (lib/cluster/nats_mutes.ts says why).
   */
  expire?(id: string, until: number): void;
  /**
   * Whether no id is muted at all (lifted entries may count as muted), so
   * that every message does not build and look up its sender's ids; a
   * store without it is asked id by id.
   */
  empty?(): boolean;
  /**
   * Hears mutes set or lifted elsewhere (another node), so the hub can tell
   * its own members; a store with no elsewhere has none.
   */
  follow?(listener: (change: MuteChange) => void): void;
}

/** Mutes in this process's memory: the default, lifted by a restart. */
export class MemoryMuteStore implements MuteStore {
  readonly #until = new Map<string, number>();

  until(id: string): number | undefined {
    return this.#until.get(id);
  }

  set(entry: MuteEntry): void {
    this.#until.set(entry.id, entry.until);
  }

  expire(id: string, until: number): void {
    if (this.#until.get(id) === until) this.#until.delete(id);
  }

  empty(): boolean {
    return this.#until.size === 0;
  }
}
