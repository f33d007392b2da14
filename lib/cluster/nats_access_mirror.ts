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

/** How long opening waits for the bucket's present values, in ms. */
const LOAD_TIMEOUT_MS = 10_000;

/** How long a watch may receive nothing before the bucket is asked whether it missed something. */
const STALL_CHECK_MS = 3_000;

type Watch = Awaited<ReturnType<KV["watch"]>>;

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
  #watch: Watch | undefined;
  #lastRevision = 0;
  #stopped = false;
  #reading: Promise<void> = Promise.resolve();
  #stallTimer: ReturnType<typeof setInterval> | undefined;
  #receivedAt = performance.now();
  #stallWait = STALL_CHECK_MS;
  #stallReason: string | undefined;
  #checking = false;
  #wake: () => void = () => {};

  private constructor(kv: KV, options: KvMirrorOptions<T>) {
    this.#kv = kv;
    this.#options = options;
    // Back on NATS: a new watch at once (the old one often stays stuck across an outage until
    // the stall check notices); it resumes after the last revision seen, so nothing is missed.
    this.#link = new NatsLink(options.nc, (up) => {
      if (up) this.#restartWatch("reconnected to NATS");
    });
  }

  /** Opens (or creates) the bucket and resolves once its present values are held. */
  static async open<T>(options: KvMirrorOptions<T>): Promise<KvMirror<T>> {
    const kv = await new Kvm(options.nc).create(options.bucket, {
      replicas: options.replicas ?? 3,
      history: 1,
    });
    const mirror = new KvMirror(kv, options);
    const { values } = await kv.status();
    await mirror.#follow(values > 0);
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

  /** Writes `value` under `key` only if the key holds nothing (a compare-and-set). */
  async create(key: string, value: T): Promise<void> {
    this.#link.check();
    this.#apply(key, value, await this.#kv.create(key, this.#encode(value)), false);
  }

  /** Writes `value` under `key` only if nobody changed it since this node saw it. */
  async update(key: string, value: T): Promise<void> {
    this.#link.check();
    const revision = this.#held.get(key)?.revision ?? 0;
    this.#apply(key, value, await this.#kv.update(key, this.#encode(value), revision), false);
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

  /** Reads the bucket itself (not the mirror): for a caller that lost a compare-and-set. */
  async fetch(key: string): Promise<T | undefined> {
    this.#link.check();
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== "PUT") return undefined;
    return this.#decode(entry)?.value;
  }

  /** Stops the watch. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#link.stop();
    clearInterval(this.#stallTimer);
    this.#watch?.stop();
    this.#wake();
    await this.#reading;
  }

  /** Starts following the bucket; resolves once the present values are in (or after a bound). */
  async #follow(waitForValues: boolean): Promise<void> {
    const first = await this.#watchFrom();
    let loaded!: () => void;
    const ready = new Promise<void>((resolve) => loaded = resolve);
    if (!waitForValues) loaded();
    this.#reading = this.#read(first, () => loaded());
    this.#stallTimer = setInterval(() => void this.#checkStall(), STALL_CHECK_MS);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([ready, new Promise((r) => timer = setTimeout(r, LOAD_TIMEOUT_MS))]);
    clearTimeout(timer);
  }

  /** A watch from the revision after the last one seen (all present values at first). */
  async #watchFrom(): Promise<Watch> {
    const watch = await this.#kv.watch(
      this.#lastRevision > 0 ? { resumeFromRevision: this.#lastRevision + 1 } : {},
    );
    if (this.#stopped) watch.stop();
    this.#receivedAt = performance.now();
    return this.#watch = watch;
  }

  /**
   * Reads watches until stopped. A watch that ends (its consumer lost) or
   * that the stall check stops is followed by a new one from the last
   * revision seen, retried with backoff while NATS cannot make one.
   */
  async #read(first: Watch, loaded: () => void): Promise<void> {
    let watch: Watch | undefined = first;
    let pause = 100;
    while (!this.#stopped) {
      if (!watch) {
        try {
          watch = await this.#watchFrom();
          pause = 100;
        } catch (error) {
          this.#options.onRestart?.(error instanceof Error ? error : new Error(String(error)));
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pause);
            this.#wake = () => (clearTimeout(timer), resolve());
          });
          pause = Math.min(pause * 2, 2_000);
          continue;
        }
      }
      try {
        for await (const entry of watch) {
          this.#receivedAt = performance.now();
          this.#stallWait = STALL_CHECK_MS;
          this.#take(entry);
          if (entry.isUpdate) loaded();
        }
      } catch {
        // Started again below, as when the watch ends.
      }
      loaded();
      watch = this.#watch = undefined;
      if (!this.#stopped) {
        this.#options.onRestart?.(new Error(this.#stallReason ?? "KV watch ended"));
      }
      this.#stallReason = undefined;
    }
  }

  /** Stops the watch now (the loop makes a new one), or cuts short the wait for the next attempt. */
  #restartWatch(why: string): void {
    if (this.#stopped) return;
    const watch = this.#watch;
    if (!watch) {
      this.#wake();
      return;
    }
    this.#stallReason = `KV watch: ${why}`;
    this.#watch = undefined;
    watch.stop();
  }

  /**
   * The client's watch (an ordered push consumer) can stop receiving after
   * kill -9 of the bucket's stream leader or of the NATS node it is on, and
   * say nothing (measured: docs/cluster_progress.md). When nothing came for
   * a while, the bucket's last revision is compared with the last one seen:
   * behind means stalled, and the watch is stopped (then started again from
   * where it was). A restart that brings nothing makes the next wait twice as long.
   */
  async #checkStall(): Promise<void> {
    const watch = this.#watch;
    if (this.#checking || this.#stopped || !watch || !this.#link.up) return;
    if (performance.now() - this.#receivedAt < this.#stallWait) return;
    this.#checking = true;
    try {
      const last = (await this.#kv.status()).streamInfo.state.last_seq;
      const quiet = performance.now() - this.#receivedAt >= this.#stallWait;
      if (last > this.#lastRevision && quiet && !this.#stopped && this.#watch === watch) {
        this.#stallReason = `KV watch stalled before revision ${this.#lastRevision + 1}`;
        this.#stallWait = 2 * STALL_CHECK_MS;
        this.#receivedAt = performance.now();
        watch.stop();
      }
    } catch {
      // NATS unreachable or the bucket has no leader: checked again later.
    } finally {
      this.#checking = false;
    }
  }

  #take(entry: KvWatchEntry): void {
    this.#lastRevision = Math.max(this.#lastRevision, entry.revision);
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
