/** History that survives restarts: the real server.ts with a data directory. */

import assert from "node:assert/strict";
import type { MessageEvent } from "../lib/core/events.ts";
import { DatabaseSync } from "node:sqlite";
import { ROOT, runEntry, runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";

async function withDataDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-data-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Waits until the store in `dir` holds at least `count` room messages (the write-behind window passed). */
async function stored(dir: string, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (true) {
    const db = new DatabaseSync(`${dir}/history.db`, { readOnly: true });
    const n = (db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
    db.close();
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`Timed out: ${n} of ${count} messages stored`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function say(port: number, nick: string, texts: string[]): Promise<MessageEvent[]> {
  await using client = await NativeClient.connect(port, nick);
  for (const text of texts) await client.send({ type: "msg", text });
  await client.next("msg", (e) => e.text === texts.at(-1));
  return client.events.filter((e): e is MessageEvent => e.type === "msg");
}

Deno.test("history survives a restart and ids keep increasing", () =>
  withDataDir(async (dir) => {
    const flags = ["--data-dir", dir, "--no-rate-limit", "--history", "5"];
    const first = await runServer(flags);
    const before = await say(first.port, "ana", ["one", "two", "three"]);
    first.server.kill("SIGTERM");
    assert.equal((await first.server.finished()).code, 0);

    const second = await runServer(flags);
    await using _ = second.server;
    await using bob = await NativeClient.connect(second.port, "bob");
    const welcome = bob.events[0];
    assert.equal(welcome.type, "welcome");
    assert.deepEqual(
      welcome.type === "welcome" && welcome.history.map((m) => [m.id, m.text]),
      before.map((m) => [m.id, m.text]),
    );
    await bob.send({ type: "msg", text: "after the restart" });
    const next = await bob.next("msg", (e) => e.text === "after the restart");
    assert.ok(next.id > before.at(-1)!.id, `${next.id} > ${before.at(-1)!.id}`);
  }));

Deno.test("kill -9 loses at most the last write-behind window", () =>
  withDataDir(async (dir) => {
    const flags = ["--data-dir", dir, "--no-rate-limit"];
    const first = await runServer(flags);
    const settled = await say(first.port, "ana", Array.from({ length: 20 }, (_, i) => `old ${i}`));
    await new Promise((resolve) => setTimeout(resolve, 400)); // well past the 100 ms window
    await say(first.port, "bob", Array.from({ length: 5 }, (_, i) => `new ${i}`));
    first.server.kill("SIGKILL");
    await first.server.finished();

    const second = await runServer(flags);
    await using _ = second.server;
    await using carol = await NativeClient.connect(second.port, "carol");
    await carol.send({ type: "cmd", name: "history", args: "100" });
    const page = await carol.next("history");
    const texts = page.messages.map((m) => m.text);
    for (const message of settled) {
      assert.ok(texts.includes(message.text), `${message.text} survived`);
    }
    assert.ok(texts.length >= 20 && texts.length <= 25, `${texts.length} messages`);
  }));

Deno.test("/history pages back through a room exactly once, in order", () =>
  withDataDir(async (dir) => {
    const { server, port } = await runServer(["--data-dir", dir, "--no-rate-limit"]);
    await using _ = server;
    const sent = await say(port, "ana", Array.from({ length: 35 }, (_, i) => `m${i}`));
    await using bob = await NativeClient.connect(port, "bob");
    const seen: string[] = [];
    let args = "10";
    for (let pages = 0; pages < 10; pages++) {
      const from = bob.events.length;
      await bob.send({ type: "cmd", name: "history", args });
      const page = await bob.next("history", () => true, from);
      seen.unshift(...page.messages.map((m) => m.text));
      if (!page.more) break;
      args = `10 ${page.messages[0].id}`;
    }
    assert.deepEqual(seen, sent.map((m) => m.text));
  }));

Deno.test("chat-server export writes a room's log as JSON lines or text, round-tripping the messages", () =>
  withDataDir(async (dir) => {
    const { server, port } = await runServer(["--data-dir", dir, "--no-rate-limit"]);
    const sent = await say(port, "ana", ["hello", "multi\nline", "bye"]);
    server.kill("SIGTERM");
    await server.finished();
    const jsonl = runEntry("server", ["export", "--room", "#lobby", "--data-dir", dir]);
    assert.equal((await jsonl.finished()).code, 0, jsonl.stderr.join("\n"));
    assert.deepEqual(jsonl.stdout.filter(Boolean).map((l) => JSON.parse(l)), sent);
    const text = runEntry("server", [
      "export",
      "--room",
      "lobby",
      "--format",
      "text",
      "--data-dir",
      dir,
    ]);
    assert.equal((await text.finished()).code, 0);
    // A log is read on another day: every line has its full date.
    const day = (ts: number) => {
      const d = new Date(ts);
      const pad = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${
        pad(d.getHours())
      }:${pad(d.getMinutes())}`;
    };
    assert.deepEqual(text.stdout.filter(Boolean), [
      `[${day(sent[0].ts)}] <ana> hello`,
      `[${day(sent[1].ts)}] <ana> multi`,
      " ".repeat(`[${day(sent[1].ts)}] <ana> `.length) + "line",
      `[${day(sent[2].ts)}] <ana> bye`,
    ]);
    const future = runEntry("server", [
      "export",
      "--room",
      "#lobby",
      "--since",
      "2999-01-01",
      "--data-dir",
      dir,
    ]);
    assert.equal((await future.finished()).code, 0);
    assert.deepEqual(future.stdout.filter(Boolean), []);
    assert.deepEqual(future.stderr.filter(Boolean), [
      "chat-server: no messages in #lobby since 2999-01-01",
    ]);
    const typo = runEntry("server", ["export", "--room", "#lobyb", "--data-dir", dir]);
    assert.equal((await typo.finished()).code, 1, "an unknown room is an error");
    assert.deepEqual(typo.stdout.filter(Boolean), []);
    assert.deepEqual(typo.stderr.filter(Boolean), [
      `chat-server: no messages stored for #lobyb in ${dir}/history.db; rooms with stored messages: #lobby`,
    ]);
    const none = runEntry("server", ["export", "--private", "--data-dir", dir]);
    assert.equal((await none.finished()).code, 0);
    assert.match(none.stderr.join("\n"), /no private messages stored .*only with --store-private/);
  }));

Deno.test("a corrupt or unusable history store stops the server at start with the path and the cause", () =>
  withDataDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/history.db`, "not a database at all ".repeat(100));
    const corrupt = runEntry("server", ["--host", "127.0.0.1", "--port", "0", "--data-dir", dir]);
    assert.equal((await corrupt.finished()).code, 1);
    assert.match(
      corrupt.stderr.join("\n"),
      new RegExp(
        `^chat-server: cannot open the history store ${dir}/history\\.db: the file is not a lanchat database or is corrupt`,
      ),
    );
    const unusable = runEntry("server", [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      "/proc/lanchat-cannot-be-here",
    ]);
    assert.equal((await unusable.finished()).code, 1);
    assert.match(
      unusable.stderr.join("\n"),
      /^chat-server: cannot create the data directory \/proc\/lanchat-cannot-be-here: /,
    );
  }));

Deno.test("private messages are stored only with --store-private", () =>
  withDataDir(async (dir) => {
    for (const storePrivate of [false, true]) {
      const flags = [
        "--data-dir",
        dir,
        "--no-rate-limit",
        ...(storePrivate ? ["--store-private"] : []),
      ];
      const { server, port } = await runServer(flags);
      await using _bob = await NativeClient.connect(port, "bob");
      await using ana = await NativeClient.connect(port, "ana");
      await ana.send({ type: "cmd", name: "msg", args: `bob secret ${storePrivate}` });
      await ana.next("dm");
      server.kill("SIGTERM");
      await server.finished();
    }
    const exported = runEntry("server", ["export", "--private", "--data-dir", dir]);
    assert.equal((await exported.finished()).code, 0, exported.stderr.join("\n"));
    const texts = exported.stdout.filter(Boolean).map((l) => JSON.parse(l).text);
    assert.deepEqual(texts, ["secret true"]);
    const rooms = runEntry("server", ["export", "--room", "#lobby", "--data-dir", dir]);
    await rooms.finished();
    assert.ok(!rooms.stdout.join("\n").includes("secret"));
  }));

Deno.test("--retain-messages prunes each room at start", () =>
  withDataDir(async (dir) => {
    const first = await runServer(["--data-dir", dir, "--no-rate-limit"]);
    await say(first.port, "ana", ["a", "b", "c", "d", "e"]);
    first.server.kill("SIGTERM");
    await first.server.finished();
    const second = await runServer([
      "--data-dir",
      dir,
      "--retain-messages",
      "2",
      "--history",
      "10",
    ]);
    await using _ = second.server;
    await using bob = await NativeClient.connect(second.port, "bob");
    const welcome = bob.events[0];
    assert.deepEqual(welcome.type === "welcome" && welcome.history.map((m) => m.text), ["d", "e"]);
  }));

Deno.test("a second server on the same data directory refuses to start and names the first one", () =>
  withDataDir(async (dir) => {
    const first = await runServer(["--data-dir", dir, "--no-rate-limit"]);
    await using _ = first.server;
    const second = runEntry("server", ["--host", "127.0.0.1", "--port", "0", "--data-dir", dir]);
    assert.equal((await second.finished()).code, 1);
    assert.deepEqual(second.stdout.filter(Boolean), [], "it never listened");
    assert.equal(second.stderr.filter(Boolean).length, 1, second.stderr.join("\n"));
    assert.match(
      second.stderr[0],
      new RegExp(
        `^chat-server: the data directory ${dir} is in use by another chat-server \\(pid ${first.server.pid}, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\); stop that one first, or give this one its own --data-dir \\(or --no-persist\\)$`,
      ),
    );
    // The first one was not disturbed: it still stores what it is sent.
    await say(first.port, "ana", ["still mine"]);
    first.server.kill("SIGTERM");
    assert.equal((await first.server.finished()).code, 0);
    const exported = runEntry("server", ["export", "--room", "#lobby", "--data-dir", dir]);
    assert.equal((await exported.finished()).code, 0);
    assert.deepEqual(exported.stdout.filter(Boolean).map((l) => JSON.parse(l).text), [
      "still mine",
    ]);
    // Stopped cleanly, the directory is free again, with no stale note.
    const third = await runServer(["--data-dir", dir]);
    third.server.kill("SIGTERM");
    assert.equal((await third.server.finished()).code, 0);
    assert.ok(
      !third.server.stderr.some((l) => l.includes("stale_lock")),
      third.server.stderr.join("\n"),
    );
  }));

Deno.test("after kill -9 the next server takes the data directory over and says so", () =>
  withDataDir(async (dir) => {
    const first = await runServer(["--data-dir", dir, "--no-rate-limit"]);
    await say(first.port, "ana", ["before the crash"]);
    await stored(dir, 1);
    first.server.kill("SIGKILL");
    await first.server.finished();
    const second = await runServer(["--data-dir", dir]);
    await using _ = second.server;
    const line = second.server.stderr.find((l) => l.includes("event=stale_lock"));
    assert.ok(line, second.server.stderr.join("\n"));
    assert.match(line, new RegExp(`level=warn event=stale_lock pid=${first.server.pid} started=`));
    assert.match(line, /did not shut down cleanly/);
    await using bob = await NativeClient.connect(second.port, "bob");
    const welcome = bob.events[0];
    assert.deepEqual(
      welcome.type === "welcome" && welcome.history.map((m) => m.text),
      ["before the crash"],
    );
  }));

Deno.test("chat-server export reads the store while its server runs and writes", () =>
  withDataDir(async (dir) => {
    const { server, port } = await runServer(["--data-dir", dir, "--no-rate-limit"]);
    await using _ = server;
    await using ana = await NativeClient.connect(port, "ana");
    for (let round = 1; round <= 3; round++) {
      const texts = Array.from({ length: 20 }, (_, i) => `round ${round} message ${i}`);
      for (const text of texts) await ana.send({ type: "msg", text });
      await ana.next("msg", (e) => e.text === texts.at(-1));
      await stored(dir, round * 20);
      const exported = runEntry("server", ["export", "--room", "#lobby", "--data-dir", dir]);
      assert.equal((await exported.finished()).code, 0, exported.stderr.join("\n"));
      const seen = exported.stdout.filter(Boolean).map((l) => JSON.parse(l).text);
      assert.equal(seen.length, round * 20);
      assert.deepEqual(
        seen,
        Array.from(
          { length: seen.length },
          (_, i) => `round ${Math.floor(i / 20) + 1} message ${i % 20}`,
        ),
      );
    }
    await ana.send({ type: "msg", text: "after the exports" });
    await ana.next("msg", (e) => e.text === "after the exports");
  }));

/** Makes every write of the running server's store fail, as a full disk would. */
function breakStore(dir: string): void {
  const db = new DatabaseSync(`${dir}/history.db`);
  db.exec("ALTER TABLE messages RENAME TO messages_away; ALTER TABLE rooms RENAME TO rooms_away");
  db.close();
}

Deno.test("a store that cannot write logs the true number waiting, and at shutdown how many were lost", () =>
  withDataDir(async (dir) => {
    const { server, port } = await runServer(["--data-dir", dir, "--no-rate-limit"]);
    await say(port, "ana", ["written"]);
    await stored(dir, 1);
    breakStore(dir);
    // A join is written too: the first failure has no message waiting yet.
    await using bob = await NativeClient.connect(port, "bob");
    const first = await server.waitStderr((l) => l.includes("event=store_error"));
    assert.match(first, / pending=0 dropped=0 /);
    for (let i = 0; i < 300; i++) await bob.send({ type: "msg", text: `lost ${i}` });
    await bob.next("msg", (e) => e.text === "lost 299");
    // Said at the next retry (1 s), or, if that retry came mid-burst, 10 retries later.
    const counted = await server.waitStderr(
      (l) => /event=store_error .*pending=300 dropped=0/.test(l),
      15_000,
    );
    assert.match(
      counted,
      /^\S+ level=error event=store_error error="no such table: \w+" pending=300 dropped=0 detail=/,
    );
    server.kill("SIGTERM");
    assert.equal((await server.finished()).code, 0);
    const lost = server.stderr.filter((l) => l.includes("event=store_lost"));
    assert.equal(lost.length, 1, server.stderr.join("\n"));
    assert.match(
      lost[0],
      /^\S+ level=error event=store_lost lost=300 error="no such table: \w+" detail=/,
    );
  }));

Deno.test("a data directory on a read-only file system stops the server with the path and the cause, not a stack trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-ro-" });
  try {
    // A read-only mount in a mount namespace of the test's own (needs root, as CI has).
    const script = `mount -t tmpfs -o ro lanchat-ro "$1" && shift && exec "$@"`;
    const output = await new Deno.Command("unshare", {
      args: [
        "-m",
        "sh",
        "-c",
        script,
        "sh",
        dir,
        Deno.execPath(),
        "run",
        "-q",
        "-P=server",
        "server.ts",
        ...["--host", "127.0.0.1", "--port", "0", "--plain", "--data-dir", dir],
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr).trim();
    assert.equal(output.code, 1, stderr);
    assert.equal(
      stderr,
      `chat-server: cannot lock the data directory ${dir}: read-only file system; give another --data-dir, or --data-dir :memory: to keep nothing on disk`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
