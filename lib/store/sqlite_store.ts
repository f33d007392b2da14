/**
 * The history and access store on SQLite (`node:sqlite`): messages written
 * behind in batches, paged on request, trimmed to a disk budget; registrations
 * and bans through its `SqliteAccess` half.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { BanEntry, DirectEvent, MessageEvent, RoomTopic } from "../core/events.ts";
import type { HistoryStore, StoredRoom } from "../core/state/history_store.ts";
import type { HistoryRange } from "../core/state/history_query.ts";
import { messageBytes } from "../core/history.ts";
import type { AccessStore, Registration } from "../core/state/access_store.ts";
import { SqliteAccess } from "./sqlite_access.ts";
import { SqliteFileIndex } from "./sqlite_files.ts";
import { fileColumn, type MessageRow as Row, selectRange, toEvent } from "./sqlite_history.ts";
import {
  checkVersion,
  describeOpenError,
  migrate,
  MIGRATIONS,
  StoreOpenError,
} from "./sqlite_schema.ts";
import type { StoreReport } from "./store_report.ts";
import { DiskBudget, usedBytes } from "./disk_budget.ts";
import { WriteBuffer } from "./write_buffer.ts";

export { StoreOpenError } from "./sqlite_schema.ts";
export type { StoreReport } from "./store_report.ts";

/** Settings of a {@linkcode SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Most time a message waits in memory before it is written (ms).
   * @default {100}
   */
  flushDelayMs?: number;
  /**
   * Most messages that wait in memory before a write.
   * @default {256}
   */
  flushBatch?: number;
  /**
   * Most bytes of messages (counted as {@linkcode messageBytes} counts them)
   * that wait in memory. A write starts at half of it; while writes fail,
   * the oldest waiting messages are dropped past it, and counted as lost.
   * @default {16 MiB}
   */
  maxPendingBytes?: number;
  /**
   * The disk budget: most bytes the database's pages may hold. Past it, the
   * oldest messages of all rooms (and private messages) are deleted, in
   * batches, down to 90% of it. Undefined: no budget.
   */
  maxBytes?: number;
  /** Hears what the store wants logged: failed writes, recovery, trimming, losses. */
  report?: (report: StoreReport) => void;
  /** Open for reading only (`chat-server export`): no migration, no write. */
  readOnly?: boolean;
  /** Released after the database is closed: the lock on its data directory. */
  lock?: { release(): void };
}

/** A message waiting to be written: to a room (with its folded name) or private. */
type Pending =
  | { foldedRoom: string; event: MessageEvent; bytes: number }
  | { foldedRoom: undefined; event: DirectEvent; bytes: number };

/** Retries of a failing write come this often (ms). */
const RETRY_MS = 1000;
/** Longest one flush spends deleting for the disk budget (ms); the rest waits for the next. */
const TRIM_SLICE_MS = 50;

/**
 * Message history in an embedded SQLite database (WAL mode), written
 * behind: appends wait in memory and go to disk in one transaction after
 * at most `flushDelayMs` (100) or `flushBatch` (256) messages, so writing
 * never slows a broadcast. After a crash (kill -9) at most that window is
 * lost; SIGINT and SIGTERM flush first.
 *
 * Nick registrations and bans (the {@linkcode AccessStore} half) are rare
 * and must not be lost, so they are written through at once.
 */
