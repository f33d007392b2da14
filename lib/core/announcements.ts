/**
 * How often joins and leaves are announced in a room: within a rate, one by
 * one; past it, counted and told in one notice when the room may hear
 * announcements again (someone joining and quitting from many addresses must
 * not bury a room in join and leave lines).
 *
 * @module
 */

import type { Room } from "./room.ts";
import { TokenBucket } from "./token_bucket.ts";

/** The allowance of announcements per room: `burst` at once, then `rate` a second. */
export interface AnnounceRate {
  /** Announcements a second, once the burst is spent. */
  rate: number;
  /** Announcements at once. */
  burst: number;
}

/** Per room, the announcements allowed and those held back. */
export class Announcements {
  readonly #rate: AnnounceRate | false;
  readonly #now: () => number;
  readonly #quiet = new WeakMap<Room, { bucket: TokenBucket; joins: number; leaves: number }>();
  /** Rooms with held-back announcements to sum up. */
  readonly #quietRooms = new Set<Room>();

  /** `false` announces every join and leave. */
  constructor(rate: AnnounceRate | false, now: () => number) {
    this.#rate = rate;
    this.#now = now;
  }

  /**
   * Whether a join or leave may be announced in `room` now, after saying how
   * many were held back; past the rate, it is counted instead.
   */
  may(room: Room, kind: "join" | "leave"): boolean {
    const rate = this.#rate;
    if (!rate) return true;
    let quiet = this.#quiet.get(room);
    if (!quiet) {
      this.#quiet.set(
        room,
        quiet = { bucket: new TokenBucket(rate, this.#now), joins: 0, leaves: 0 },
      );
    }
    if (quiet.bucket.take()) {
      this.#sayHeldBack(room);
      return true;
    }
    if (kind === "join") quiet.joins++;
    else quiet.leaves++;
    this.#quietRooms.add(room);
    return false;
  }

  /** Sums up held-back joins and leaves of rooms that may announce again. */
  tick(): void {
    for (const room of this.#quietRooms) {
      if (this.#quiet.get(room)?.bucket.take()) this.#sayHeldBack(room);
    }
  }

  /** Tells a room how many joins and leaves were not announced one by one. */
  #sayHeldBack(room: Room): void {
    const quiet = this.#quiet.get(room);
    this.#quietRooms.delete(room);
    if (!quiet || quiet.joins + quiet.leaves === 0) return;
    const message = `${quiet.joins} joined and ${quiet.leaves} left ${room.name} ` +
      "(too many at once to show one by one)";
    quiet.joins = quiet.leaves = 0;
    for (const member of room.members) member.sink.deliver({ type: "notice", message });
  }
}
