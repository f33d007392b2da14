/**
 * The content of a cluster's shared files in NATS's object store
 * {@linkcode FILES_OBJECT_STORE}, one object per SHA-256 (issue 18; the
 * records are `nats_files.ts`'s):
 *
 * - a put is complete (hashed, within the limits) on the receiving node's
 *   disk first; the object store writes its chunks one at a time, each
 *   acknowledged, and makes the object visible only with its last (meta)
 *   message: nothing partial is ever served;
 * - one put per SHA-256 at a time in the whole cluster: a node takes the
 *   key `put.<sha256>` of the files' KV bucket with a create (which only
 *   one node can win: over a released lock's deletion, confirmed as the
 *   key's last revision, kv_settled.ts), keeps it fresh while it puts, and
 *   deletes it after;
 *   the others wait, then find the content stored. A lock whose holder died
 *   (its revision unchanged for {@linkcode LOCK_STALE_MS}) is taken over;
 * - what a put leaves when it is cut (the node killed, NATS losing its
 *   majority: the library's own clean-up needs the majority just lost) are
 *   chunks no object names: {@linkcode NatsObjectContent.sweep} purges the
 *   chunk subjects of no object whose last chunk is older than a grace
 *   (every node at its start and hourly, with the retention check), so the
 *   budget, which counts the store's bytes, does not count them for long;
 * - reads fetch one chunk at a time as the HTTP client takes them (direct
 *   gets): neither an upload nor a download is ever whole in memory. An
 *   object whose chunks are consecutive in the stream (no other put wrote
 *   between them) is read from the chunk a `Range` starts in; otherwise
 *   from its first chunk.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { type ObjectStore, Objm, StorageType } from "@nats-io/obj";
import type { FileContent } from "../core/state/file_index.ts";
import { FILES_OBJECT_STORE } from "./cluster_names.ts";
import { bounded } from "./nats_link.ts";
import { createKey } from "./kv_settled.ts";

/** The bytes of one chunk of an object (the object store's default). */
export const CHUNK_BYTES = 128 * 1024;
/** How long a read of the content may wait on NATS. */
const ANSWER_MS = 10_000;
/** A put lock whose revision did not change for this long is a dead node's, taken over. */
export const LOCK_STALE_MS = 30_000;
/** How often the holder of a put lock writes it again. */
const LOCK_REFRESH_MS = 5_000;
/** How often a node waiting for another's put of the same content looks again. */
const LOCK_POLL_MS = 250;
/** Chunks of no object, untouched for this long, are a cut put's: swept. */
export const ORPHAN_GRACE_MS = 10 * 60 * 1000;

const STREAM = `OBJ_${FILES_OBJECT_STORE}`;
const CHUNKS = `$O.${FILES_OBJECT_STORE}.C.`;

/** Where the content and the records go. */
export interface NatsFilesOptions {
  /** The connection to NATS. */
  nc: NatsConnection;
  /** Replicas of the bucket and the object store when this node creates them. @default {3} */
  replicas?: number;
}

/** The content of shared files in NATS's object store; see the module doc. */
export class NatsObjectContent implements FileContent {
  readonly where = `NATS object store ${FILES_OBJECT_STORE}`;
  readonly #store: ObjectStore;
  readonly #jsm: JetStreamManager;
  readonly #locks: KV;

  private constructor(store: ObjectStore, jsm: JetStreamManager, locks: KV) {
    this.#store = store;
    this.#jsm = jsm;
    this.#locks = locks;
  }

  /** Opens (creating) the object store; `locks` is the files' KV bucket. */
  static async open(options: NatsFilesOptions, locks: KV): Promise<NatsObjectContent> {
    const store = await new Objm(options.nc).create(FILES_OBJECT_STORE, {
      replicas: options.replicas ?? 3,
      storage: StorageType.File,
    });
    return new NatsObjectContent(store, await jetstreamManager(options.nc), locks);
  }

