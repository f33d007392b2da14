/**
 * Who may take a nick: not someone else's registered nick, not a nick held
 * online by another key, and not a look-alike of either (UTS #39
 * confusables, case and accents aside). A nick held by the same key is a
 * ghost (a half-open old connection, or a reconnect), handed back to be
 * replaced.
 *
 * @module
 */

import { NickError } from "./errors.ts";
import { type AccessStore, readAccess, type Registration } from "./state/access_store.ts";
import { lookAlikeSkeletons } from "./confusable.ts";
import type { ByeEvent } from "./events.ts";
import type { Member } from "./member.ts";
import { foldNick, suggestNick } from "./nick.ts";
import type { Presence } from "./state/presence.ts";

/** Decides nick claims against presence (online) and the access store (registered). */
export class NickClaims {
  readonly #presence: Presence;
  readonly #access: AccessStore;
  readonly #maxNickLength: number;
  /** Registrations by look-alike skeleton, read from the access store on first use. */
  #registeredLookAlikes: Map<string, Registration[]> | undefined;

  /** Checks against who is online in `presence` and registered in `access`. */
  constructor(presence: Presence, access: AccessStore, maxNickLength: number) {
    this.#presence = presence;
    this.#access = access;
    this.#maxNickLength = maxNickLength;
  }

  /**
   * Checks that `nick` (folded: `folded`) may be taken by the key whose
   * fingerprint is `fingerprint` (undefined for none) and by `member`
   * (undefined for a newcomer). Returns the member to
   * replace when the nick is held by a session with the same key.
   *
   * @throws {NickError} `nick_registered` or `nick_taken`, with a suggestion
   */
  claim(nick: string, folded: string, fingerprint?: string, member?: Member): Member | undefined {
    const registration = readAccess(() => this.#access.registration(folded));
    if (registration && registration.fingerprint !== fingerprint) {
      const suggestion = this.suggest(nick, fingerprint);
      throw new NickError(
        "nick_registered",
        fingerprint
          ? `Nick "${nick}" is registered to another key; try "${suggestion}"`
          : `Nick "${nick}" is registered; only its owner's key can use it (try "${suggestion}")`,
        suggestion,
      );
    }
    this.#refuseLookAlike(nick, folded, fingerprint, member);
    const holder = this.#presence.find(folded);
    if (!holder || holder === member) return undefined;
    if (fingerprint !== undefined && holder.fingerprint === fingerprint) return holder;
    const suggestion = this.suggest(nick, fingerprint);
    throw new NickError("nick_taken", `Nick "${nick}" is taken; try "${suggestion}"`, suggestion);
  }

  /**
   * Runs `join` once a cluster's presence reserved the nick for the key
   * `fingerprint` (then a promise; at once without a cluster), and releases
   * the reservation when `join` refuses after all (a ban).
   *
   * @throws {NickError} as {@linkcode NickClaims.claim}, before asking the cluster
   */
  enter<T>(
    nick: string,
    folded: string,
    fingerprint: string | undefined,
    join: () => T,
  ): T | Promise<T> {
    const presence = this.#presence;
    if (!presence.reserve) return join();
    this.claim(nick, folded, fingerprint);
    return presence.reserve(nick, folded, fingerprint).then(() => {
      let joined: T | undefined;
      try {
        return joined = join();
      } finally {
        if (joined === undefined) presence.release?.(folded);
      }
    });
  }

  /** A free nick close to `nick` for the key with fingerprint `fingerprint`: `ana_`, `ana2`, ... */
  suggest(nick: string, fingerprint?: string): string {
    return suggestNick(nick, (n) => {
      const folded = foldNick(n);
      if (this.#presence.find(folded)) return true;
      const owner = readAccess(() => this.#access.registration(folded));
      return owner !== undefined && owner.fingerprint !== fingerprint;
    }, this.#maxNickLength);
  }

  /** Notes a new registration, whose look-alikes are refused from now on. */
  registered(registration: Registration): void {
    addRegistration(this.#registeredLike(), registration);
  }

  /** Notes a registration lifted, whose look-alikes are free again. */
  unregistered(registration: Registration): void {
    const index = this.#registeredLike();
    const folded = foldNick(registration.nick);
    for (const look of lookAlikeSkeletons(registration.nick)) {
      const list = index.get(look)?.filter((r) => foldNick(r.nick) !== folded);
      if (list?.length) index.set(look, list);
      else index.delete(look);
    }
  }

  /**
   * Refuses a nick that looks like the nick of another member online or a
   * nick registered to another key: "bоb" with a Cyrillic "о" while bob is
   * here. The same nick, or one held by the same key, is not a look-alike
   * but the nick itself.
   *
   * @throws {NickError} `nick_taken` (online) or `nick_registered`, naming the nick it looks like
   */
  #refuseLookAlike(nick: string, folded: string, fingerprint?: string, member?: Member): void {
    const skeletons = lookAlikeSkeletons(nick);
    // Indexed, not for-of: each join runs these, and the iterator's results were garbage.
    for (let i = 0; i < skeletons.length; i++) {
      const twin = this.#presence.findLookAlike(skeletons[i]);
      if (!twin || twin === member || twin.foldedNick === folded) continue;
      if (fingerprint !== undefined && twin.fingerprint === fingerprint) continue;
      throw new NickError("nick_taken", `Nick "${nick}" looks like "${twin.nick}", who is online`);
    }
    const registered = this.#registeredLike();
    for (let i = 0; i < skeletons.length; i++) {
      const registrations = registered.get(skeletons[i]);
      if (registrations === undefined) continue;
      for (const registration of registrations) {
        if (registration.fingerprint === fingerprint || foldNick(registration.nick) === folded) {
          continue;
        }
        throw new NickError(
          "nick_registered",
          `Nick "${nick}" looks like "${registration.nick}", a registered nick`,
        );
      }
    }
  }

  /** The registrations by look-alike skeleton, read from the store the first time. */
  #registeredLike(): Map<string, Registration[]> {
    if (this.#registeredLookAlikes) return this.#registeredLookAlikes;
    const index = new Map<string, Registration[]>();
    const all = readAccess(() => [...(this.#access.registrations())]);
    for (const registration of all) addRegistration(index, registration);
    return this.#registeredLookAlikes = index;
  }
}

function addRegistration(index: Map<string, Registration[]>, registration: Registration): void {
  for (const look of lookAlikeSkeletons(registration.nick)) {
    const list = index.get(look);
    if (!list) index.set(look, [registration]);
    else if (!list.some((r) => foldNick(r.nick) === foldNick(registration.nick))) {
      list.push(registration);
    }
  }
}

/** The goodbye of a ghost session whose key just connected again. */
export const REPLACED_BYE: ByeEvent = {
  type: "bye",
  reason: "dropped",
  code: "session_replaced",
  message: "Replaced by a new connection with your key",
};
