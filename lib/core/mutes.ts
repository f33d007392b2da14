/**
 * Mutes: who may not speak, by key (its fingerprint), by address, or (with neither) by
 * member, and until when. Kept in a {@linkcode MuteStore}: the hub's memory
 * by default (a restart lifts every mute), a NATS bucket in a cluster.
 *
 * @module
 */

import { ChatError } from "./errors.ts";
import type { Member } from "./member.ts";
import { MemoryMuteStore, type MuteStore } from "./state/mute_store.ts";

/** Longest `/mute`, in minutes (a week). */
export const MAX_MUTE_MINUTES = 7 * 24 * 60;

/** Mutes by `fingerprint <SHA256:...>`, `ip <address>` or `member <id>`, each with its end. */
export class Mutes {
  readonly #store: MuteStore;
  readonly #now: () => number;

  /** Reads the time from `now`; keeps the mutes in `store`. */
  constructor(now: () => number, store: MuteStore = new MemoryMuteStore()) {
    this.#now = now;
    this.#store = store;
  }

  /**
   * The mute ids of a member: its key's fingerprint and, unless
   * `fingerprintOnly`, its address
   * (or, with neither, its id).
   */
  static idsOf(member: Member, fingerprintOnly = false): string[] {
    const ids = [];
    if (member.fingerprint) ids.push(`fingerprint ${member.fingerprint}`);
    if (member.address && !fingerprintOnly) ids.push(`ip ${member.address}`);
    if (ids.length === 0) ids.push(`member ${member.id}`);
    return ids;
  }

  /**
   * Mutes every id until `until` (ms since the epoch; Infinity for good), as
   * operator `by`; a promise when the store writes elsewhere (resolves once kept).
   */
  add(ids: readonly string[], until: number, by?: string): void | Promise<void> {
    return settle(ids.map((id) => this.#store.set({ id, until, ...(by ? { by } : {}) })));
  }

  /** Lifts the running mutes of a member's key and address (as `add`, from `by`). */
  lift(member: Member, by?: string): void | Promise<void> {
    const now = this.#now();
    const ids = Mutes.idsOf(member).filter((id) => (this.#store.until(id) ?? 0) > now);
    return this.add(ids, 0, by);
  }

  /**
   * Until when a member is muted (ms), or undefined; forgets mutes that ran
   * out. An operator is muted by its key only (which cannot be muted): like
   * a ban, a mute of its address does not reach it.
   */
  until(member: Member): number | undefined {
    // Every message asks: with no mute at all, its sender's ids are not built.
    if (this.#store.empty?.()) return undefined;
    let until: number | undefined;
    for (const id of Mutes.idsOf(member, member.operator)) {
      const end = this.#store.until(id);
      if (end === undefined) continue;
      if (end <= this.#now()) this.#store.expire?.(id, end);
      else until = Math.max(until ?? 0, end);
    }
    return until;
  }

  /**
   * Refuses what a muted member tries to say.
   *
   * @throws {ChatError} `muted`, saying for how long and `what` became of it
   */
  refuse(member: Member, what = "your message was not sent"): void {
    const until = this.until(member);
    if (until === undefined) return;
    const left = until === Infinity
      ? "until an operator unmutes you"
      : `for ${Math.ceil((until - this.#now()) / 60_000)} more minute(s)`;
    throw new ChatError("muted", `You are muted ${left}; ${what}`);
  }
}

/** Nothing when every write was synchronous, else one promise for them all. */
function settle(writes: (void | Promise<void>)[]): void | Promise<void> {
  const pending = writes.filter((w): w is Promise<void> => w instanceof Promise);
  if (pending.length) return Promise.all(pending).then(() => {});
}
