/**
 * The history is no memory or disk amplifier: the real server.ts with
 * `--history-memory` and `--max-store-mb` set low (issue 12, item 7; the full
 * scale attack is bench/history_amplifier.ts).
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";

async function withDataDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-limits-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** 3,990 CJK characters: with a 7-character tag and the nick "ana", 8,128 bytes counted in memory. */
const CJK = "漢".repeat(3990);

/** Sends `count` messages of CJK text to each room, tagged `rNN.MM`, and waits for the last echo. */
async function fill(client: NativeClient, rooms: string[], count: number): Promise<void> {
  for (const [r, room] of rooms.entries()) {
    await client.send({ type: "cmd", name: "join", args: room });
    for (let m = 1; m <= count; m++) {
      const tag = `r${String(r + 1).padStart(2, "0")}.${String(m).padStart(2, "0")}`;
      await client.send({ type: "msg", room, text: `${tag} ${CJK}` });
    }
  }
  const lastTag = `r${String(rooms.length).padStart(2, "0")}.${String(count).padStart(2, "0")}`;
  await client.next("msg", (e) => e.text.startsWith(lastTag));
}

const tags = (messages: { text: string }[]) => messages.map((m) => m.text.split(" ")[0]);

Deno.test("--history-memory bounds the replay of all rooms together, oldest first; older pages still come from disk", () =>
  withDataDir(async (dir) => {
    const { server, port } = await runServer([
      "--data-dir",
      dir,
      "--no-rate-limit",
      "--history",
      "10",
      "--history-memory",
      "1",
    ]);
    await using _ = server;
    const rooms = Array.from({ length: 20 }, (_, r) => `#r${String(r + 1).padStart(2, "0")}`);
    // Ana stays in her rooms, so they stay (an empty room whose replay is gone is
    // forgotten, and loads its replay from disk again when someone joins it).
    await using ana = await NativeClient.connect(port, "ana");
    await fill(ana, rooms, 10); // 200 messages, 1.6 MB counted
    await using bob = await NativeClient.connect(port, "bob");
    const replayed: string[] = [];
    for (const room of rooms) {
      const from = bob.events.length;
      await bob.send({ type: "cmd", name: "join", args: room });
      replayed.push(...tags((await bob.next("joined", (e) => e.room === room, from)).history));
    }
    // 1 MiB holds 129 messages of 8,128 bytes: the 71 oldest of all rooms went.
    const expected = rooms.flatMap((_, r) =>
      Array.from(
        { length: 10 },
        (_, m) => `r${String(r + 1).padStart(2, "0")}.${String(m + 1).padStart(2, "0")}`,
      )
    ).slice(71);
    assert.deepEqual(replayed, expected);
    // The first room's replay is empty, but its messages are all on disk.
    const from = bob.events.length;
    await bob.send({ type: "cmd", name: "history", args: "10", room: "#r01" });
    const page = await bob.next("history", () => true, from);
    assert.deepEqual(tags(page.messages), [
      "r01.01",
      "r01.02",
      "r01.03",
      "r01.04",
      "r01.05",
      "r01.06",
      "r01.07",
      "r01.08",
      "r01.09",
      "r01.10",
    ]);
  }));

Deno.test("--max-store-mb keeps the database within its budget by deleting the oldest messages of all rooms, and says so", () =>
  withDataDir(async (dir) => {
    const { server, port } = await runServer([
      "--data-dir",
      dir,
      "--no-rate-limit",
      "--max-store-mb",
      "1",
    ]);
    const rooms = ["#a", "#b", "#c"];
    {
      await using ana = await NativeClient.connect(port, "ana");
      await fill(ana, rooms, 100); // 300 messages, 3.6 MB of UTF-8
      // The chat never stopped: every message came back.
      assert.equal(ana.events.filter((e) => e.type === "msg").length, 300);
    }
    const line = await server.waitStderr((l) => l.includes("event=store_full"));
    assert.match(
      line,
      /^\S+ level=warn event=store_full removed=\d+ used_mb=\d+\.\d limit_mb=1 detail="deleted the oldest messages to stay within --max-store-mb"$/,
    );
    server.kill("SIGTERM");
    assert.equal((await server.finished()).code, 0);

    const db = new DatabaseSync(`${dir}/history.db`, { readOnly: true });
    const pragma = (name: string) => Number(Object.values(db.prepare(`PRAGMA ${name}`).get()!)[0]);
    const used = (pragma("page_count") - pragma("freelist_count")) * pragma("page_size");
    assert.ok(used <= 1024 * 1024, `${used} bytes used`);
    const kept = db.prepare("SELECT text FROM messages ORDER BY ts, room_key, id").all().map((
      row,
    ) => String(row.text).split(" ")[0]);
    db.close();
    assert.ok(kept.length > 40, `${kept.length} kept`);
    assert.deepEqual(kept.slice(-2), ["r03.99", "r03.100"], "the newest are kept");
    assert.ok(!kept.includes("r01.01"), "the oldest are gone");
    const removed = server.stderr.filter((l) => l.includes("event=store_full"))
      .reduce((sum, l) => sum + Number(/removed=(\d+)/.exec(l)![1]), 0);
    assert.equal(removed, 300 - kept.length, "the log counts every deleted message");
    assert.ok(Deno.statSync(`${dir}/history.db`).size < 8 * 1024 * 1024);
  }));

Deno.test("with --no-persist, --history-memory bounds the whole in-memory history too", async () => {
  const { server, port } = await runServer([
    "--no-persist",
    "--no-rate-limit",
    "--history-memory",
    "1",
  ]);
  await using _ = server;
  const rooms = Array.from({ length: 20 }, (_, r) => `#r${String(r + 1).padStart(2, "0")}`);
  await using ana = await NativeClient.connect(port, "ana");
  await fill(ana, rooms, 10);
  const page = async (room: string) => {
    const from = ana.events.length;
    await ana.send({ type: "cmd", name: "history", args: "500", room });
    return tags((await ana.next("history", (e) => e.room === room, from)).messages);
  };
  assert.deepEqual(await page("#r01"), [], "the oldest room's messages are gone from memory");
  assert.deepEqual(await page("#r08"), [
    "r08.02",
    "r08.03",
    "r08.04",
    "r08.05",
    "r08.06",
    "r08.07",
    "r08.08",
    "r08.09",
    "r08.10",
  ]);
  assert.equal((await page("#r20")).length, 10);
});
