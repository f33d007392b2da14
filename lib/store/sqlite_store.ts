import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { BanEntry, DirectEvent, MessageEvent } from "../core/events.ts";
import type { HistoryStore, StoredRoom } from "../core/state/history_store.ts";
import { messageBytes } from "../core/history.ts";
import type { AccessStore, Registration } from "../core/state/access_store.ts";
import { SqliteAccess } from "./sqlite_access.ts";
import {
  checkVersion,
  describeOpenError,
  migrate,
  MIGRATIONS,
  StoreOpenError,
} from "./sqlite_schema.ts";

export { StoreOpenError } from "./sqlite_schema.ts";

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

/** What a {@linkcode SqliteStore} tells its owner (`server.ts` logs each as one line). */
export type StoreReport =
  | {
    /** A write failed (the first time, then every 30 s while it keeps failing). */
    kind: "write_failed";
    error: Error;
    /** Accepted messages waiting to be written. */
    pending: number;
    /** Accepted messages dropped so far because too many were waiting. */
    dropped: number;
  }
  | {
    /** Writes work again after failing. */
    kind: "recovered";
    /** Messages written now that had waited. */
    written: number;
    /** Messages dropped while it failed. */
    dropped: number;
  }
  | {
    /** The disk budget was reached: the oldest messages were deleted. */
    kind: "trimmed";
    removed: number;
    usedBytes: number;
    maxBytes: number;
  }
  | {
    /** Deleting for the disk budget failed; it is tried again after the next write. */
    kind: "trim_failed";
    error: Error;
  }
  | {
    /** At close: accepted messages that were never written (dropped, or still failing). */
    kind: "lost";
    lost: number;
    error: Error | undefined;
  };

/** A message waiting to be written: to a room (with its key) or private. */
type Pending =
  | { roomKey: string; event: MessageEvent; bytes: number }
  | { roomKey: undefined; event: DirectEvent; bytes: number };

/** Retries of a failing write come this often (ms). */
const RETRY_MS = 1000;
/** While writes fail, a changed count is logged again after this many retries (or at once after 0). */
const REPORT_EVERY_RETRIES = 10;
/** Longest one flush spends deleting for the disk budget (ms); the rest waits for the next. */
const TRIM_SLICE_MS = 50;

