import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { BanEntry, DirectEvent, MessageEvent } from "../core/events.ts";
import type { HistoryStore, StoredRoom } from "../core/history_store.ts";
import type { AccessStore, Registration } from "../core/access_store.ts";

/** Migrations, in order; the database records how many it has applied. */
const MIGRATIONS: string[] = [
  `CREATE TABLE rooms (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     last_id INTEGER NOT NULL
   );
   CREATE TABLE messages (
     room_key TEXT NOT NULL,
     id INTEGER NOT NULL,
     room TEXT NOT NULL,
     ts INTEGER NOT NULL,
     from_nick TEXT NOT NULL,
     kind TEXT NOT NULL,
     text TEXT NOT NULL,
     PRIMARY KEY (room_key, id)
   ) WITHOUT ROWID;
   CREATE INDEX messages_by_time ON messages (ts);`,
  `CREATE TABLE private_messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     ts INTEGER NOT NULL,
     from_nick TEXT NOT NULL,
     to_nick TEXT NOT NULL,
     kind TEXT NOT NULL,
     text TEXT NOT NULL
   );
   CREATE INDEX private_by_time ON private_messages (ts);`,
  `CREATE TABLE registrations (
     nick_key TEXT PRIMARY KEY,
     nick TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     ts INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX registrations_by_key ON registrations (fingerprint);
   CREATE TABLE bans (
     kind TEXT NOT NULL CHECK (kind IN ('key', 'ip')),
     value TEXT NOT NULL,
     nick TEXT,
     reason TEXT,
     by_nick TEXT NOT NULL,
     ts INTEGER NOT NULL,
     PRIMARY KEY (kind, value)
   ) WITHOUT ROWID;`,
];

/** A store that cannot be opened: the path and the cause, for a one-line error at start. */
export class StoreOpenError extends Error {
  constructor(readonly path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreOpenError";
  }
}

