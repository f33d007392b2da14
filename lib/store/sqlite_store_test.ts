import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { MessageEvent } from "../core/events.ts";
import { SqliteStore, StoreOpenError } from "./sqlite_store.ts";

function message(id: number, ts = 1_700_000_000_000 + id, room = "#lobby"): MessageEvent {
  return { type: "msg", room, id, ts, from: "ana", text: `m${id}`, kind: "say" };
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
  withDir((dir) => {
    const store = new SqliteStore(`${dir}/history.db`, { flushBatch: 64 });
    for (let id = 1; id <= 1000; id++) store.append("#lobby", message(id));
    store.append("#dev", message(1, 1, "#dev"));
    const seen: number[] = [];
    let before = Number.MAX_SAFE_INTEGER;
    while (true) {
      const page = store.page("#lobby", before, 97);
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
  withDir((dir) => {
    const store = new SqliteStore(`${dir}/history.db`);
    for (let id = 1; id <= 10; id++) store.append("#lobby", message(id, id * 1000));
    for (let id = 1; id <= 3; id++) store.append("#dev", message(id, id * 1000, "#dev"));
    assert.equal(store.prune(3000, undefined), 4, "ts 1000 and 2000 in both rooms");
    assert.deepEqual(store.page("#lobby", 99, 99).map((m) => m.id), [3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(store.prune(undefined, 2), 6);
    assert.deepEqual(store.page("#lobby", 99, 99).map((m) => m.id), [9, 10]);
    assert.deepEqual(store.page("#dev", 99, 99).map((m) => m.id), [3]);
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
      version: 3,
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

Deno.test("SqliteStore reports a failed write, keeps the messages and writes them on a retry", () =>
  withDir(async (dir) => {
    const path = `${dir}/history.db`;
    const errors: [string, number][] = [];
    const store = new SqliteStore(path, {
      onError: (e, pending) => errors.push([e.message, pending]),
    });
    store.append("#lobby", message(1));
    store.flush();
    // Break the database under the store, as a full or failing disk would.
    const other = new DatabaseSync(path);
    other.exec("ALTER TABLE messages RENAME TO messages_away");
    store.append("#lobby", message(2));
    store.flush();
    assert.equal(errors.length, 1);
    assert.equal(errors[0][1], 1, "the message is still pending");
    other.exec("ALTER TABLE messages_away RENAME TO messages");
    other.close();
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the retry
    assert.deepEqual(store.page("#lobby", 99, 99).map((m) => m.id), [1, 2]);
    store.close();
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

Deno.test("SqliteStore migrates a version-2 database to 3: messages kept, registrations and bans added", () =>
  withDir((dir) => {
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
    assert.deepEqual(store.bans(), []);
    store.register("ana", { nick: "Ana", fingerprint: "SHA256:k1", ts: 5 });
    store.addBan({ kind: "ip", value: "10.0.0.9", nick: "eve", reason: "spam", by: "Ana", ts: 6 });
    store.addBan({ kind: "key", value: "SHA256:k2", by: "Ana", ts: 7 });
    store.close();

    const again = new SqliteStore(path);
    const db = new DatabaseSync(path, { readOnly: true });
    assert.equal(
      (db.prepare("SELECT version FROM schema_version").get() as { version: number }).version,
      3,
    );
    db.close();
    assert.deepEqual(again.registration("ana"), { nick: "Ana", fingerprint: "SHA256:k1", ts: 5 });
    assert.equal(again.registrationCount("SHA256:k1"), 1);
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
    assert.deepEqual(again.bans().map((b) => b.value), ["10.0.0.9", "SHA256:k2"]);
    assert.equal(again.removeBan("ip", "10.0.0.9"), true);
    assert.equal(again.removeBan("ip", "10.0.0.9"), false);
    assert.equal(again.unregister("ana"), true);
    assert.equal(again.registration("ana"), undefined);
    again.close();
  }));
