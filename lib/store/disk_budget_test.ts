import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { DiskBudget, usedBytes } from "./disk_budget.ts";
import { migrate } from "./sqlite_schema.ts";
import type { StoreReport } from "./store_report.ts";

/** An in-memory history database holding `rooms` room messages and `dms` private ones, 1 KiB of text each. */
function database(rooms: number, dms: number): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  migrate(db);
  const text = "x".repeat(1024);
  const insert = db.prepare(
    "INSERT INTO messages (room_key, id, room, ts, from_nick, kind, text) VALUES ('#a', ?, '#a', ?, 'ana', 'say', ?)",
  );
  const insertPrivate = db.prepare(
    "INSERT INTO private_messages (ts, from_nick, to_nick, kind, text) VALUES (?, 'ana', 'bo', 'say', ?)",
  );
  db.exec("BEGIN");
  // Room messages at even times, private ones at odd times: the oldest of both interleave.
  for (let id = 1; id <= rooms; id++) insert.run(id, 2 * id, text);
  for (let n = 1; n <= dms; n++) insertPrivate.run(2 * n + 1, text);
  db.exec("COMMIT");
  return db;
}

function times(db: DatabaseSync, table: string): number[] {
  return (db.prepare(`SELECT ts FROM ${table} ORDER BY ts`).all() as { ts: number }[])
    .map((row) => Number(row.ts));
}

Deno.test("DiskBudget.trim() leaves a database within its budget alone", () => {
  const db = database(50, 50);
  const reports: StoreReport[] = [];
  const budget = new DiskBudget(db, usedBytes(db) + 4096, (report) => reports.push(report));
  assert.equal(budget.trim(Infinity), false);
  assert.equal(budget.trimming, false);
  assert.equal(times(db, "messages").length, 50);
  assert.equal(times(db, "private_messages").length, 50);
  assert.deepEqual(reports, []);
  db.close();
});

Deno.test("DiskBudget.trim() deletes the oldest messages of rooms and private ones together, down to 90%, and reports the round", () => {
  const db = database(400, 400);
  const reports: StoreReport[] = [];
  const maxBytes = Math.floor(usedBytes(db) / 2);
  const budget = new DiskBudget(db, maxBytes, (report) => reports.push(report));
  assert.equal(budget.trim(Infinity), false);
  assert.equal(budget.trimming, false);
  const used = usedBytes(db);
  assert.ok(used <= maxBytes * 0.9, `${used} bytes in use, budget ${maxBytes}`);
  const rooms = times(db, "messages");
  const dms = times(db, "private_messages");
  // What is left is the newest of both: every deleted message is older than every kept one.
  const oldestKept = Math.min(rooms[0], dms[0]);
  assert.ok(rooms.length < 400 && dms.length < 400);
  assert.equal(800 - rooms.length - dms.length, oldestKept - 2);
  assert.equal(reports.length, 1);
  const [report] = reports;
  assert.ok(report.kind === "trimmed");
  assert.equal(report.removed, 800 - rooms.length - dms.length);
  assert.equal(report.usedBytes, used);
  assert.equal(report.maxBytes, maxBytes);
  db.close();
});

Deno.test("DiskBudget.trim() spends at most its slice below the budget, says the round goes on, and reports once when it ends", () => {
  const db = database(200, 0);
  const reports: StoreReport[] = [];
  // Just over: the first batch (16 messages) brings it within the budget, not down to 90%.
  const maxBytes = usedBytes(db) - 8 * 1024;
  const budget = new DiskBudget(db, maxBytes, (r) => reports.push(r));
  // Even with no time at all, a trim leaves the database within its budget.
  assert.equal(budget.trim(0), true);
  assert.equal(budget.trimming, true);
  const used = usedBytes(db);
  assert.ok(used <= maxBytes, `${used} bytes in use, budget ${maxBytes}`);
  assert.ok(used > maxBytes * 0.9, `${used} bytes in use: the rest of the way waits for time`);
  const left = times(db, "messages").length;
  assert.ok(left < 200, "the budget is met before the slice is looked at");
  assert.equal(budget.trim(0), true);
  assert.equal(times(db, "messages").length, left, "no time for a batch below the budget");
  assert.equal(reports.length, 0);
  assert.equal(budget.trim(Infinity), false);
  assert.equal(budget.trimming, false);
  assert.equal(reports.length, 1);
  assert.equal(reports[0].kind, "trimmed");
  db.close();
});

Deno.test("DiskBudget.trim() with no time keeps up with writes that outrun every slice", () => {
  const db = database(100, 0);
  const maxBytes = usedBytes(db);
  const budget = new DiskBudget(db, maxBytes);
  const insert = db.prepare(
    "INSERT INTO messages (room_key, id, room, ts, from_nick, kind, text) VALUES ('#a', ?, '#a', ?, 'ana', 'say', ?)",
  );
  // Ten writes of 50 messages each (half the budget), each followed by a trim with no time.
  for (let write = 0; write < 10; write++) {
    db.exec("BEGIN");
    for (let n = 0; n < 50; n++) {
      const id = 1000 + write * 50 + n;
      insert.run(id, 2 * id, "y".repeat(1024));
    }
    db.exec("COMMIT");
    budget.trim(0);
    const used = usedBytes(db);
    assert.ok(
      used <= maxBytes,
      `after write ${write + 1}: ${used} bytes in use, budget ${maxBytes}`,
    );
  }
  db.close();
});

Deno.test("DiskBudget.trim() over budget with no messages to delete ends the round without a report", () => {
  const db = database(0, 0);
  const reports: StoreReport[] = [];
  const budget = new DiskBudget(db, 1, (report) => reports.push(report));
  assert.equal(budget.trim(Infinity), false);
  assert.equal(budget.trimming, false);
  assert.deepEqual(reports, []);
  db.close();
});

Deno.test("DiskBudget.trimSafely() reports a failing delete, ends the round and never throws", () => {
  const db = database(100, 0);
  const reports: StoreReport[] = [];
  const budget = new DiskBudget(db, 1, (report) => reports.push(report));
  db.exec("DROP TABLE private_messages");
  assert.throws(() => new DiskBudget(db, 1).trim(Infinity));
  assert.equal(budget.trimSafely(Infinity), false);
  assert.equal(budget.trimming, false);
  assert.equal(reports.length, 1);
  assert.equal(reports[0].kind, "trim_failed");
  assert.equal(times(db, "messages").length, 100);
  db.close();
});
