/**
 * A KV bucket held in memory: every value of the bucket, kept current by a
 * watch, so that what a join or a message checks (a registration, a ban, a
 * mute) is read synchronously, while writes go to the bucket and wait for
 * JetStream. The base of the cluster's access and mute stores.
 *
 * Each value is stored with the node that wrote it, so a change coming back
 * through the watch can be told apart from one made elsewhere; revisions
 * (the bucket's sequence) order what the watch and this node's own writes
 * say about one key, so an older word never overwrites a newer one.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm, type KvWatchEntry } from "@nats-io/kv";
import { NatsLink } from "./nats_link.ts";
import { KvFollow } from "./kv_follow.ts";
import { createKey, leaderEntry, putAt } from "./kv_settled.ts";

/** A change to one key, as {@linkcode KvMirrorOptions.onChange} hears it. */
export interface MirrorChange<T> {
  /** The key (as the bucket holds it). */
  key: string;
  /** The value now; undefined once deleted. */
  value: T | undefined;
  /** The value before. */
  before: T | undefined;
}

/** Options for {@linkcode KvMirror.open}. */
export interface KvMirrorOptions<T> {
  /** The connection to NATS. */
  nc: NatsConnection;
  /** The bucket (created with `replicas` when missing). */
  bucket: string;
  /** This node's name: its own writes are not reported by `onChange`. */
  node: string;
  /** The bucket's replicas when this node creates it. @default {3} */
  replicas?: number;
  /** A value from its JSON, or undefined when it is not one (then skipped). */
  parse(value: unknown): T | undefined;
  /** Hears a change made by another node (or a deletion seen first in the watch). */
  onChange?(change: MirrorChange<T>): void;
  /** Hears that the watch was started again (it ended, or stalled), and why. */
  onRestart?(error: Error): void;
}

interface Held<T> {
  value: T | undefined;
  revision: number;
}

/** The bucket's values in memory, current through a watch; writes by revision. */
export class KvMirror<T> {
  readonly #kv: KV;
  readonly #options: KvMirrorOptions<T>;
  readonly #held = new Map<string, Held<T>>();
  /** Writes are refused at once while the connection is down (not after their timeout). */
  readonly #link: NatsLink;
  #follow: KvFollow | undefined;

  private constructor(kv: KV, options: KvMirrorOptions<T>) {
    this.#kv = kv;
    this.#options = options;
    this.#link = new NatsLink(options.nc);
  }

  /** Opens (or creates) the bucket and resolves once its present values are held. */
  static async open<T>(options: KvMirrorOptions<T>): Promise<KvMirror<T>> {
    const kv = await new Kvm(options.nc).create(options.bucket, {
      replicas: options.replicas ?? 3,
      history: 1,
    });
    const mirror = new KvMirror(kv, options);
    const { values } = await kv.status();
    // The watch is started again after a reconnect, an election or a stall (kv_follow.ts).
    mirror.#follow = await KvFollow.start({
      nc: options.nc,
      kv,
      bucket: options.bucket,
      onEntry: (entry) => mirror.#take(entry),
      onRestart: options.onRestart,
      waitForValues: values > 0,
    }).catch((error) => {
      mirror.#link.stop();
      throw error;
    });
    return mirror;
  }

  /** The value under `key`. */
  get(key: string): T | undefined {
    return this.#held.get(key)?.value;
  }

  /** Every value held. */
  *values(): Iterable<T> {
    for (const { value } of this.#held.values()) if (value !== undefined) yield value;
  }

  /**
   * Writes `value` under `key` only if the key holds nothing (a
   * compare-and-set, confirmed: kv_settled.ts).
   */
  async create(key: string, value: T): Promise<void> {
    this.#link.check();
    this.#apply(key, value, await createKey(this.#kv, key, this.#encode(value)), false);
  }

  /** Writes `value` under `key` only if nobody changed it since this node saw it (confirmed). */
  async update(key: string, value: T): Promise<void> {
    this.#link.check();
    const revision = this.#held.get(key)?.revision ?? 0;
    if (revision <= 0) throw new Error(`No revision of "${key}" to update`);
    this.#apply(key, value, await putAt(this.#kv, key, this.#encode(value), revision), false);
  }

  /** Writes `value` under `key` whatever it held (last writer wins). */
  async put(key: string, value: T): Promise<void> {
    this.#link.check();
    this.#apply(key, value, await this.#kv.put(key, this.#encode(value)), false);
  }

  /** Deletes `key` if nobody changed it since this node saw it. */
  async delete(key: string): Promise<void> {
    this.#link.check();
    const held = this.#held.get(key);
    await this.#kv.delete(key, held ? { previousSeq: held.revision } : {});
    // The deletion's own revision comes with the watch; until then the old one stands.
    if (held && this.#held.get(key) === held) this.#held.set(key, { ...held, value: undefined });
  }

  /**
   * Reads the bucket itself (not the mirror) on its stream's leader, which
   * has applied the write that won: for a caller that lost a compare-and-set.
   */
  async fetch(key: string): Promise<T | undefined> {
    this.#link.check();
    const entry = await leaderEntry(this.#kv, key);
    if (!entry || entry.operation !== "PUT") return undefined;
    return this.#decode(entry)?.value;
  }

  /** Stops the watch. */
  async stop(): Promise<void> {
    this.#link.stop();
    await this.#follow?.stop();
  }

  #take(entry: KvWatchEntry): void {
    if (entry.operation !== "PUT") {
      this.#apply(entry.key, undefined, entry.revision, true);
      return;
    }
    const stored = this.#decode(entry);
    if (!stored) return;
    this.#apply(entry.key, stored.value, entry.revision, stored.node !== this.#options.node);
  }

  #apply(key: string, value: T | undefined, revision: number, elsewhere: boolean): void {
    const held = this.#held.get(key);
    if (held && held.revision >= revision) return;
    this.#held.set(key, { value, revision });
    const before = held?.value;
    if (!elsewhere || (value === undefined && before === undefined)) return;
    this.#options.onChange?.({ key, value, before });
  }

  #encode(value: T): string {
    return JSON.stringify({ node: this.#options.node, value });
  }

  #decode(entry: { json<V>(): V }): { node: string; value: T } | undefined {
    try {
      const raw = entry.json<{ node?: unknown; value?: unknown }>();
      const value = this.#options.parse(raw?.value);
      return value === undefined || typeof raw.node !== "string"
        ? undefined
        : { node: raw.node, value };
    } catch {
      return undefined;
    }
  }
}

/** A bucket key for any string: its UTF-8 in unpadded base64url (`A-Z a-z 0-9 - _`). */
export function bucketKey(id: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(id)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
