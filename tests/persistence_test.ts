/** History that survives restarts: the real server.ts with a data directory. */

import assert from "node:assert/strict";
import type { MessageEvent } from "../lib/core/events.ts";
import { NativeClient, runEntry, runServer } from "./test_util.ts";

async function withDataDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-data-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
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
    assert.match(text.stdout[0], /^\[.*\d\d:\d\d\] <ana> hello$/);
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
    const corrupt = runEntry("server", ["--port", "0", "--data-dir", dir]);
    assert.equal((await corrupt.finished()).code, 1);
    assert.match(
      corrupt.stderr.join("\n"),
      new RegExp(
        `^chat-server: cannot open the history store ${dir}/history\\.db: the file is not a lanchat database or is corrupt`,
      ),
    );
    const unusable = runEntry("server", [
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
