/**
 * Where nick registrations and bans are kept: the sibling of
 * {@linkcode HistoryStore} for who may be here. Joins and nick changes
 * read a synchronous view of it; commands (rare: `/register`, an
 * operator's `/ban`) wait on promises, and an implementation writes
 * through at once; `lib/store` has the SQLite one,
 * and {@linkcode MemoryAccessStore} keeps them for one run.
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { BanEntry } from "../events.ts";

/** A nick bound to the key that registered it. */
export interface Registration {
  /** The nick as registered (it is stored under its folded form, `foldNick`). */
  nick: string;
  /** `SHA256:...` of the owner's key. */
  fingerprint: string;
  /** When it was registered, milliseconds since the Unix epoch. */
  ts: number;
}

/**
 * The part of an {@linkcode AccessStore} that joins and nick changes read:
 * synchronous, from a view the store keeps current in memory (the SQLite
 * store loads it at open and updates it on every write; a NATS store would
 * keep it from a watch on its KV bucket).
 */
export interface AccessView {
  /** The registration of a nick (by its folded form), if any. */
  registration(folded: string): Registration | undefined;
  /**
   * Every registration, read once when a hub starts to know which nicks a
   * newcomer's nick must not look like.
   */
  registrations(): Iterable<Registration>;
  /** The ban that applies to a key (by fingerprint) or an address, if any (the key's first). */
  findBan(fingerprint: string | undefined, address: string | undefined): BanEntry | undefined;
}

/**
 * Nick registrations and bans, kept across restarts by a persistent store.
 * What users wait on (`/register`, `/unregister`, `/ban`, `/unban`, `/bans`)
 * returns a promise; what every join checks is the synchronous
 * {@linkcode AccessView}.
 */
export interface AccessStore extends AccessView {
  /** How many nicks a key has registered. */
  registrationCount(fingerprint: string): Promise<number>;
  /** Binds a nick (by its folded form) to a key; replaces an existing binding. */
  register(folded: string, registration: Registration): Promise<void>;
  /** Frees a nick; resolves to whether it was registered. */
  unregister(folded: string): Promise<boolean>;
  /** Adds (or replaces) a ban. */
  addBan(ban: BanEntry): Promise<void>;
  /** Lifts a ban; resolves to whether there was one. */
  removeBan(kind: BanEntry["kind"], value: string): Promise<boolean>;
  /** Every ban, oldest first. */
  bans(): Promise<BanEntry[]>;
  /**
   * Hears registrations and bans changed elsewhere (another node of a
   * cluster), so the hub can act on its own members; a store with no
   * elsewhere has none.
   */
  follow?(listener: (change: AccessChange) => void): void;
}

/** A registration or ban changed on another node. */
export type AccessChange =
  | { kind: "ban"; ban: BanEntry }
  | { kind: "registered"; registration: Registration }
  | { kind: "unregistered"; registration: Registration };

/** Registrations and bans in memory: for `--no-persist` and tests. */
export class MemoryAccessStore implements AccessStore {
  readonly #registrations = new Map<string, Registration>();
  readonly #bans = new Map<string, BanEntry>();

  registration(folded: string): Registration | undefined {
    return this.#registrations.get(folded);
  }

  registrationCount(fingerprint: string): Promise<number> {
    let count = 0;
    for (const r of this.#registrations.values()) if (r.fingerprint === fingerprint) count++;
    return Promise.resolve(count);
  }

  registrations(): Iterable<Registration> {
    return this.#registrations.values();
  }

  register(folded: string, registration: Registration): Promise<void> {
    this.#registrations.set(folded, registration);
    return Promise.resolve();
  }

  unregister(folded: string): Promise<boolean> {
    return Promise.resolve(this.#registrations.delete(folded));
  }

  addBan(ban: BanEntry): Promise<void> {
    const id = `${ban.kind} ${ban.value}`;
    this.#bans.delete(id);
    this.#bans.set(id, ban);
    return Promise.resolve();
  }

  removeBan(kind: BanEntry["kind"], value: string): Promise<boolean> {
    return Promise.resolve(this.#bans.delete(`${kind} ${value}`));
  }

  findBan(fingerprint: string | undefined, address: string | undefined): BanEntry | undefined {
    // Ids as addBan makes them: the ban's kind ("key", as on the wire) and value.
    return (fingerprint ? this.#bans.get(`key ${fingerprint}`) : undefined) ??
      (address ? this.#bans.get(`ip ${address}`) : undefined);
  }

  bans(): Promise<BanEntry[]> {
    return Promise.resolve([...this.#bans.values()]);
  }
}

/**
 * Runs a call of the access view; a failing store refuses the request (as
 * `store_error`) instead of crashing.
 *
 * @throws {ChatError} `store_error` wrapping what the store threw
 */
export function readAccess<T>(action: () => T): T {
  try {
    return action();
  } catch (cause) {
    throw accessError(cause);
  }
}

/**
 * Waits for an access-store query; a failing store (a throw or a rejection)
 * refuses the request as `store_error`.
 */
export async function askAccess<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (cause) {
    throw accessError(cause);
  }
}

function accessError(cause: unknown): ChatError {
  if (cause instanceof ChatError) return cause;
  return new ChatError(
    "store_error",
    "Nick registrations and bans are not available right now; try again later",
    { cause },
  );
}
