/**
 * Shared files on a cluster (issue 18), so any node serves a file sent to
 * another:
 *
 * - the content in NATS's object store, one object per SHA-256
 *   ({@linkcode NatsObjectContent}, `nats_file_content.ts`: one put per
 *   SHA-256 at a time, what a cut put leaves swept, nothing partial
 *   served);
 * - the records in the KV bucket {@linkcode FILES_BUCKET}, keyed by file id
 *   ({@linkcode NatsFileIndex}), checked as everything read from NATS;
 * - the budget (`--files-budget`) counts the object store's bytes, read
 *   before each upload and again before its content is put. Each node
 *   counts its own uploads under way, not the other nodes': uploads
 *   received on several nodes at once may each pass, so the store can
 *   exceed the budget by what the other nodes are receiving at that moment
 *   (each upload at most `--max-file-bytes`; docs/cluster.md, Limits);
 * - retention follows the messages as on one server: a record older than
 *   the grace that no message of the room stream announces is deleted,
 *   and its content once no record holds it ({@linkcode NatsFileIndex.removeUnreferenced},
 *   which reads the whole stream; every node runs it hourly). A record that
 *   cannot be read then stops the deletion of content: it may hold any.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";
import { cleanFileName } from "../core/file_name.ts";
import { foldNick } from "../core/nick.ts";
import type {
  FileIndex,
  FileRecord,
  ReleasedContent,
  RemovedFile,
} from "../core/state/file_index.ts";
import { FILES_BUCKET } from "./cluster_names.ts";
import { type NatsFilesOptions, NatsObjectContent } from "./nats_file_content.ts";
import { FILE_ID, finite, natsMediaType, natsNick, natsSize } from "./nats_input.ts";
import { bounded } from "./nats_link.ts";
import { NatsHistoryReader } from "./nats_history_reader.ts";
import { bucketKeys } from "./reader_recovery.ts";

/** How long a read of the index may wait on NATS. */
const ANSWER_MS = 10_000;

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

  /** The bucket, where the content's put locks are too (`put.<sha256>`, never a file id). */
  get bucket(): KV {
    return this.#kv;
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
    // Strict: a record that cannot be read now may hold any content, so nothing goes.
    for (const record of await this.#records(true)) dropped.delete(record.sha256);
    return [...dropped].map(([sha256, size]) => ({ sha256, size }));
  }

  /**
   * Every record; one that cannot be read is skipped, or with `strict`
   * fails the whole (a record read as absent must never free content).
   */
  async #records(strict = false): Promise<FileRecord[]> {
    const records: FileRecord[] = [];
    for (const key of await bucketKeys(this.#kv)) {
      let record: FileRecord | undefined;
      try {
        record = await this.get(key);
      } catch (error) {
        if (strict) throw new Error(`file record ${key} unreadable`, { cause: error });
      }
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
  const content = await NatsObjectContent.open(options, index.bucket);
  return { index, content };
}

function sameNick(a: string, b: string): boolean {
  return foldNick(a) === foldNick(b);
}
