import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { MessageEvent } from "../core/events.ts";
import { SqliteStore, StoreOpenError, type StoreReport } from "./sqlite_store.ts";

function message(id: number, ts = 1_700_000_000_000 + id, room = "#lobby"): MessageEvent {
  return { type: "msg", room, id, ts, from: "ana", text: `m${id}`, kind: "say" };
}

async function waitFor(done: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function withDir(run: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-store-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SqliteStore keeps messages and the last id across reopening", () =>
  withDir((dir) => {
    const path = `${dir}/history.db`;
    const store = new SqliteStore(path);
    for (let id = 1; id <= 5; id++) store.append("#lobby", message(id));
    store.touch("#lobby", "#lobby", 7); // a join and a leave came after
    store.close();
    const again = new SqliteStore(path);
    const room = again.load("#lobby", 3);
    assert.equal(room.lastId, 7);
    assert.deepEqual(room.messages.map((m) => m.text), ["m3", "m4", "m5"]);
    assert.deepEqual(again.load("#other", 3), { lastId: 0, messages: [] });
    again.close();
  }));

Deno.test("SqliteStore pages back through every message exactly once, in order", () =>
  withDir(async (dir) => {
    const store = new SqliteStore(`${dir}/history.db`, { flushBatch: 64 });
    for (let id = 1; id <= 1000; id++) store.append("#lobby", message(id));
    store.append("#dev", message(1, 1, "#dev"));
    const seen: number[] = [];
    let before = Number.MAX_SAFE_INTEGER;
    while (true) {
      const page = await store.page("#lobby", before, 97);
      if (page.length === 0) break;
      assert.deepEqual(page.map((m) => m.id), [...page.map((m) => m.id)].sort((a, b) => a - b));
      seen.unshift(...page.map((m) => m.id));
      before = page[0].id;
    }
    assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i + 1));
    store.close();
  }));