/** Settings of a {@linkcode SqliteStore}. */
export interface SqliteStoreOptions {
  /** Most time a message waits in memory before it is written (ms). */
  flushDelayMs?: number;
  /** Most messages that wait in memory before a write. */
  flushBatch?: number;
  /** Called when a write fails; the store keeps the messages and tries again. */
  onError?: (error: Error, pending: number) => void;
}

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
  readonly #options: Required<Omit<SqliteStoreOptions, "onError">> & SqliteStoreOptions;
  #pending: { roomKey: string; event: MessageEvent }[] = [];
  #pendingPrivate: DirectEvent[] = [];
  readonly #insertPrivate: StatementSync;
  readonly #lastIds = new Map<string, { name: string; lastId: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #insert: StatementSync;
  readonly #upsertRoom: StatementSync;
  #closed = false;
  /** Set while writes fail: retried on a timer, reported once per failure. */
  #failing = false;

  /**
   * Opens (creating if needed) the database at `path`, applying migrations.
   *
   * @throws {StoreOpenError} with the path and the cause when it cannot
   */
  constructor(readonly path: string, options: SqliteStoreOptions = {}) {
    this.#options = { flushDelayMs: 100, flushBatch: 256, ...options };
    try {
      this.#db = new DatabaseSync(path);
      this.#db.exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 100;",
      );
      this.#migrate();
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

  load(roomKey: string, limit: number): StoredRoom {
    const room = this.#db.prepare("SELECT last_id FROM rooms WHERE key = ?").get(roomKey) as
      | { last_id: number }
      | undefined;
    const messages = limit > 0 ? this.page(roomKey, Number.MAX_SAFE_INTEGER, limit) : [];
    const pendingLast = this.#lastIds.get(roomKey)?.lastId ?? 0;
    return {
      lastId: Math.max(room?.last_id ?? 0, messages.at(-1)?.id ?? 0, pendingLast),
      messages,
    };
  }

  append(roomKey: string, event: MessageEvent): void {
    if (this.#closed) return;
    this.#pending.push({ roomKey, event });
    // After a failed write, only the retry timer writes: never the broadcast.
    if (this.#pending.length >= this.#options.flushBatch && !this.#failing) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
  }

  appendPrivate(event: DirectEvent): void {
    if (this.#closed) return;
    this.#pendingPrivate.push(event);
    this.#timer ??= setTimeout(() => this.flush(), this.#options.flushDelayMs);
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

  page(roomKey: string, beforeId: number, limit: number): MessageEvent[] {
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
    return removed;
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (
      this.#pending.length === 0 && this.#lastIds.size === 0 && this.#pendingPrivate.length === 0
    ) return;
    const pending = this.#pending;
    const privates = this.#pendingPrivate;
    try {
      this.#db.exec("BEGIN");
      for (const { roomKey, event } of pending) {
        this.#insert.run(
          roomKey,
          event.id,
          event.room,
          event.ts,
          event.from,
          event.kind,
          event.text,
        );
      }
      for (const [key, { name, lastId }] of this.#lastIds) this.#upsertRoom.run(key, name, lastId);
      for (const dm of privates) this.#insertPrivate.run(dm.ts, dm.from, dm.to, dm.kind, dm.text);
      this.#db.exec("COMMIT");
      this.#pending = [];
      this.#pendingPrivate = [];
      this.#lastIds.clear();
      this.#failing = false;
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // No transaction was open.
      }
      // Keep them (bounded) and try again later; say so once per failure.
      if (this.#pending.length > 100_000) this.#pending.splice(0, this.#pending.length - 100_000);
      if (!this.#failing) this.#options.onError?.(error as Error, this.#pending.length);
      this.#failing = true;
      if (!this.#closed) this.#timer = setTimeout(() => this.flush(), 1000);
    }
  }

  registration(nickKey: string): Registration | undefined {
    const row = this.#db.prepare(
      "SELECT nick, fingerprint, ts FROM registrations WHERE nick_key = ?",
    ).get(nickKey) as { nick: string; fingerprint: string; ts: number } | undefined;
    return row ? { nick: row.nick, fingerprint: row.fingerprint, ts: Number(row.ts) } : undefined;
  }

  registrationCount(fingerprint: string): number {
    const row = this.#db.prepare("SELECT count(*) AS n FROM registrations WHERE fingerprint = ?")
      .get(fingerprint) as { n: number };
    return Number(row.n);
  }

  register(nickKey: string, registration: Registration): void {
    this.#db.prepare(
      "INSERT OR REPLACE INTO registrations (nick_key, nick, fingerprint, ts) VALUES (?, ?, ?, ?)",
    ).run(nickKey, registration.nick, registration.fingerprint, registration.ts);
  }

  unregister(nickKey: string): boolean {
    return Number(
      this.#db.prepare("DELETE FROM registrations WHERE nick_key = ?").run(nickKey).changes,
    ) > 0;
  }

  addBan(ban: BanEntry): void {
    this.#db.prepare(
      "INSERT OR REPLACE INTO bans (kind, value, nick, reason, by_nick, ts) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(ban.kind, ban.value, ban.nick ?? null, ban.reason ?? null, ban.by, ban.ts);
  }

  removeBan(kind: BanEntry["kind"], value: string): boolean {
    return Number(
      this.#db.prepare("DELETE FROM bans WHERE kind = ? AND value = ?").run(kind, value).changes,
    ) > 0;
  }

  findBan(fingerprint: string | undefined, address: string | undefined): BanEntry | undefined {
    const find = this.#db.prepare(
      "SELECT kind, value, nick, reason, by_nick, ts FROM bans WHERE kind = ? AND value = ?",
    );
    const row = (fingerprint ? find.get("key", fingerprint) : undefined) ??
      (address ? find.get("ip", address) : undefined);
    return row ? toBan(row as unknown as BanRow) : undefined;
  }

  bans(): BanEntry[] {
    const rows = this.#db.prepare(
      // A /ban adds the key first, then the address: list them in that order.
      "SELECT kind, value, nick, reason, by_nick, ts FROM bans ORDER BY ts, kind = 'ip', value",
    ).all() as unknown as BanRow[];
    return rows.map(toBan);
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#db.close();
  }

  #migrate(): void {
    this.#db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const row = this.#db.prepare("SELECT version FROM schema_version").get() as
      | { version: number }
      | undefined;
    const version = row?.version ?? 0;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `it was written by a newer lanchat (schema ${version}, this one knows ${MIGRATIONS.length})`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.#db.exec("BEGIN");
      this.#db.exec(MIGRATIONS[v]);
      this.#db.exec("DELETE FROM schema_version");
      this.#db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(v + 1);
      this.#db.exec("COMMIT");
    }
  }
}

interface BanRow {
  kind: string;
  value: string;
  nick: string | null;
  reason: string | null;
  by_nick: string;
  ts: number;
}

function toBan(row: BanRow): BanEntry {
  return {
    kind: row.kind === "key" ? "key" : "ip",
    value: row.value,
    ...(row.nick !== null ? { nick: row.nick } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    by: row.by_nick,
    ts: Number(row.ts),
  };
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

function describeOpenError(path: string, error: Error): string {
  const message = error.message ?? String(error);
  if (/not a database|malformed|corrupt/i.test(message)) {
    return `cannot open the history store ${path}: the file is not a lanchat database or is corrupt (${message}); move it away or use --data-dir`;
  }
  if (/unable to open|permission|readonly|NotCapable/i.test(message)) {
    return `cannot open the history store ${path}: ${message}; check the directory's permissions or use --data-dir / --no-persist`;
  }
  return `cannot open the history store ${path}: ${message}`;
}