export class SqliteStore implements HistoryStore, AccessStore {
  readonly #db: DatabaseSync;
  readonly #options: SqliteStoreOptions & {
    flushDelayMs: number;
    flushBatch: number;
    maxPendingBytes: number;
  };
  /** Messages waiting to be written, and the accounting of a failing disk. */
  readonly #pending: WriteBuffer<Pending>;
  /** The disk budget, when there is one. */
  readonly #budget: DiskBudget | undefined;
  readonly #lastIds = new Map<string, { name: string; lastId: number }>();
  /** Topics set since the last flush (`null`: cleared). */
  readonly #topics = new Map<string, { name: string; topic: RoomTopic | null }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #insert!: StatementSync;
  #insertPrivate!: StatementSync;
  #upsertRoom!: StatementSync;
  #upsertTopic!: StatementSync;
  #access!: SqliteAccess;
  #files: SqliteFileIndex | undefined;
  #closed = false;

  /**
   * Opens (creating if needed) the database at `path`, applying migrations.
   *
   * @throws {StoreOpenError} with the path and the cause when it cannot
   */
  constructor(readonly path: string, options: SqliteStoreOptions = {}) {
    this.#options = {
      flushDelayMs: 100,
      flushBatch: 256,
      maxPendingBytes: 16 * 1024 * 1024,
      ...options,
    };
    this.#pending = new WriteBuffer({
      maxPendingBytes: this.#options.maxPendingBytes,
      report: options.report,
    });
    try {
      if (options.readOnly) {
        const reader = new DatabaseSync(path, { readOnly: true });
        reader.exec("PRAGMA busy_timeout = 1000;");
        const row = reader.prepare("SELECT version FROM schema_version").get() as
          | { version: number }
          | undefined;
        if ((row?.version ?? 0) >= MIGRATIONS.length) {
          this.#db = reader;
          checkVersion(this.#db, true);
          this.#budget = this.#diskBudget();
          this.#access = new SqliteAccess(this.#db);
          return;
        }
        // An older schema: migrate it first, as the server would.
        reader.close();
      }
      this.#db = new DatabaseSync(path);
      this.#db.exec(
        // The WAL is cut back to 16 MiB after each checkpoint, so it does not keep a burst's size.
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 100; " +
          "PRAGMA journal_size_limit = 16777216;",
      );
      migrate(this.#db);
      this.#budget = this.#diskBudget();
      this.#access = new SqliteAccess(this.#db);
      this.#insert = this.#db.prepare(
        "INSERT OR REPLACE INTO messages (room_key, id, room, ts, from_nick, kind, text, file) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      this.#insertPrivate = this.#db.prepare(
        "INSERT INTO private_messages (ts, from_nick, to_nick, kind, text, file) VALUES (?, ?, ?, ?, ?, ?)",
      );
      this.#upsertRoom = this.#db.prepare(
        "INSERT INTO rooms (key, name, last_id) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET last_id = max(last_id, excluded.last_id), name = excluded.name",
      );
      this.#upsertTopic = this.#db.prepare(
        "INSERT INTO rooms (key, name, last_id, topic, topic_by, topic_ts) VALUES (?, ?, 0, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET topic = excluded.topic, topic_by = excluded.topic_by, topic_ts = excluded.topic_ts, name = excluded.name",
      );
    } catch (cause) {
      throw new StoreOpenError(path, describeOpenError(path, cause as Error), { cause });
    }
  }

  #diskBudget(): DiskBudget | undefined {
    const { maxBytes, report } = this.#options;
    return maxBytes === undefined ? undefined : new DiskBudget(this.#db, maxBytes, report);
  }

  /** The metadata of shared files, in the same database (written through). */
  get files(): SqliteFileIndex {
    return this.#files ??= new SqliteFileIndex(this.#db);
  }

  /** Accepted messages not written yet. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Bytes the database's pages hold now (its size less its free pages). */
  get usedBytes(): number {
    return usedBytes(this.#db);
  }

  load(foldedRoom: string, limit: number): StoredRoom {
    const room = this.#db.prepare(
      "SELECT last_id, topic, topic_by, topic_ts FROM rooms WHERE key = ?",
    ).get(foldedRoom) as
      | { last_id: number; topic: string | null; topic_by: string | null; topic_ts: number | null }
      | undefined;
    const pendingTopic = this.#topics.get(foldedRoom);
    const topic = pendingTopic
      ? pendingTopic.topic ?? undefined
      : room?.topic
      ? { text: room.topic, by: room.topic_by ?? "", ts: Number(room.topic_ts ?? 0) }
      : undefined;
    const messages = limit > 0 ? this.#page(foldedRoom, Number.MAX_SAFE_INTEGER, limit) : [];
    const pendingLast = this.#lastIds.get(foldedRoom)?.lastId ?? 0;
    return {
      lastId: Math.max(room?.last_id ?? 0, messages.at(-1)?.id ?? 0, pendingLast),
      messages,
      ...(topic ? { topic } : {}),
    };
  }

  append(foldedRoom: string, event: MessageEvent): void {
    this.#enqueue({ foldedRoom, event, bytes: messageBytes(event) });
  }

  appendPrivate(event: DirectEvent): void {
    const bytes = 2 * (event.text.length + event.from.length + event.to.length) + 128;
    this.#enqueue({ foldedRoom: undefined, event, bytes });
  }

  #enqueue(message: Pending): void {
    if (this.#closed || this.#options.readOnly) return;
    // While writes fail, the buffer stays bounded by dropping its oldest
    // messages, each one counted; and only the retry timer writes, never the broadcast.
    this.#pending.add(message);
    if (this.#pending.failing) return;
    if (
      this.#pending.length >= this.#options.flushBatch ||
      this.#pending.bytes >= this.#options.maxPendingBytes / 2
    ) {
      this.flush();
    } else this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
  }

  /** Every stored private message since `since` (ms), oldest first. */
  *exportPrivate(since = 0): Generator<DirectEvent> {
    this.flush();
    const statement = this.#db.prepare(
      "SELECT ts, from_nick, to_nick, kind, text FROM private_messages WHERE ts >= ? ORDER BY seq",
    );
    for (const row of statement.iterate(since) as Iterable<Record<string, string | number>>) {
      yield {
        type: "dm",
        ts: Number(row.ts),
        from: String(row.from_nick),
        to: String(row.to_nick),
        text: String(row.text),
        kind: row.kind === "action" || row.kind === "notice" ? row.kind : "say",
      };
    }
  }

  setTopic(foldedRoom: string, name: string, topic: RoomTopic | undefined): void {
    if (this.#closed || this.#options.readOnly) return;
    this.#topics.set(foldedRoom, { name, topic: topic ?? null });
    this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
  }

  touch(foldedRoom: string, name: string, lastId: number): void {
    this.#lastIds.set(foldedRoom, { name, lastId });
    if (!this.#closed) this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
  }

  page(foldedRoom: string, beforeId: number, limit: number): Promise<MessageEvent[]> {
    return Promise.resolve(this.#page(foldedRoom, beforeId, limit));
  }

  #page(foldedRoom: string, beforeId: number, limit: number): MessageEvent[] {
    return this.#range(foldedRoom, { below: { id: beforeId }, newest: true, limit });
  }

  range(foldedRoom: string, range: HistoryRange): Promise<MessageEvent[]> {
    return Promise.resolve(this.#range(foldedRoom, range));
  }

  #range(foldedRoom: string, range: HistoryRange): MessageEvent[] {
    if (!this.#pending.failing) this.flush();
    return selectRange(this.#db, foldedRoom, range);
  }

  /** The rooms that have stored messages, by name, sorted: for `chat-server export`'s errors. */
  storedRooms(): string[] {
    const rows = this.#db.prepare(
      "SELECT min(room) AS room FROM messages GROUP BY room_key ORDER BY room_key",
    ).all() as { room: string }[];
    return rows.map((row) => row.room);
  }

  /** Every message of a room since `since` (ms), oldest first: for `chat-server export`. */
  *export(foldedRoom: string, since = 0): Generator<MessageEvent> {
    const statement = this.#db.prepare(
      "SELECT room, id, ts, from_nick, kind, text, file FROM messages WHERE room_key = ? AND ts >= ? ORDER BY id",
    );
    for (const row of statement.iterate(foldedRoom, since) as Iterable<Row>) yield toEvent(row);
  }

  prune(olderThan: number | undefined, keep: number | undefined): number {
    if (!this.#pending.failing) this.flush();
    let removed = 0;
    if (olderThan !== undefined) {
      removed += Number(
        this.#db.prepare("DELETE FROM messages WHERE ts < ?").run(olderThan).changes,
      );
      removed += Number(
        this.#db.prepare("DELETE FROM private_messages WHERE ts < ?").run(olderThan).changes,
      );
    }
    if (keep !== undefined) {
      removed += Number(
        this.#db.prepare(
          `DELETE FROM messages WHERE (room_key, id) IN (
             SELECT room_key, id FROM (
               SELECT room_key, id, row_number() OVER (PARTITION BY room_key ORDER BY id DESC) AS n
               FROM messages) WHERE n > ?)`,
        ).run(keep).changes,
      );
    }
    // A budget lowered since the last run is met now, whatever it takes.
    this.#budget?.trim(Infinity);
    return removed;
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#options.readOnly) return;
    if (this.#pending.length === 0 && this.#lastIds.size === 0 && this.#topics.size === 0) {
      if (this.#budget?.trimming) this.#trim();
      return;
    }
    const pending = this.#pending.items;
    try {
      this.#db.exec("BEGIN");
      for (const { foldedRoom, event } of pending) {
        if (foldedRoom === undefined) {
          const dm = event as DirectEvent;
          this.#insertPrivate.run(dm.ts, dm.from, dm.to, dm.kind, dm.text, fileColumn(dm.file));
          continue;
        }
        const message = event as MessageEvent;
        this.#insert.run(
          foldedRoom,
          message.id,
          message.room,
          message.ts,
          message.from,
          message.kind,
          message.text,
          fileColumn(message.file),
        );
      }
      for (const [foldedRoom, { name, lastId }] of this.#lastIds) {
        this.#upsertRoom.run(foldedRoom, name, lastId);
      }
      for (const [foldedRoom, { name, topic }] of this.#topics) {
        this.#upsertTopic.run(
          foldedRoom,
          name,
          topic?.text ?? null,
          topic?.by ?? null,
          topic?.ts ?? null,
        );
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // No transaction was open.
      }
      // Keep the messages, say so (now and then), retry on a timer.
      this.#pending.failed(error as Error);
      if (!this.#closed) this.#timer = setTimeout(() => this.flush(), RETRY_MS);
      return;
    }
    this.#pending.written();
    this.#lastIds.clear();
    this.#topics.clear();
    this.#trim();
  }

  /** One slice of work for the disk budget; when not done, the next flush (or this timer) goes on. */
  #trim(): void {
    if (this.#budget?.trimSafely(TRIM_SLICE_MS) && !this.#closed) {
      this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
    }
  }

  registration(folded: string): Registration | undefined {
    return this.#access.registration(folded);
  }

  registrations(): Iterable<Registration> {
    return this.#access.registrations();
  }

  findBan(fingerprint: string | undefined, address: string | undefined): BanEntry | undefined {
    return this.#access.findBan(fingerprint, address);
  }

  registrationCount(fingerprint: string): Promise<number> {
    return this.#access.registrationCount(fingerprint);
  }

  register(folded: string, registration: Registration): Promise<void> {
    return this.#access.register(folded, registration);
  }

  unregister(folded: string): Promise<boolean> {
    return this.#access.unregister(folded);
  }

  addBan(ban: BanEntry): Promise<void> {
    return this.#access.addBan(ban);
  }

  removeBan(kind: BanEntry["kind"], value: string): Promise<boolean> {
    return this.#access.removeBan(kind, value);
  }

  bans(): Promise<BanEntry[]> {
    return this.#access.bans();
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.discard();
    this.#db.close();
    this.#options.lock?.release();
  }
}
