/**
 * The SQLite store's schema: numbered migrations, the version check, and
 * the one-line error for a database that cannot be opened.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";

/** Migrations, in order; the database records how many it has applied. */
export const MIGRATIONS: string[] = [
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
  `ALTER TABLE rooms ADD COLUMN topic TEXT;
   ALTER TABLE rooms ADD COLUMN topic_by TEXT;
   ALTER TABLE rooms ADD COLUMN topic_ts INTEGER;`,
  // History by time within a room (`/history --after <time>`, CHATHISTORY timestamps).
  `CREATE INDEX messages_by_room_time ON messages (room_key, ts);`,
  // Shared files (issue 18): metadata (with each file's capability token, `key`); the content is
  // stored by its SHA-256 under files/; a message announcing a file keeps it as JSON in `file`.
  `CREATE TABLE files (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     size INTEGER NOT NULL,
     type TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     uploader TEXT NOT NULL,
     room_key TEXT,
     dm_a TEXT,
     dm_b TEXT,
     ts INTEGER NOT NULL,
     key TEXT NOT NULL,
     CHECK ((room_key IS NULL) <> (dm_a IS NULL AND dm_b IS NULL))
   ) WITHOUT ROWID;
   CREATE INDEX files_by_content ON files (sha256);
   ALTER TABLE messages ADD COLUMN file TEXT;
   ALTER TABLE private_messages ADD COLUMN file TEXT;`,
];

/** A store that cannot be opened: the path and the cause, for a one-line error at start. */
export class StoreOpenError extends Error {
  constructor(readonly path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreOpenError";
  }
}

/**
 * The schema version `db` records (creating the table unless `readOnly`).
 *
 * @throws {Error} when a newer lanchat wrote it
 */
export function checkVersion(db: DatabaseSync, readOnly = false): number {
  if (!readOnly) db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = db.prepare("SELECT version FROM schema_version").get() as
    | { version: number }
    | undefined;
  const version = row?.version ?? 0;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `it was written by a newer lanchat (schema ${version}, this one knows ${MIGRATIONS.length})`,
    );
  }
  return version;
}

/** Applies the migrations `db` has not had yet, each in a transaction. */
export function migrate(db: DatabaseSync): void {
  const version = checkVersion(db);
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.exec("BEGIN");
    db.exec(MIGRATIONS[v]);
    db.exec("DELETE FROM schema_version");
    db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(v + 1);
    db.exec("COMMIT");
  }
}

/** What went wrong opening the store at `path`, and what to do about it, in one line. */
export function describeOpenError(path: string, error: Error): string {
  const message = error.message ?? String(error);
  if (/not a database|malformed|corrupt/i.test(message)) {
    return `cannot open the history store ${path}: the file is not a lanchat database or is corrupt (${message}); move it away or use --data-dir`;
  }
  if (/unable to open|permission|readonly|NotCapable/i.test(message)) {
    return `cannot open the history store ${path}: ${message}; check the directory's permissions or use --data-dir / --no-persist`;
  }
  return `cannot open the history store ${path}: ${message}`;
}
