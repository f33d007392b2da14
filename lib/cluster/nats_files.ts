/**
 * Shared files on a cluster (issue 18), so any node serves a file sent to
 * another:
 *
 * - the content in NATS's object store {@linkcode FILES_OBJECT_STORE}, one
 *   object per SHA-256 ({@linkcode NatsObjectContent}); an upload is
 *   complete (hashed, within the limits) on the receiving node's disk
 *   before it is put, and the object store writes its chunks one at a
 *   time, each acknowledged, and makes the object visible only with its
 *   last (meta) message: nothing partial is ever served. Reads fetch one
 *   chunk at a time as the HTTP client takes them (direct gets), so neither
 *   an upload nor a download is ever whole in memory; a `Range` skips to
 *   the chunk it starts in;
 * - the records in the KV bucket {@linkcode FILES_BUCKET}, keyed by file id
 *   ({@linkcode NatsFileIndex}), checked as everything read from NATS;
 * - the budget (`--files-budget`) counts the object store's bytes, read
 *   before each upload and again before its content is put, so it holds
 *   for the whole cluster (but for uploads finishing on two nodes at the
 *   same moment);
 * - retention follows the messages as on one server: a record older than
 *   the grace that no message of the room stream announces is deleted,
 *   and its content once no record holds it ({@linkcode NatsFileIndex.removeUnreferenced},
 *   which reads the whole stream; every node runs it hourly).
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type ObjectStore, Objm, StorageType } from "@nats-io/obj";
import { cleanFileName } from "../core/file_name.ts";
import type {
  FileContent,
  FileIndex,
  FileRecord,
  ReleasedContent,
  RemovedFile,
} from "../core/state/file_index.ts";
import { FILES_BUCKET, FILES_OBJECT_STORE } from "./cluster_names.ts";
import { FILE_ID, finite, natsMediaType, natsNick, natsSize } from "./nats_input.ts";
import { bounded } from "./nats_link.ts";
import { NatsHistoryReader } from "./nats_history_reader.ts";

/** The bytes of one chunk of an object (the object store's default). */
export const CHUNK_BYTES = 128 * 1024;
/** How long a read of the index or the content may wait on NATS. */
const ANSWER_MS = 10_000;

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

  private constructor(store: ObjectStore, jsm: JetStreamManager) {
    this.#store = store;
    this.#jsm = jsm;
  }

  /** Opens (creating) the object store. */
  static async open(options: NatsFilesOptions): Promise<NatsObjectContent> {
    const store = await new Objm(options.nc).create(FILES_OBJECT_STORE, {
      replicas: options.replicas ?? 3,
      storage: StorageType.File,
    });
    return new NatsObjectContent(store, await jetstreamManager(options.nc));
  }

  /** Puts the complete upload at `path` as the object `sha256`, unless it is stored. */
  async place(path: string, sha256: string, size: number): Promise<number> {
    const held = await bounded(ANSWER_MS, this.#store.info(sha256), "file content");
    if (held && !held.deleted && held.size === size) return 0;
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
  }

  /** The bytes asked for, a chunk fetched each time the reader wants more. */
  async *read(sha256: string, start: number, end: number): AsyncGenerator<Uint8Array> {
    const info = await bounded(ANSWER_MS, this.#store.info(sha256), "file content");
    if (!info || info.deleted) throw new Error(`The content ${sha256} is not stored`);
    const subject = `$O.${FILES_OBJECT_STORE}.C.${info.nuid}`;
    const stream = `OBJ_${FILES_OBJECT_STORE}`;
    let seq = 0;
    let offset = 0;
    while (offset <= end) {
      const message = await bounded(
        ANSWER_MS,
        this.#jsm.direct.getMessage(stream, { seq: seq + 1, next_by_subj: subject }),
        "file content",
      );
      if (!message) throw new Error(`The content ${sha256} ends at ${offset} bytes`);
      seq = message.seq;
      const from = offset;
      offset += message.data.length;
      if (offset <= start) continue; // Before the range: skipped.
      yield message.data.subarray(
        Math.max(0, start - from),
        Math.min(message.data.length, end - from + 1),
      );
    }
  }

  /** Deletes the object (its chunks are purged). */
  async remove(sha256: string): Promise<void> {
    await this.#store.delete(sha256).catch(() => {});
  }

  /** Bytes the object store holds: what the cluster's budget counts. */
  async storedBytes(): Promise<number> {
    return (await bounded(ANSWER_MS, this.#store.status(), "file content")).size;
  }
}

/** A record read from the bucket, checked and rebuilt (see nats_input.ts). */
export function natsFileRecord(value: unknown): FileRecord {
  if (typeof value !== "object" || value === null) throw new Error("file record: not an object");
  const r = value as Record<string, unknown>;
  const token = (v: unknown, what: string) => {
    if (typeof v !== "string" || !FILE_ID.test(v)) throw new Error(`file record: bad ${what}`);
    return v;
  };
  if (typeof r.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(r.sha256)) {
    throw new Error("file record: bad sha256");
  }
  if (typeof r.name !== "string" || r.name.length > 1_000) throw new Error("file record: bad name");
  const dm = r.dm;
  if (
    dm !== undefined &&
    !(Array.isArray(dm) && dm.length === 2 && dm.every((nick) => typeof nick === "string"))
  ) throw new Error("file record: bad dm");
  if ((r.room === undefined) === (dm === undefined)) throw new Error("file record: room or dm");
  if (r.room !== undefined && (typeof r.room !== "string" || r.room.length > 200)) {
    throw new Error("file record: bad room");
  }
  return {
    id: token(r.id, "id"),
    name: cleanFileName(r.name),
    size: natsSize(r.size, "size"),
    type: natsMediaType(r.type),
    sha256: r.sha256,
    uploader: natsNick(r.uploader, "uploader"),
    ...(r.room !== undefined ? { room: r.room as string } : {}),
    ...(dm !== undefined
      ? { dm: [natsNick(dm[0], "dm"), natsNick(dm[1], "dm")] as [string, string] }
      : {}),
    ts: finite(r.ts, "ts"),
    key: token(r.key, "key"),
  };
}

/** The records of shared files in a KV bucket; see the module doc. */
export class NatsFileIndex implements FileIndex {
  readonly #kv: KV;
  readonly #nc: NatsConnection;

  private constructor(kv: KV, nc: NatsConnection) {
    this.#kv = kv;
    this.#nc = nc;
  }

  /** Opens (creating) the bucket. */
  static async open(options: NatsFilesOptions): Promise<NatsFileIndex> {
    const kv = await new Kvm(options.nc).create(FILES_BUCKET, {
      replicas: options.replicas ?? 3,
      history: 1,
    });
    return new NatsFileIndex(kv, options.nc);
  }

  /** Records a file (its id is new: a compare-and-set on nothing). */
  async add(record: FileRecord): Promise<void> {
    await bounded(ANSWER_MS, this.#kv.create(record.id, JSON.stringify(record)), "file record");
  }

  /** The file of an id, read from the bucket (so a file sent to another node a moment ago is found). */
  async get(id: string): Promise<FileRecord | undefined> {
    if (!FILE_ID.test(id)) return undefined;
    const entry = await bounded(ANSWER_MS, this.#kv.get(id), "file record");
    if (!entry || entry.operation !== "PUT") return undefined;
    try {
      return natsFileRecord(entry.json());
    } catch {
      return undefined; // Not what a node writes: no such file.
    }
  }

  /** 0: the object store counts its bytes itself ({@linkcode NatsObjectContent.storedBytes}). */
  contentBytes(): number {
    return 0;
  }

  /** Whether some record holds this content. */
  async hasContent(sha256: string): Promise<boolean> {
    return (await this.#records()).some((record) => record.sha256 === sha256);
  }

  /** Whether some record holds content of exactly `size` bytes. */
  async hasContentOfSize(size: number): Promise<boolean> {
    return (await this.#records()).some((record) => record.size === size);
  }

  /** Bytes of the distinct content `uploader` sent, on every node. */
  async uploaderBytes(uploader: string): Promise<number> {
    const sizes = new Map<string, number>();
    for (const record of await this.#records()) {
      if (sameNick(record.uploader, uploader)) sizes.set(record.sha256, record.size);
    }
    let total = 0;
    for (const size of sizes.values()) total += size;
    return total;
  }

  /** Whether `uploader` sent this content. */
  async uploaderHas(uploader: string, sha256: string): Promise<boolean> {
    return (await this.#records()).some((record) =>
      record.sha256 === sha256 && sameNick(record.uploader, uploader)
    );
  }

  /** Forgets one file (`/rmfile`), releasing its content when no other record holds it. */
  async remove(id: string): Promise<RemovedFile | undefined> {
    const record = await this.get(id);
    if (!record) return undefined;
    await bounded(ANSWER_MS, this.#kv.purge(id), "file record");
    if (await this.hasContent(record.sha256)) return { record };
    return { record, released: { sha256: record.sha256, size: record.size } };
  }

  /**
   * Deletes the records older than `olderThan` that no message of the room
   * stream announces, and returns the content no remaining record holds
   * (read again just before: a file sent meanwhile keeps its content).
   */
  async removeUnreferenced(olderThan: number): Promise<ReleasedContent[]> {
    const announced = await this.#announced();
    const dropped = new Map<string, number>();
    for (const record of await this.#records()) {
      if (record.ts >= olderThan || announced.has(record.id)) continue;
      await this.#kv.purge(record.id);
      dropped.set(record.sha256, record.size);
    }
    if (dropped.size === 0) return [];
    for (const record of await this.#records()) dropped.delete(record.sha256);
    return [...dropped].map(([sha256, size]) => ({ sha256, size }));
  }

  async #records(): Promise<FileRecord[]> {
    const records: FileRecord[] = [];
    for await (const key of await this.#kv.keys()) {
      const record = await this.get(key).catch(() => undefined);
      if (record) records.push(record);
    }
    return records;
  }

  /** The ids of the files the room stream's messages announce. */
  async #announced(): Promise<Set<string>> {
    const reader = await NatsHistoryReader.open(this.#nc);
    const ids = new Set<string>();
    for await (const { event } of reader.events(undefined, { seq: 1 })) {
      if (event.type === "msg" && event.file) ids.add(event.file.id);
    }
    return ids;
  }
}

/** The index and content of a cluster's shared files. */
export async function openNatsFiles(
  options: NatsFilesOptions,
): Promise<{ index: NatsFileIndex; content: NatsObjectContent }> {
  const index = await NatsFileIndex.open(options);
  const content = await NatsObjectContent.open(options);
  return { index, content };
}

function sameNick(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
