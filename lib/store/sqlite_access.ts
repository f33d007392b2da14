/**
 * The {@linkcode AccessStore} half of the SQLite store: registrations and
 * bans, written through at once (they are rare and must not be lost), and a
 * view of both kept in memory, loaded on first use and updated on every
 * write, which joins read synchronously.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { BanEntry } from "../core/events.ts";
import {
  type AccessStore,
  MemoryAccessStore,
  type Registration,
} from "../core/state/access_store.ts";

interface BanRow {
  kind: string;
  value: string;
  nick: string | null;
  reason: string | null;
  by_nick: string;
  ts: number;
}

/** Registrations and bans in the tables of migration 3, with an in-memory view. */
export class SqliteAccess implements AccessStore {
  readonly #db: DatabaseSync;
  /** The view: the tables as they are, loaded on first use. */
  #view: MemoryAccessStore | undefined;

  /** Works on `db`, whose schema is migrated already. */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  registration(folded: string): Registration | undefined {
    return this.#cached().registration(folded);
  }

  registrations(): Iterable<Registration> {
    return this.#cached().registrations();
  }

  findBan(fingerprint: string | undefined, address: string | undefined): BanEntry | undefined {
    return this.#cached().findBan(fingerprint, address);
  }

  registrationCount(fingerprint: string): Promise<number> {
    const row = this.#db.prepare("SELECT count(*) AS n FROM registrations WHERE fingerprint = ?")
      .get(fingerprint) as { n: number };
    return Promise.resolve(Number(row.n));
  }

  async register(folded: string, registration: Registration): Promise<void> {
    this.#db.prepare(
      "INSERT OR REPLACE INTO registrations (nick_key, nick, fingerprint, ts) VALUES (?, ?, ?, ?)",
    ).run(folded, registration.nick, registration.fingerprint, registration.ts);
    await this.#view?.register(folded, registration);
  }

  async unregister(folded: string): Promise<boolean> {
    const removed = Number(
      this.#db.prepare("DELETE FROM registrations WHERE nick_key = ?").run(folded).changes,
    ) > 0;
    await this.#view?.unregister(folded);
    return removed;
  }

  async addBan(ban: BanEntry): Promise<void> {
    this.#db.prepare(
      "INSERT OR REPLACE INTO bans (kind, value, nick, reason, by_nick, ts) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(ban.kind, ban.value, ban.nick ?? null, ban.reason ?? null, ban.by, ban.ts);
    await this.#view?.addBan(ban);
  }

  async removeBan(kind: BanEntry["kind"], value: string): Promise<boolean> {
    const removed = Number(
      this.#db.prepare("DELETE FROM bans WHERE kind = ? AND value = ?").run(kind, value).changes,
    ) > 0;
    await this.#view?.removeBan(kind, value);
    return removed;
  }

  bans(): Promise<BanEntry[]> {
    return Promise.resolve(this.#allBans());
  }

  #allBans(): BanEntry[] {
    const rows = this.#db.prepare(
      // A /ban adds the key first, then the address: list them in that order.
      "SELECT kind, value, nick, reason, by_nick, ts FROM bans ORDER BY ts, kind = 'ip', value",
    ).all() as unknown as BanRow[];
    return rows.map(toBan);
  }

  /** The view, read from the tables the first time. */
  #cached(): MemoryAccessStore {
    if (this.#view) return this.#view;
    const view = new MemoryAccessStore();
    const rows = this.#db.prepare("SELECT nick_key, nick, fingerprint, ts FROM registrations")
      .all() as { nick_key: string; nick: string; fingerprint: string; ts: number }[];
    for (const row of rows) {
      view.register(row.nick_key, {
        nick: row.nick,
        fingerprint: row.fingerprint,
        ts: Number(row.ts),
      });
    }
    for (const ban of this.#allBans()) view.addBan(ban);
    return this.#view = view;
  }
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
