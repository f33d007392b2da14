/**
 * The SQLite store's history reads: a range of a room's messages between
 * two points (ids or times), the newest or the oldest of it, for `/history`
 * and IRC's `CHATHISTORY` (lib/core/state/history_query.ts).
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { MessageEvent, SharedFile } from "../core/events.ts";
import type { HistoryRange, HistoryRef } from "../core/state/history_query.ts";

/** A stored row of the `messages` table. */
export interface MessageRow {
  room: string;
  id: number;
  ts: number;
  from_nick: string;
  kind: string;
  text: string;
  /** The shared file a message announces, as JSON (migration 6). */
  file: string | null;
}

/** A message's shared file as the `file` column keeps it. */
export function fileColumn(file: SharedFile | undefined): string | null {
  return file ? JSON.stringify(file) : null;
}

/** The event a stored row was. */
export function toEvent(row: MessageRow): MessageEvent {
  return {
    type: "msg",
    room: row.room,
    id: row.id,
    ts: row.ts,
    from: row.from_nick,
    text: row.text,
    kind: row.kind === "action" || row.kind === "notice" ? row.kind : "say",
    ...(row.file ? { file: JSON.parse(row.file) as SharedFile } : {}),
  };
}

/**
 * A room's messages inside `range`, oldest first. By id it walks the primary
 * key (room, id); by time the index on (room, ts) (migration 5). The order is
 * the id's either way, which is the room's order.
 */
export function selectRange(
  db: DatabaseSync,
  foldedRoom: string,
  range: HistoryRange,
): MessageEvent[] {
  if (range.limit <= 0) return [];
  const where = ["room_key = ?"];
  const values: (string | number)[] = [foldedRoom];
  const bound = (ref: HistoryRef | undefined, op: string) => {
    if (ref === undefined) return;
    where.push("id" in ref ? `id ${op} ?` : `ts ${op} ?`);
    values.push("id" in ref ? ref.id : ref.ts);
  };
  bound(range.above, ">");
  bound(range.below, "<");
  const rows = db.prepare(
    `SELECT room, id, ts, from_nick, kind, text, file FROM messages WHERE ${
      where.join(" AND ")
    } ORDER BY id ${range.newest ? "DESC" : "ASC"} LIMIT ?`,
  ).all(...values, range.limit) as unknown as MessageRow[];
  if (range.newest) rows.reverse();
  return rows.map(toEvent);
}