interface Row {
  room: string;
  id: number;
  ts: number;
  from_nick: string;
  kind: string;
  text: string;
}

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
  /** Messages waiting to be written, oldest first, and their bytes. */
  #pending: Pending[] = [];
  #pendingBytes = 0;
  readonly #lastIds = new Map<string, { name: string; lastId: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #insert!: StatementSync;
  #insertPrivate!: StatementSync;
  #upsertRoom!: StatementSync;
  #access!: SqliteAccess;
  #closed = false;
  /** Set while writes fail: only the retry timer writes then. */
  #failing = false;
  /** Failed retries in a row, and the retry and count last reported. */
  #retries = 0;
  #reported = { retry: 0, count: 0, dropped: 0 };
  #lastError: Error | undefined;
  /** Accepted messages dropped (too many waiting while writes failed): in this failure, and in all. */
  #droppedNow = 0;
  #droppedInAll = 0;
  /** Set while the database is over its budget's low mark: each flush deletes some more. */
  #trimming = false;
  /** Messages deleted for the budget in the current round. */
  #trimmed = 0;
  /** How many of the oldest messages the next budget batch deletes (adapts to their size). */
  #trimBatch = 16;

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
      this.#access = new SqliteAccess(this.#db);
      this.#insert = this.#db.prepare(
        "INSERT OR REPLACE INTO messages (room_key, id, room, ts, from_nick, kind, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
      );
      this.#insertPrivate = this.#db.prepare(
        "INSERT INTO private_messages (ts, from_nick, to_nick, kind, text) VALUES (?, ?, ?, ?, ?)",
      );
      this.#upsertRoom = this.#db.prepare(
        "INSERT INTO rooms (key, name, last_id) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET last_id = max(last_id, excluded.last_id), name = excluded.name",
      );
    } catch (cause) {
      throw new StoreOpenError(path, describeOpenError(path, cause as Error), { cause });
    }
  }

  /** Accepted messages not written yet. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Bytes the database's pages hold now (its size less its free pages). */
  get usedBytes(): number {
    const pages = (this.#db.prepare("PRAGMA page_count").get() as { page_count: number })
      .page_count;
    const free = (this.#db.prepare("PRAGMA freelist_count").get() as { freelist_count: number })
      .freelist_count;
    const size = (this.#db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
    return (Number(pages) - Number(free)) * Number(size);
  }

  load(roomKey: string, limit: number): StoredRoom {
    const room = this.#db.prepare("SELECT last_id FROM rooms WHERE key = ?").get(roomKey) as
      | { last_id: number }
      | undefined;
    const messages = limit > 0 ? this.#page(roomKey, Number.MAX_SAFE_INTEGER, limit) : [];
    const pendingLast = this.#lastIds.get(roomKey)?.lastId ?? 0;
    return {
      lastId: Math.max(room?.last_id ?? 0, messages.at(-1)?.id ?? 0, pendingLast),
      messages,
    };
  }

  append(roomKey: string, event: MessageEvent): void {
    this.#enqueue({ roomKey, event, bytes: messageBytes(event) });
  }

  appendPrivate(event: DirectEvent): void {
    const bytes = 2 * (event.text.length + event.from.length + event.to.length) + 128;
    this.#enqueue({ roomKey: undefined, event, bytes });
  }

  #enqueue(message: Pending): void {
    if (this.#closed || this.#options.readOnly) return;
    this.#pending.push(message);
    this.#pendingBytes += message.bytes;
    if (this.#failing) {
      // Only the retry timer writes while writes fail, never the broadcast; the
      // buffer stays bounded by dropping its oldest messages, each one counted.
      if (this.#pendingBytes > this.#options.maxPendingBytes) this.#dropOldest();
      return;
    }
    if (
      this.#pending.length >= this.#options.flushBatch ||
      this.#pendingBytes >= this.#options.maxPendingBytes / 2
    ) {
      this.flush();
    } else this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
  }

  /** Drops the oldest waiting messages down to three quarters of the bound (one cut, not one per append). */
  #dropOldest(): void {
    const target = this.#options.maxPendingBytes * 0.75;
    let cut = 0;
    let bytes = this.#pendingBytes;
    while (cut < this.#pending.length - 1 && bytes > target) bytes -= this.#pending[cut++].bytes;
    this.#pending.splice(0, cut);
    this.#pendingBytes = bytes;
    this.#droppedNow += cut;
    this.#droppedInAll += cut;
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
        kind: row.kind === "action" ? "action" : "say",
      };
    }
  }

  touch(roomKey: string, name: string, lastId: number): void {
    this.#lastIds.set(roomKey, { name, lastId });
    if (!this.#closed) this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
  }

  page(roomKey: string, beforeId: number, limit: number): Promise<MessageEvent[]> {
    return Promise.resolve(this.#page(roomKey, beforeId, limit));
  }

  #page(roomKey: string, beforeId: number, limit: number): MessageEvent[] {
    if (!this.#failing) this.flush();
    const rows = this.#db.prepare(
      "SELECT room, id, ts, from_nick, kind, text FROM messages WHERE room_key = ? AND id < ? ORDER BY id DESC LIMIT ?",
    ).all(roomKey, beforeId, limit) as unknown as Row[];
    return rows.reverse().map(toEvent);
  }

  /** The rooms that have stored messages, by name, sorted: for `chat-server export`'s errors. */
  storedRooms(): string[] {
    const rows = this.#db.prepare(
      "SELECT min(room) AS room FROM messages GROUP BY room_key ORDER BY room_key",
    ).all() as { room: string }[];
    return rows.map((row) => row.room);
  }

  /** Every message of a room since `since` (ms), oldest first: for `chat-server export`. */
  *export(roomKey: string, since = 0): Generator<MessageEvent> {
    const statement = this.#db.prepare(
      "SELECT room, id, ts, from_nick, kind, text FROM messages WHERE room_key = ? AND ts >= ? ORDER BY id",
    );
    for (const row of statement.iterate(roomKey, since) as Iterable<Row>) yield toEvent(row);
  }

  prune(olderThan: number | undefined, keep: number | undefined): number {
    if (!this.#failing) this.flush();
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
    this.#trimToBudget(Infinity);
    return removed;
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#options.readOnly) return;
    if (this.#pending.length === 0 && this.#lastIds.size === 0) {
      if (this.#trimming) this.#trimSafely(TRIM_SLICE_MS);
      return;
    }
    const pending = this.#pending;
    try {
      this.#db.exec("BEGIN");
      for (const { roomKey, event } of pending) {
        if (roomKey === undefined) {
          const dm = event as DirectEvent;
          this.#insertPrivate.run(dm.ts, dm.from, dm.to, dm.kind, dm.text);
          continue;
        }
        const message = event as MessageEvent;
        this.#insert.run(
          roomKey,
          message.id,
          message.room,
          message.ts,
          message.from,
          message.kind,
          message.text,
        );
      }
      for (const [key, { name, lastId }] of this.#lastIds) this.#upsertRoom.run(key, name, lastId);
      this.#db.exec("COMMIT");
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // No transaction was open.
      }
      this.#failed(error as Error);
      return;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#lastIds.clear();
    if (this.#failing) {
      this.#options.report?.({
        kind: "recovered",
        written: pending.length,
        dropped: this.#droppedNow,
      });
      this.#failing = false;
      this.#retries = 0;
      this.#droppedNow = 0;
    }
    this.#trimSafely(TRIM_SLICE_MS);
  }

  /** Runs {@linkcode #trimToBudget}; a failure (a full disk can refuse a delete too) is reported, never thrown. */
  #trimSafely(sliceMs: number): void {
    try {
      this.#trimToBudget(sliceMs);
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // No transaction was open.
      }
      this.#trimming = false;
      this.#options.report?.({ kind: "trim_failed", error: error as Error });
    }
  }

  /** A write failed: keep the messages, say so (now and then), retry on a timer. */
  #failed(error: Error): void {
    this.#lastError = error;
    if (this.#pendingBytes > this.#options.maxPendingBytes) this.#dropOldest();
    const count = this.#pending.length + this.#droppedNow;
    const retry = this.#failing ? ++this.#retries : 0;
    // Said again at the next retry once messages wait or start to be dropped, else now and then.
    const reported = this.#reported;
    const changed = count !== reported.count && (
      reported.count === 0 || (this.#droppedNow > 0 && reported.dropped === 0) ||
      retry - reported.retry >= REPORT_EVERY_RETRIES
    );
    if (!this.#failing || changed) {
      this.#reported = { retry, count, dropped: this.#droppedNow };
      this.#options.report?.({
        kind: "write_failed",
        error,
        pending: this.#pending.length,
        dropped: this.#droppedNow,
      });
    }
    this.#failing = true;
    if (!this.#closed) this.#timer = setTimeout(() => this.flush(), RETRY_MS);
  }

  /**
   * Keeps the database within `maxBytes`: past it, deletes the oldest
   * messages of all rooms and the oldest private messages, a batch at a
   * time, until it holds at most 90% of the budget. Spends at most
   * `sliceMs` (Infinity: until done); a later flush carries on.
   */
  #trimToBudget(sliceMs: number): void {
    const maxBytes = this.#options.maxBytes;
    if (maxBytes === undefined) return;
    let used = this.usedBytes;
    if (!this.#trimming && used <= maxBytes) return;
    this.#trimming = true;
    const target = maxBytes * 0.9;
    const deadline = performance.now() + sliceMs;
    while (used > target && performance.now() < deadline) {
      const cutoff = this.#trimCutoff(this.#trimBatch);
      if (cutoff === undefined) break; // Nothing left to delete: the rest is not messages.
      this.#db.exec("BEGIN");
      let removed = Number(
        this.#db.prepare("DELETE FROM messages WHERE ts <= ?").run(cutoff).changes,
      );
      removed += Number(
        this.#db.prepare("DELETE FROM private_messages WHERE ts <= ?").run(cutoff).changes,
      );
      this.#db.exec("COMMIT");
      this.#trimmed += removed;
      const now = this.usedBytes;
      // Size the next batch to what is left, from what this one freed per message.
      const perMessage = Math.max(64, (used - now) / Math.max(1, removed));
      this.#trimBatch = Math.min(20_000, Math.max(1, Math.ceil((now - target) / perMessage)));
      used = now;
    }
    if (used > target && this.#cutoffExists()) {
      // Not done in this slice: the next flush (or this timer) goes on.
      if (!this.#closed) this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
      return;
    }
    this.#trimming = false;
    if (this.#trimmed > 0) {
      this.#options.report?.({
        kind: "trimmed",
        removed: this.#trimmed,
        usedBytes: used,
        maxBytes,
      });
    }
    this.#trimmed = 0;
  }

  /**
   * The time stamp up to which deleting removes the `count` oldest messages,
   * of rooms and private ones together (a merge of their time indexes); the
   * newest of all when there are fewer; undefined when there are none.
   */
  #trimCutoff(count: number): number | undefined {
    const nth = this.#db.prepare(
      "SELECT ts FROM messages UNION ALL SELECT ts FROM private_messages ORDER BY 1 LIMIT 1 OFFSET ?",
    ).get(count - 1) as { ts: number } | undefined;
    if (nth) return Number(nth.ts);
    const newest = this.#db.prepare(
      "SELECT max(ts) AS ts FROM (SELECT max(ts) AS ts FROM messages UNION ALL SELECT max(ts) FROM private_messages)",
    ).get() as { ts: number | null };
    return newest.ts === null ? undefined : Number(newest.ts);
  }

  #cutoffExists(): boolean {
    return this.#trimCutoff(1) !== undefined;
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
    const lost = this.#pending.length + this.#droppedInAll;
    if (lost > 0) this.#options.report?.({ kind: "lost", lost, error: this.#lastError });
    this.#pending = [];
    this.#db.close();
    this.#options.lock?.release();
  }
}

function toEvent(row: Row): MessageEvent {
  return {
    type: "msg",
    room: row.room,
    id: row.id,
    ts: row.ts,
    from: row.from_nick,
    text: row.text,
    kind: row.kind === "action" ? "action" : "say",
  };
}