Deno.test("SqliteStore writes behind: nothing reaches the file before the batch window, all after", () =>
  withDir(async (dir) => {
    const path = `${dir}/history.db`;
    const store = new SqliteStore(path, { flushDelayMs: 50 });
    store.append("#lobby", message(1));
    const count = () => {
      const reader = new DatabaseSync(path, { readOnly: true });
      try {
        return (reader.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
      } finally {
        reader.close();
      }
    };
    assert.equal(count(), 0, "still in the batch");
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(count(), 1, "written after the window");
    store.close();
  }));

Deno.test("SqliteStore prunes by age and by count per room", () =>
  withDir(async (dir) => {
    const store = new SqliteStore(`${dir}/history.db`);
    for (let id = 1; id <= 10; id++) store.append("#lobby", message(id, id * 1000));
    for (let id = 1; id <= 3; id++) store.append("#dev", message(id, id * 1000, "#dev"));
    assert.equal(store.prune(3000, undefined), 4, "ts 1000 and 2000 in both rooms");
    assert.deepEqual((await store.page("#lobby", 99, 99)).map((m) => m.id), [
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
    ]);
    assert.equal(store.prune(undefined, 2), 6);
    assert.deepEqual((await store.page("#lobby", 99, 99)).map((m) => m.id), [9, 10]);
    assert.deepEqual((await store.page("#dev", 99, 99)).map((m) => m.id), [3]);
    store.close();
  }));

Deno.test("SqliteStore refuses a corrupt file with its path and the cause", () =>
  withDir((dir) => {
    const path = `${dir}/history.db`;
    Deno.writeTextFileSync(path, "this is not a database, just text ".repeat(200));
    assert.throws(() => new SqliteStore(path), (error: unknown) => {
      assert.ok(error instanceof StoreOpenError);
      assert.equal(error.path, path);
      assert.match(
        error.message,
        new RegExp(
          `cannot open the history store ${path}: the file is not a lanchat database or is corrupt`,
        ),
      );
      return true;
    });
  }));

Deno.test("SqliteStore records its schema version and refuses a newer one", () =>
  withDir((dir) => {
    const path = `${dir}/history.db`;
    new SqliteStore(path).close();
    const db = new DatabaseSync(path);
    assert.deepEqual({ ...db.prepare("SELECT version FROM schema_version").get() as object }, {
      version: 6,
    });
    db.exec("UPDATE schema_version SET version = 99");
    db.close();
    assert.throws(() => new SqliteStore(path), /written by a newer lanchat \(schema 99/);
  }));

Deno.test("SqliteStore migrates a version-1 database and keeps its messages", () =>
  withDir((dir) => {
    const path = `${dir}/history.db`;
    const v1 = new DatabaseSync(path);
    v1.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version VALUES (1);
      CREATE TABLE rooms (key TEXT PRIMARY KEY, name TEXT NOT NULL, last_id INTEGER NOT NULL);
      CREATE TABLE messages (room_key TEXT NOT NULL, id INTEGER NOT NULL, room TEXT NOT NULL,
        ts INTEGER NOT NULL, from_nick TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
        PRIMARY KEY (room_key, id)) WITHOUT ROWID;
      INSERT INTO rooms VALUES ('#lobby', '#lobby', 3);
      INSERT INTO messages VALUES ('#lobby', 3, '#lobby', 1000, 'ana', 'say', 'from v1');`);
    v1.close();
    const store = new SqliteStore(path);
    assert.deepEqual(store.load("#lobby", 5).messages.map((m) => m.text), ["from v1"]);
    store.appendPrivate({
      type: "dm",
      ts: 2000,
      from: "ana",
      to: "bob",
      text: "psst",
      kind: "say",
    });
    assert.deepEqual([...store.exportPrivate()].map((m) => m.text), ["psst"]);
    store.close();
  }));

/** Makes every write of the store at `path` fail, as a full or failing disk would; returns the undo. */
function breakWrites(path: string): () => void {
  const other = new DatabaseSync(path);
  other.exec(
    "ALTER TABLE messages RENAME TO messages_away; ALTER TABLE rooms RENAME TO rooms_away",
  );
  return () => {
    other.exec(
      "ALTER TABLE messages_away RENAME TO messages; ALTER TABLE rooms_away RENAME TO rooms",
    );
    other.close();
  };
}

Deno.test("SqliteStore reports a failed write with the true count, keeps the messages and writes them on a retry", () =>
  withDir(async (dir) => {
    const path = `${dir}/history.db`;
    const reports: StoreReport[] = [];
    const store = new SqliteStore(path, { report: (r) => reports.push(r) });
    store.append("#lobby", message(1));
    store.flush();
    const repair = breakWrites(path);
    // The first failing write holds only a room's newest id (a join), no message yet.
    store.touch("#lobby", "#lobby", 2);
    store.flush();
    for (let id = 3; id <= 302; id++) store.append("#lobby", message(id));
    assert.equal(store.pending, 300);
    await waitFor(() => reports.length >= 2, "a second report with the count");
    assert.deepEqual(
      reports.map((r) => r.kind === "write_failed" && [r.pending, r.dropped]),
      [[0, 0], [300, 0]],
      "the count is reported again once messages wait",
    );
    repair();
    await waitFor(() => reports.some((r) => r.kind === "recovered"), "the retry");
    assert.deepEqual(reports.at(-1), { kind: "recovered", written: 300, dropped: 0 });
    assert.equal((await store.page("#lobby", 999, 999)).length, 301);
    store.close();
    assert.equal(reports.length, 3, "nothing was lost: no report at close");
  }));

Deno.test("SqliteStore bounds the messages waiting on a failing disk by bytes and counts every one it drops", () =>
  withDir(async (dir) => {
    const path = `${dir}/history.db`;
    const reports: StoreReport[] = [];
    // 64 KiB: about seven 4,000-character CJK messages (8,000 bytes each, and a little).
    const store = new SqliteStore(path, {
      maxPendingBytes: 64 * 1024,
      report: (r) => reports.push(r),
    });
    store.flush();
    const repair = breakWrites(path);
    const cjk = "漢".repeat(4000);
    store.touch("#lobby", "#lobby", 1);
    store.flush();
    for (let id = 1; id <= 100; id++) store.append("#lobby", { ...message(id), text: cjk });
    assert.ok(store.pending <= 8, `${store.pending} waiting`);
    await waitFor(() => reports.length >= 2, "the count");
    const last = reports.at(-1)!;
    assert.ok(last.kind === "write_failed" && last.pending + last.dropped === 100);
    repair();
    await waitFor(() => reports.some((r) => r.kind === "recovered"), "the retry");
    const kept = (await store.page("#lobby", 999, 999)).map((m) => m.id);
    assert.equal(kept.at(-1), 100, "the newest are kept");
    store.close();
    const lost = reports.at(-1)!;
    assert.equal(lost.kind, "lost");
    assert.equal(lost.kind === "lost" && lost.lost, 100 - kept.length, "every dropped one");
    assert.ok(100 - kept.length > 90);
  }));

Deno.test("SqliteStore.close() on a disk that still fails reports exactly how many accepted messages were not written", () =>
  withDir((dir) => {
    const path = `${dir}/history.db`;
    const reports: StoreReport[] = [];
    const store = new SqliteStore(path, { report: (r) => reports.push(r) });
    store.flush();
    const repair = breakWrites(path);
    for (let id = 1; id <= 10_000; id++) store.append("#lobby", message(id));
    store.appendPrivate({ type: "dm", ts: 1, from: "ana", to: "bob", text: "psst", kind: "say" });
    store.close();
    repair();
    const lost = reports.filter((r) => r.kind === "lost");
    assert.equal(lost.length, 1);
    assert.equal(lost[0].kind === "lost" && lost[0].lost, 10_001);
    assert.match(String(lost[0].kind === "lost" && lost[0].error?.message), /messages/);
  }));

Deno.test("SqliteStore prunes old private messages with the age limit too", () =>
  withDir((dir) => {
    const store = new SqliteStore(`${dir}/history.db`);
    store.appendPrivate({
      type: "dm",
      ts: 1000,
      from: "ana",
      to: "bob",
      text: "old secret",
      kind: "say",
    });
    store.appendPrivate({
      type: "dm",
      ts: 9000,
      from: "ana",
      to: "bob",
      text: "new secret",
      kind: "say",
    });
    store.flush();
    store.prune(5000, undefined);
    assert.deepEqual([...store.exportPrivate()].map((m) => m.text), ["new secret"]);
    store.close();
  }));

Deno.test("SqliteStore migrates a version-2 database to 6: messages kept, registrations, bans, topics, the time index and the files table added", () =>
  withDir(async (dir) => {
    const path = `${dir}/history.db`;
    // A store as lanchat wrote it before registrations and bans existed.
    const v2 = new DatabaseSync(path);
    v2.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version VALUES (2);
      CREATE TABLE rooms (key TEXT PRIMARY KEY, name TEXT NOT NULL, last_id INTEGER NOT NULL);
      CREATE TABLE messages (room_key TEXT NOT NULL, id INTEGER NOT NULL, room TEXT NOT NULL,
        ts INTEGER NOT NULL, from_nick TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
        PRIMARY KEY (room_key, id)) WITHOUT ROWID;
      CREATE TABLE private_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,
        from_nick TEXT NOT NULL, to_nick TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
      INSERT INTO rooms VALUES ('#lobby', '#lobby', 4);
      INSERT INTO messages VALUES ('#lobby', 4, '#lobby', 1000, 'ana', 'say', 'from v2');`);
    v2.close();
    const store = new SqliteStore(path);
    assert.deepEqual(store.load("#lobby", 5), {
      lastId: 4,
      messages: [{
        type: "msg",
        room: "#lobby",
        id: 4,
        ts: 1000,
        from: "ana",
        text: "from v2",
        kind: "say",
      }],
    });
    assert.equal(store.registration("ana"), undefined);
    assert.deepEqual(await store.bans(), []);
    store.register("ana", { nick: "Ana", fingerprint: "SHA256:k1", ts: 5 });
    store.addBan({ kind: "ip", value: "10.0.0.9", nick: "eve", reason: "spam", by: "Ana", ts: 6 });
    store.addBan({ kind: "key", value: "SHA256:k2", by: "Ana", ts: 7 });
    store.close();

    const again = new SqliteStore(path);
    const db = new DatabaseSync(path, { readOnly: true });
    assert.equal(
      (db.prepare("SELECT version FROM schema_version").get() as { version: number }).version,
      6,
    );
    assert.equal((db.prepare("SELECT count(*) AS n FROM files").get() as { n: number }).n, 0);
    db.close();
    assert.deepEqual(again.registration("ana"), { nick: "Ana", fingerprint: "SHA256:k1", ts: 5 });
    assert.equal(await again.registrationCount("SHA256:k1"), 1);
    assert.deepEqual(again.findBan(undefined, "10.0.0.9"), {
      kind: "ip",
      value: "10.0.0.9",
      nick: "eve",
      reason: "spam",
      by: "Ana",
      ts: 6,
    });
    assert.equal(again.findBan("SHA256:k2", "10.0.0.1")?.kind, "key");
    assert.equal(again.findBan("SHA256:k3", "10.0.0.1"), undefined);
    assert.deepEqual((await again.bans()).map((b) => b.value), ["10.0.0.9", "SHA256:k2"]);
    assert.equal(await again.removeBan("ip", "10.0.0.9"), true);
    assert.equal(await again.removeBan("ip", "10.0.0.9"), false);
    assert.equal(await again.unregister("ana"), true);
    assert.equal(again.registration("ana"), undefined);
    again.close();
  }));

Deno.test("SqliteStore keeps within its disk budget by deleting the oldest messages of all rooms", () =>
  withDir(async (dir) => {
    const reports: StoreReport[] = [];
    const maxBytes = 1024 * 1024;
    const store = new SqliteStore(`${dir}/history.db`, {
      maxBytes,
      report: (r) => reports.push(r),
    });
    const cjk = "漢".repeat(4000); // 12,000 bytes of UTF-8 a message: 400 are 4.8 MB
    for (let id = 1; id <= 400; id++) {
      // Two rooms, interleaved in time.
      const room = id % 2 === 0 ? "#even" : "#odd";
      store.append(room, { ...message(id, 1_000_000 + id, room), text: `${id} ${cjk}` });
      if (id % 20 === 0) {
        store.flush();
        assert.ok(store.usedBytes <= maxBytes, `${store.usedBytes} bytes after ${id} messages`);
      }
    }
    const kept = [
      ...(await store.page("#even", 1e9, 1000)),
      ...(await store.page("#odd", 1e9, 1000)),
    ].map((m) => m.ts).sort((a, b) => a - b);
    assert.ok(kept.length > 40 && kept.length < 90, `${kept.length} kept`);
    assert.deepEqual(
      kept,
      Array.from({ length: kept.length }, (_, i) => 1_000_000 + 400 - kept.length + 1 + i),
      "the newest of both rooms are kept, the oldest of both are gone",
    );
    const trimmed = reports.filter((r) => r.kind === "trimmed");
    assert.ok(trimmed.length > 0);
    const removed = trimmed.reduce((sum, r) => sum + (r.kind === "trimmed" ? r.removed : 0), 0);
    assert.equal(removed, 400 - kept.length, "every deleted message is reported");
    store.close();
  }));

Deno.test("SqliteStore meets a lowered disk budget at the next prune, private messages included", () =>
  withDir(async (dir) => {
    const path = `${dir}/history.db`;
    const big = new SqliteStore(path);
    const text = "x".repeat(3000);
    for (let id = 1; id <= 600; id++) {
      big.append("#lobby", { ...message(id, 1_000_000 + 2 * id), text });
      big.appendPrivate({
        type: "dm",
        ts: 1_000_001 + 2 * id,
        from: "a",
        to: "b",
        text,
        kind: "say",
      });
    }
    big.close();
    const reports: StoreReport[] = [];
    const store = new SqliteStore(path, { maxBytes: 1024 * 1024, report: (r) => reports.push(r) });
    assert.ok(store.usedBytes > 3 * 1024 * 1024);
    store.prune(undefined, undefined);
    assert.ok(store.usedBytes <= 1024 * 1024, `${store.usedBytes}`);
    const rooms = await store.page("#lobby", 1e9, 1000);
    const privates = [...store.exportPrivate()];
    assert.ok(rooms.length > 50 && privates.length > 50, `${rooms.length} + ${privates.length}`);
    assert.equal(rooms.at(-1)!.id, 600, "the newest are kept");
    assert.ok(Math.abs(rooms[0].ts - privates[0].ts) < 200, "oldest of both kinds went first");
    assert.equal(reports.length, 1);
    store.close();
  }));

Deno.test("SqliteStore opened read-only still reads registrations and bans", () =>
  withDir(async (dir) => {
    const path = `${dir}/history.db`;
    const store = new SqliteStore(path);
    await store.register("ana", { nick: "Ana", fingerprint: "SHA256:k1", ts: 5 });
    await store.addBan({ kind: "ip", value: "10.0.0.9", by: "Ana", ts: 6 });
    store.close();
    const reader = new SqliteStore(path, { readOnly: true });
    try {
      assert.deepEqual(reader.registration("ana"), {
        nick: "Ana",
        fingerprint: "SHA256:k1",
        ts: 5,
      });
      assert.equal(await reader.registrationCount("SHA256:k1"), 1);
      assert.equal(reader.findBan(undefined, "10.0.0.9")?.by, "Ana");
      assert.deepEqual((await reader.bans()).map((ban) => ban.value), ["10.0.0.9"]);
    } finally {
      reader.close();
    }
  }));

Deno.test("SqliteStore keeps a room's topic across a restart, and that it was cleared", () =>
  withDir((dir) => {
    const path = `${dir}/history.db`;
    const store = new SqliteStore(path, { flushDelayMs: 60_000 });
    const topic = { text: "release on friday", by: "ana", ts: 1234 };
    store.setTopic("#dev", "#Dev", topic);
    // Not written yet: a room opened now still sees it.
    assert.deepEqual(store.load("#dev", 5), { lastId: 0, messages: [], topic });
    store.setTopic("#ops", "#ops", { text: "on call: bo", by: "bo", ts: 5 });
    store.close();

    const again = new SqliteStore(path, { flushDelayMs: 60_000 });
    assert.deepEqual(again.load("#dev", 5).topic, topic);
    again.setTopic("#ops", "#ops", undefined);
    assert.equal(again.load("#ops", 5).topic, undefined);
    again.close();
    const third = new SqliteStore(path);
    assert.equal(third.load("#ops", 5).topic, undefined);
    assert.deepEqual(third.load("#dev", 5).topic, topic);
    third.close();
  }));
