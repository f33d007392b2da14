/**
 * Registrations and bans of a cluster, in two KV buckets every node shares
 * ({@linkcode REGISTRATIONS_BUCKET}, {@linkcode BANS_BUCKET}); they outlive
 * every node. Joins and nick changes read a mirror kept by a watch
 * ({@linkcode KvMirror}); `/register` takes a free nick by `create` and a
 * nick already bound by `update` at the revision this node saw, both
 * confirmed as the key's last revision (kv_settled.ts: nats-server 2.9 may
 * take two writes at one revision), so two nodes registering one nick at
 * once cannot both win; the loser is told the nick is registered. Bans are
 * written with `put`: two operators banning one key at once both mean
 * "banned". An unban is a put too, of the ban lifted (kept, read as not
 * banned), so a ban and an unban typed at once on two nodes end as the
 * later in the bucket's stream says, the last typed: a delete at the
 * revision this node saw was taken after a ban it had not seen when that
 * ban was still being replicated, and refused once it was applied
 * (nats-server 2.9, kv_settled.ts). A ban or registration made on another
 * node reaches the hub through `follow`, which disconnects the members it
 * matches.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { ChatError } from "../core/errors.ts";
import type { BanEntry } from "../core/events.ts";
import type { AccessChange, AccessStore, Registration } from "../core/state/access_store.ts";
import { BANS_BUCKET, REGISTRATIONS_BUCKET } from "./cluster_names.ts";
import { bucketKey, KvMirror, type MirrorChange } from "./nats_access_mirror.ts";
import { NatsMuteStore } from "./nats_mutes.ts";
import type { HubOptions } from "../core/hub.ts";

/** Options for {@linkcode NatsAccessStore.open} and {@linkcode openNatsAccess}. */
export interface NatsAccessOptions {
  /** The connection to NATS. */
  nc: NatsConnection;
  /** This node's name. */
  node: string;
  /** The buckets' replicas when this node creates them. @default {3} */
  replicas?: number;
}

/** Registrations and bans in NATS KV buckets, read from a mirror kept by a watch. */
export class NatsAccessStore implements AccessStore {
  readonly #registrations: KvMirror<Registration>;
  readonly #bans: KvMirror<StoredBan>;
  #listener: (change: AccessChange) => void = () => {};

  private constructor(registrations: KvMirror<Registration>, bans: KvMirror<StoredBan>) {
    this.#registrations = registrations;
    this.#bans = bans;
  }

  /** Opens both buckets (creating them when missing) and loads what they hold. */
  static async open(options: NatsAccessOptions): Promise<NatsAccessStore> {
    let store: NatsAccessStore | undefined;
    const registrations = await KvMirror.open<Registration>({
      ...options,
      bucket: REGISTRATIONS_BUCKET,
      parse: parseRegistration,
      onChange: (change) => store && store.#registrationChanged(change),
    });
    const bans = await KvMirror.open<StoredBan>({
      ...options,
      bucket: BANS_BUCKET,
      parse: parseBan,
      onChange: ({ value }) => {
        const ban = inForce(value);
        if (ban && store) store.#listener({ kind: "ban", ban });
      },
    }).catch(async (error) => {
      await registrations.stop();
      throw error;
    });
    return store = new NatsAccessStore(registrations, bans);
  }

  registration(folded: string): Registration | undefined {
    return this.#registrations.get(bucketKey(folded));
  }

  registrations(): Iterable<Registration> {
    return this.#registrations.values();
  }

