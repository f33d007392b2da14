/**
 * Presence: who is online, under which nick, and where a direct message to
 * them goes. It is a directory, apart from the local session: an entry is
 * anything with a nick and a sink ({@linkcode Present}), which on one server
 * is the local {@linkcode Member}; in a cluster an entry for someone on
 * another server would carry a sink that publishes to that server.
 *
 * @module
 */

import { lookAlikeSkeletons } from "../confusable.ts";
import type { ByeEvent, LeaveReason } from "../events.ts";
import type { Member, MemberSink } from "../member.ts";
import type { Room } from "../room.ts";

/** What presence knows of someone online. */
export interface Present {
  /** The nick as shown. */
  readonly nick: string;
  /** The folded nick it is found under (`foldNick`). */
  readonly foldedNick: string;
  /** Where events for them go (a direct message, a notice). */
  readonly sink: MemberSink;
}

/** Who is online under which (folded) nick; look-alikes included. */
export interface Presence<P extends Present = Member> {
  /** How many are online. */
  readonly size: number;
  /** The one online under a folded nick. */
  find(folded: string): P | undefined;
  /** The first one online whose nick has this look-alike skeleton ({@linkcode lookAlikeSkeletons}). */
  findLookAlike(skeleton: string): P | undefined;
  /** Everyone online, in arrival order. */
  all(): Iterable<P>;
  /** Puts an entry online under its nick. */
  add(entry: P): void;
  /** Takes an entry offline, if it is the one online under its nick. */
  remove(entry: P): void;
  /** Moves an entry to a new nick: `change` renames it while it is off the index. */
  rename(entry: P, change: () => void): void;
  /** Forgets everyone (the server is shutting down). */
  clear(): void;
  /**
   * Claims `nick` (folded: `folded`) where others could race for it (a
   * cluster): settles once this node holds it, or rejects with a
   * `NickError` when someone else does. `fingerprint` may take over a nick
   * held by a session with the same key (a ghost). `member` is the one
   * renaming, undefined for a newcomer. Absent in one process, where the
   * synchronous checks decide.
   */
  reserve?(nick: string, folded: string, fingerprint?: string, member?: P): Promise<void>;
  /** Gives up a reservation that no join or rename followed. */
  release?(folded: string): void;
  /** A member here changed what others see of it (rooms, away). */
  changed?(entry: P): void;
  /** Hands presence what it acts through on members of other nodes (the hub calls it once). */
  bind?(roster: PresenceRoster): void;
  /** This node's name when presence is shared by a cluster's nodes (operators' `/whois`). */
  readonly node?: string;
}

/**
 * What the hub lets a shared presence do with members of other nodes and
 * with its own members on another node's request.
 */
export interface PresenceRoster {
  /** Puts a member of another node in exactly the rooms named (made here if new), quietly. */
  place(member: Member, rooms: readonly string[]): void;
  /** Takes a member of another node out of every room here, quietly. */
  withdraw(member: Member): void;
  /** Tells this node's members sharing a room that a member of another node changed nick. */
  renamed(member: Member, old: string): void;
  /** A member of another node went away or came back. */
  away(member: Member, message: string | undefined): void;
  /** Announces in the room log that a member of a node that died left `rooms`. */
  announceLeave(member: Member, rooms: readonly Room[], reason: LeaveReason, message: string): void;
  /** Disconnects a member here (another node's operator kicked it, or its nick was taken over). */
  disconnect(
    member: Member,
    reason: LeaveReason,
    message: string | undefined,
    bye: ByeEvent | undefined,
    banned: boolean,
  ): void;
}

/** Presence in this process: two maps, nothing shared. */
export class LocalPresence<P extends Present = Member> implements Presence<P> {
  readonly #byNick = new Map<string, P>();
  readonly #byLookAlike = new Map<string, P>();

  get size(): number {
    return this.#byNick.size;
  }

  find(folded: string): P | undefined {
    return this.#byNick.get(folded);
  }

  findLookAlike(skeleton: string): P | undefined {
    return this.#byLookAlike.get(skeleton);
  }

  all(): Iterable<P> {
    return this.#byNick.values();
  }

  add(entry: P): void {
    this.#byNick.set(entry.foldedNick, entry);
    this.#index(entry);
  }

  remove(entry: P): void {
    if (this.#byNick.get(entry.foldedNick) === entry) this.#byNick.delete(entry.foldedNick);
    this.#unindex(entry);
  }

  rename(entry: P, change: () => void): void {
    this.#byNick.delete(entry.foldedNick);
    this.#unindex(entry);
    change();
    this.#index(entry);
    this.#byNick.set(entry.foldedNick, entry);
  }

  clear(): void {
    this.#byNick.clear();
    this.#byLookAlike.clear();
  }

  #index(entry: P): void {
    // Indexed, not for-of: each join runs it, and the iterator's results were garbage.
    const skeletons = lookAlikeSkeletons(entry.nick);
    for (let i = 0; i < skeletons.length; i++) {
      if (!this.#byLookAlike.has(skeletons[i])) this.#byLookAlike.set(skeletons[i], entry);
    }
  }

  #unindex(entry: P): void {
    for (const look of lookAlikeSkeletons(entry.nick)) {
      if (this.#byLookAlike.get(look) === entry) this.#byLookAlike.delete(look);
    }
  }
}
