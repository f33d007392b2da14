/**
 * Mutes: who may not speak, by key (its fingerprint), by address, or (with neither) by
 * member, and until when. Kept in the hub's memory only: a restart lifts
 * every mute.
 *
 * @module
 */

import { ChatError } from "./errors.ts";
import type { Member } from "./member.ts";

/** Longest `/mute`, in minutes (a week). */
export const MAX_MUTE_MINUTES = 7 * 24 * 60;

/** Mutes by `fingerprint <SHA256:...>`, `ip <address>` or `member <id>`, each with its end. */
export class Mutes {
  /** Until when (ms; Infinity: until /unmute), by mute id. */
  readonly #until = new Map<string, number>();
  readonly #now: () => number;

  /** Reads the time from `now`. */
  constructor(now: () => number) {
    this.#now = now;
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

  /** Mutes every id until `until` (ms since the epoch; Infinity for good). */
  add(ids: readonly string[], until: number): void {
    for (const id of ids) this.#until.set(id, until);
  }

  /** Lifts the mutes of a member's key and address. */
  lift(member: Member): void {
    for (const id of Mutes.idsOf(member)) this.#until.delete(id);
  }

  /**
   * Until when a member is muted (ms), or undefined; forgets mutes that ran
   * out. An operator is muted by its key only (which cannot be muted): like
   * a ban, a mute of its address does not reach it.
   */
  until(member: Member): number | undefined {
    let until: number | undefined;
    for (const id of Mutes.idsOf(member, member.operator)) {
      const end = this.#until.get(id);
      if (end === undefined) continue;
      if (end <= this.#now()) this.#until.delete(id);
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
