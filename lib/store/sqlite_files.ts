/**
 * Shared files' metadata in the store's database (the `files` table of
 * migration 6), written through at once: a file is recorded only after its
 * content is in place, and must not be lost to a crash afterwards.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { foldNick } from "../core/nick.ts";
import type {
  FileIndex,
  FileRecord,
  ReleasedContent,
  RemovedFile,
} from "../core/state/file_index.ts";

interface FileRow {
  id: string;
  name: string;
  size: number;
  type: string;
  sha256: string;
  uploader: string;
  room_key: string | null;
  dm_a: string | null;
  dm_b: string | null;
  ts: number;
  key: string;
}

/** A {@linkcode FileIndex} on the store's SQLite database. */
export class SqliteFileIndex implements FileIndex {
  readonly #insert: StatementSync;
  readonly #byId: StatementSync;
  readonly #byContent: StatementSync;
  readonly #contentBytes: StatementSync;
  readonly #removeUnreferenced: StatementSync;
  readonly #bySize: StatementSync;
  readonly #uploaderBytes: StatementSync;
  readonly #uploaderHas: StatementSync;
  readonly #remove: StatementSync;

  /** Uses `db`, migrated to at least schema 6. */
  constructor(db: DatabaseSync) {
    // Uploaders compared as the hub compares nicks (SQLite's lower() is ASCII only).
    db.function("fold_nick", { deterministic: true }, (nick) => foldNick(String(nick)));
    this.#insert = db.prepare(
      "INSERT INTO files (id, name, size, type, sha256, uploader, room_key, dm_a, dm_b, ts, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.#byId = db.prepare("SELECT * FROM files WHERE id = ?");
    this.#byContent = db.prepare("SELECT 1 FROM files WHERE sha256 = ? LIMIT 1");
    this.#contentBytes = db.prepare(
      "SELECT coalesce(sum(size), 0) AS total FROM (SELECT max(size) AS size FROM files GROUP BY sha256)",
    );
    this.#bySize = db.prepare("SELECT 1 FROM files WHERE size = ? LIMIT 1");
    this.#uploaderBytes = db.prepare(
      "SELECT coalesce(sum(size), 0) AS total FROM (SELECT max(size) AS size FROM files WHERE fold_nick(uploader) = fold_nick(?) GROUP BY sha256)",
    );
    this.#uploaderHas = db.prepare(
      "SELECT 1 FROM files WHERE sha256 = ? AND fold_nick(uploader) = fold_nick(?) LIMIT 1",
    );
    this.#remove = db.prepare("DELETE FROM files WHERE id = ? RETURNING *");
    this.#removeUnreferenced = db.prepare(
      `DELETE FROM files WHERE ts < ? AND id NOT IN (
         SELECT json_extract(file, '$.id') FROM messages WHERE file IS NOT NULL
         UNION SELECT json_extract(file, '$.id') FROM private_messages WHERE file IS NOT NULL)
       RETURNING sha256, size`,
    );
  }

  /** Records a file. */
  add(record: FileRecord): void {
    this.#insert.run(
      record.id,
      record.name,
      record.size,
      record.type,
      record.sha256,
      record.uploader,
      record.room ?? null,
      record.dm?.[0] ?? null,
      record.dm?.[1] ?? null,
      record.ts,
      record.key,
    );
  }

  /** The file of an id. */
  get(id: string): FileRecord | undefined {
    const row = this.#byId.get(id) as FileRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Whether this content is recorded. */
  hasContent(sha256: string): boolean {
    return this.#byContent.get(sha256) !== undefined;
  }

  /** Bytes of distinct content. */
  contentBytes(): number {
    return Number((this.#contentBytes.get() as { total: number }).total);
  }

  /** Whether content of `size` bytes is recorded. */
  hasContentOfSize(size: number): boolean {
    return this.#bySize.get(size) !== undefined;
  }

  /** Bytes of the distinct content `uploader` sent. */
  uploaderBytes(uploader: string): number {
    return Number((this.#uploaderBytes.get(uploader) as { total: number }).total);
  }

  /** Whether `uploader` sent this content. */
  uploaderHas(uploader: string, sha256: string): boolean {
    return this.#uploaderHas.get(sha256, uploader) !== undefined;
  }

  /** Forgets one file, releasing its content when no other file has it. */
  remove(id: string): RemovedFile | undefined {
    const row = this.#remove.get(id) as FileRow | undefined;
    if (!row) return undefined;
    const record = fromRow(row);
    if (this.hasContent(record.sha256)) return { record };
    return { record, released: { sha256: record.sha256, size: record.size } };
  }

  /** Forgets unannounced files stored before `olderThan`; the content left unrecorded. */
  removeUnreferenced(olderThan: number): ReleasedContent[] {
    const removed = this.#removeUnreferenced.all(olderThan) as unknown as ReleasedContent[];
    const released = new Map<string, number>();
    for (const { sha256, size } of removed) {
      if (!this.hasContent(sha256)) released.set(sha256, Number(size));
    }
    return [...released].map(([sha256, size]) => ({ sha256, size }));
  }
}

function fromRow(row: FileRow): FileRecord {
  return {
    id: row.id,
    name: row.name,
    size: Number(row.size),
    type: row.type,
    sha256: row.sha256,
    uploader: row.uploader,
    ...(row.room_key !== null ? { room: row.room_key } : {}),
    ...(row.dm_a !== null && row.dm_b !== null ? { dm: [row.dm_a, row.dm_b] as const } : {}),
    ts: Number(row.ts),
    key: row.key,
  };
}
