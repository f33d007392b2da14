/**
 * Where nick registrations and bans are kept: the sibling of
 * {@linkcode HistoryStore} for who may be here. The hub calls it
 * synchronously and rarely (a join, a rename, an operator's command), so an
 * implementation writes through at once; `lib/store` has the SQLite one,
 * and {@linkcode MemoryAccessStore} keeps them for one run.
 *
 * @module
 */

import { ChatError } from "../../errors.ts";
import type { BanEntry } from "../events.ts";

/** A nick bound to the key that registered it. */
export interface Registration {
  /** The nick as registered (its folded form is the key it is stored under). */
  nick: string;
  /** `SHA256:...` of the owner's key. */
  fingerprint: string;
  ts: number;
}

/** Nick registrations and bans, kept across restarts by a persistent store. */
export interface AccessStore {
  /** The registration of a nick (by its folded key), if any. */
  registration(nickKey: string): Registration | undefined;
  /** How many nicks a key has registered. */
  registrationCount(fingerprint: string): number;
  /** Binds a nick (by folded key) to a key; replaces an existing binding. */
  register(nickKey: string, registration: Registration): void;
  /**
   * Every registration, read once when a hub starts to know which nicks a
   * newcomer's nick must not look like.
   */
  registrations(): Iterable<Registration>;
  /** Frees a nick; returns whether it was registered. */
  unregister(nickKey: string): boolean;
  /** Adds (or replaces) a ban. */
  addBan(ban: BanEntry): void;
  /** Lifts a ban; returns whether there was one. */
  removeBan(kind: BanEntry["kind"], value: string): boolean;
  /** The ban that applies to a key or an address, if any (the key's first). */
  findBan(fingerprint: string | undefined, address: string | undefined): BanEntry | undefined;
  /** Every ban, oldest first. */
  bans(): BanEntry[];
}

/** Registrations and bans in memory: for `--no-persist` and tests. */
export class MemoryAccessStore implements AccessStore {
  readonly #registrations = new Map<string, Registration>();
  readonly #bans = new Map<string, BanEntry>();

  registration(nickKey: string): Registration | undefined {
    return this.#registrations.get(nickKey);
  }

  registrationCount(fingerprint: string): number {
    let count = 0;
    for (const r of this.#registrations.values()) if (r.fingerprint === fingerprint) count++;
    return count;
  }

  registrations(): Iterable<Registration> {
    return this.#registrations.values();
  }

  register(nickKey: string, registration: Registration): void {
    this.#registrations.set(nickKey, registration);
  }

  unregister(nickKey: string): boolean {
    return this.#registrations.delete(nickKey);
  }

  addBan(ban: BanEntry): void {
    const id = `${ban.kind} ${ban.value}`;
    this.#bans.delete(id);
    this.#bans.set(id, ban);
  }

  removeBan(kind: BanEntry["kind"], value: string): boolean {
    return this.#bans.delete(`${kind} ${value}`);
  }

  findBan(fingerprint: string | undefined, address: string | undefined): BanEntry | undefined {
    return (fingerprint ? this.#bans.get(`key ${fingerprint}`) : undefined) ??
      (address ? this.#bans.get(`ip ${address}`) : undefined);
  }

  bans(): BanEntry[] {
    return [...this.#bans.values()];
  }
}

/**
 * Runs an access-store call; a failing store refuses the request (as
 * `store_error`) instead of crashing.
 *
 * @throws {ChatError} `store_error` wrapping what the store threw
 */
export function readAccess<T>(action: () => T): T {
  try {
    return action();
  } catch (cause) {
    if (cause instanceof ChatError) throw cause;
    throw new ChatError(
      "store_error",
      "Nick registrations and bans are not available right now; try again later",
      { cause },
    );
  }
}