  findBan(fingerprint: string | undefined, address: string | undefined): BanEntry | undefined {
    return (fingerprint ? inForce(this.#bans.get(banKey("key", fingerprint))) : undefined) ??
      (address ? inForce(this.#bans.get(banKey("ip", address))) : undefined);
  }

  registrationCount(fingerprint: string): Promise<number> {
    let count = 0;
    for (const r of this.#registrations.values()) if (r.fingerprint === fingerprint) count++;
    return Promise.resolve(count);
  }

  async register(folded: string, registration: Registration): Promise<void> {
    const key = bucketKey(folded);
    try {
      if (this.#registrations.get(key)) await this.#registrations.update(key, registration);
      else await this.#registrations.create(key, registration);
    } catch (cause) {
      // Lost a race: someone registered (or changed) it on another node since this one looked.
      const now = await this.#registrations.fetch(key).catch(() => undefined);
      if (now && now.fingerprint !== registration.fingerprint) {
        throw new ChatError(
          "nick_registered",
          `Nick "${registration.nick}" was just registered to another key`,
          { cause },
        );
      }
      throw cause;
    }
  }

  async unregister(folded: string): Promise<boolean> {
    const key = bucketKey(folded);
    if (!this.#registrations.get(key)) return false;
    await this.#registrations.delete(key);
    return true;
  }

  async addBan(ban: BanEntry): Promise<void> {
    await this.#bans.put(banKey(ban.kind, ban.value), ban);
  }

  async removeBan(kind: BanEntry["kind"], value: string): Promise<boolean> {
    const key = banKey(kind, value);
    if (!inForce(this.#bans.get(key))) return false;
    await this.#bans.put(key, { kind, value, lifted: Date.now() });
    return true;
  }

  bans(): Promise<BanEntry[]> {
    const bans = [...this.#bans.values()].flatMap((ban) => inForce(ban) ?? []);
    return Promise.resolve(bans.sort((a, b) => a.ts - b.ts));
  }

  follow(listener: (change: AccessChange) => void): void {
    this.#listener = listener;
  }

  /** Stops both watches. */
  async stop(): Promise<void> {
    await Promise.all([this.#registrations.stop(), this.#bans.stop()]);
  }

  #registrationChanged({ value, before }: MirrorChange<Registration>): void {
    if (before && before.fingerprint !== value?.fingerprint) {
      this.#listener({ kind: "unregistered", registration: before });
    }
    if (value) this.#listener({ kind: "registered", registration: value });
  }
}

/** A cluster's registrations, bans and mutes, as the hub takes them. */
export interface NatsAccess extends AsyncDisposable {
  /** `access` and `mutes` for the hub's options. */
  readonly hubOptions: Pick<HubOptions, "access" | "mutes">;
  /** Stops the watches. */
  stop(): Promise<void>;
}

/** Opens the registrations, bans and mutes buckets for a chat-server node. */
export async function openNatsAccess(options: NatsAccessOptions): Promise<NatsAccess> {
  const access = await NatsAccessStore.open(options);
  const mutes = await NatsMuteStore.open(options).catch(async (error) => {
    await access.stop();
    throw error;
  });
  const stop = async () => {
    await Promise.all([access.stop(), mutes.stop()]);
  };
  return { hubOptions: { access, mutes }, stop, [Symbol.asyncDispose]: stop };
}

/**
 * A ban as its bucket holds it: in force, or lifted by an unban. A lifted
 * ban has no `by` nor `ts`, so that a node of an older version skips it
 * (keeping the ban it held until it restarts) rather than read a new ban
 * and disconnect the member it matches.
 */
type StoredBan = BanEntry | LiftedBan;

/** An unban: the ban of `kind` `value` lifted at `lifted` (ms since the epoch). */
interface LiftedBan {
  kind: BanEntry["kind"];
  value: string;
  lifted: number;
}

/** The ban, unless lifted. */
function inForce(ban: StoredBan | undefined): BanEntry | undefined {
  return ban && !("lifted" in ban) ? ban : undefined;
}

function banKey(kind: BanEntry["kind"], value: string): string {
  return bucketKey(`${kind} ${value}`);
}

function parseRegistration(value: unknown): Registration | undefined {
  const r = value as Partial<Registration> | null;
  if (
    typeof r !== "object" || r === null || typeof r.nick !== "string" ||
    typeof r.fingerprint !== "string" || typeof r.ts !== "number"
  ) return undefined;
  return { nick: r.nick, fingerprint: r.fingerprint, ts: r.ts };
}

function parseBan(value: unknown): StoredBan | undefined {
  const b = value as Partial<BanEntry & LiftedBan> | null;
  if (
    typeof b !== "object" || b === null || (b.kind !== "key" && b.kind !== "ip") ||
    typeof b.value !== "string"
  ) return undefined;
  if (typeof b.lifted === "number") return { kind: b.kind, value: b.value, lifted: b.lifted };
  if (typeof b.by !== "string" || typeof b.ts !== "number") return undefined;
  return {
    kind: b.kind,
    value: b.value,
    by: b.by,
    ts: b.ts,
    ...(typeof b.nick === "string" ? { nick: b.nick } : {}),
    ...(typeof b.reason === "string" ? { reason: b.reason } : {}),
  };
}