  /** Puts the complete upload at `path` as the object `sha256`, unless it is stored. */
  async place(path: string, sha256: string, size: number): Promise<number> {
    if (await this.#stored(sha256, size)) return 0;
    const release = await this.#lock(sha256);
    try {
      // Another node may have put it while this one waited for the lock.
      if (await this.#stored(sha256, size)) return 0;
      const file = await Deno.open(path, { read: true });
      try {
        // Read as the chunks are acknowledged: one chunk in memory at a time.
        await this.#store.put(
          { name: sha256, options: { max_chunk_size: CHUNK_BYTES } },
          file.readable,
        );
      } finally {
        try {
          file.close();
        } catch {
          // Closed by its stream when read to the end.
        }
      }
      return size;
    } finally {
      await release();
    }
  }

  async #stored(sha256: string, size: number): Promise<boolean> {
    const held = await bounded(ANSWER_MS, this.#store.info(sha256), "file content");
    return held !== null && !held.deleted && held.size === size;
  }

  /** Takes the cluster-wide put lock of `sha256`; resolves to its release. */
  async #lock(sha256: string): Promise<() => Promise<void>> {
    const key = `put.${sha256}`;
    const value = JSON.stringify({ ts: Date.now() });
    let seen: { revision: number; since: number } | undefined;
    let released = 0;
    for (;;) {
      let created: number | undefined;
      let failure: unknown;
      try {
        created = await bounded(ANSWER_MS, createKey(this.#locks, key, value), "file lock");
      } catch (error) {
        failure = error;
      }
      if (created !== undefined) return this.#held(key, value, created);
      const entry = await bounded(ANSWER_MS, this.#locks.get(key), "file lock");
      if (!entry || entry.operation !== "PUT") {
        // Released meanwhile, or no lock held and NATS refused the create.
        if (++released > 3) throw failure;
        continue;
      }
      const now = performance.now();
      if (seen?.revision !== entry.revision) seen = { revision: entry.revision, since: now };
      else if (now - seen.since > LOCK_STALE_MS) {
        // Its holder stopped writing it: a dead node's.
        await this.#locks.delete(key, { previousSeq: entry.revision }).catch(() => {});
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }

  #held(key: string, value: string, revision: number): () => Promise<void> {
    let current = revision;
    const timer = setInterval(() => {
      this.#locks.update(key, value, current).then((next) => current = next, () => {});
    }, LOCK_REFRESH_MS);
    return async () => {
      clearInterval(timer);
      await this.#locks.delete(key, { previousSeq: current }).catch(() => {});
    };
  }

  /**
   * The bytes asked for, a chunk fetched each time the reader wants more.
   * The object is looked up, and its first chunk fetched, before the first
   * bytes are handed out: NATS out of reach fails before any is sent.
   */
  async *read(sha256: string, start: number, end: number): AsyncGenerator<Uint8Array> {
    const info = await bounded(ANSWER_MS, this.#store.info(sha256), "file content");
    if (!info || info.deleted) throw new Error(`The content ${sha256} is not stored`);
    if (end < start) return;
    const subject = `${CHUNKS}${info.nuid}`;
    const chunk = info.options?.max_chunk_size ?? CHUNK_BYTES;
    let message = await this.#chunk({ seq: 1, next_by_subj: subject }, sha256, 0);
    let offset = 0;
    const skip = Math.floor(start / chunk);
    // Consecutive chunks (the meta right after them): chunk k is the first's sequence + k.
    if (skip > 0 && message.seq + info.chunks === info.revision) {
      message = await this.#chunk({ seq: message.seq + skip }, sha256, skip * chunk);
      if (message.subject !== subject) throw new Error(`The content ${sha256} is not in order`);
      offset = skip * chunk;
    }
    for (;;) {
      const from = offset;
      offset += message.data.length;
      if (offset > start) {
        yield message.data.subarray(
          Math.max(0, start - from),
          Math.min(message.data.length, end - from + 1),
        );
      }
      if (offset > end) return;
      message = await this.#chunk({ seq: message.seq + 1, next_by_subj: subject }, sha256, offset);
    }
  }

  async #chunk(
    query: { seq: number; next_by_subj?: string },
    sha256: string,
    offset: number,
  ) {
    const message = await bounded(
      ANSWER_MS,
      this.#jsm.direct.getMessage(STREAM, query),
      "file content",
    );
    if (!message) throw new Error(`The content ${sha256} ends at ${offset} bytes`);
    return message;
  }

  /** Deletes the object (its chunks are purged). */
  async remove(sha256: string): Promise<void> {
    await this.#store.delete(sha256).catch(() => {});
  }

  /** Bytes the object store holds: what the cluster's budget counts. */
  async storedBytes(): Promise<number> {
    return (await bounded(ANSWER_MS, this.#store.status(), "file content")).size;
  }

  /**
   * Purges the chunks of no object whose last chunk was stored more than
   * `graceMs` ago (by NATS's clock): what cut puts left (see the module
   * doc). Returns how many such leftovers went.
   */
  async sweep(graceMs = ORPHAN_GRACE_MS): Promise<number> {
    // The chunk subjects first, then the objects: a put that ends in between is seen as live.
    const stream = await bounded(
      ANSWER_MS,
      this.#jsm.streams.info(STREAM, { subjects_filter: `${CHUNKS}>` }),
      "file content",
    );
    const subjects = Object.keys(stream.state.subjects ?? {});
    if (subjects.length === 0) return 0;
    const objects = await bounded(ANSWER_MS, this.#store.list(), "file content");
    const live = new Set(objects.map((object) => `${CHUNKS}${object.nuid}`));
    let swept = 0;
    for (const subject of subjects) {
      if (live.has(subject)) continue;
      const last = await bounded(
        ANSWER_MS,
        this.#jsm.direct.getMessage(STREAM, { last_by_subj: subject }),
        "file content",
      );
      // A put under way writes a chunk every moment.
      if (last && Date.now() - last.time.getTime() < graceMs) continue;
      await bounded(
        ANSWER_MS,
        this.#jsm.streams.purge(STREAM, { filter: subject }),
        "file content",
      );
      swept++;
    }
    return swept;
  }
}
