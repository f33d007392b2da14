/**
 * History on a cluster is the stream: real chat-server processes on the
 * 3-node NATS harness. A node started after the messages replays them, a
 * node with older local history never shows its ids, `/history` pages from
 * the stream, the topic and the history survive a restart of everything,
 * and `chat-server export --cluster` reads the stream.
 */

import assert from "node:assert/strict";
import { type EntryOptions, runEntry, runServer } from "./_entry_process.ts";
import { NatsCluster } from "./_nats_cluster.ts";
import { until, within } from "./_waiting.ts";
import { welcomed } from "./_cluster_chat.ts";

const node = (urls: string[], dataDir: string, options: EntryOptions = {}) =>
  runServer([
    "--no-discovery",
    "--data-dir",
    dataDir,
    "--max-store-mb",
    "64",
    "--cluster",
    urls.join(","),
  ], options);

Deno.test("chat-server --cluster: history is the stream (late node, /history, restart of everything, export)", async () => {
  await using cluster = await NatsCluster.start();
  const dirA = Deno.makeTempDirSync({ prefix: "lanchat-hist-a-" });
  const dirB = Deno.makeTempDirSync({ prefix: "lanchat-hist-b-" });
  try {
    // B's data dir holds a single server's history (solo*): a cluster node must never show it.
    {
      const solo = await runServer(["--no-discovery", "--data-dir", dirB]);
      await using server = solo.server;
      await using old = await welcomed(solo.port, "old");
      for (let i = 0; i < 3; i++) await old.send({ type: "msg", text: `solo${i}` });
      await old.send({ type: "cmd", name: "history", args: "" });
      await old.next("history");
      server.kill("SIGTERM");
      await within(10_000, server.status, "the single server to stop");
    }

    const a = await node([cluster.urls[0]], dirA);
    await using serverA = a.server;
    await using ana = await welcomed(a.port, "ana");
    await ana.send({ type: "cmd", name: "topic", args: "plans for today" });
    for (let i = 0; i < 8; i++) await ana.send({ type: "msg", text: `m${i}` });
    await ana.send({ type: "cmd", name: "history", args: "1" });
    await until(() => ana.events.some((e) => e.type === "history"), 10_000);

    // B starts after all that: its joiner gets the stream's last messages and topic, not solo*.
    const b = await node([cluster.urls[1]], dirB);
    await using serverB = b.server;
    await using bob = await welcomed(b.port, "bob");
    const welcome = bob.events.find((e) => e.type === "welcome");
    assert.ok(welcome?.type === "welcome");
    assert.equal(welcome.topic?.text, "plans for today");
    const replay = welcome.history.map((m) => `${m.id}:${m.text}`);
    assert.ok(replay.length > 0 && replay.every((line) => /:m\d+$/.test(line)), replay.join());
    assert.equal(replay.at(-1), `${welcome.history.at(-1)!.id}:m7`);
    await bob.send({ type: "msg", text: "from b" });
    const fromB = await ana.next("msg", (e) => e.text === "from b");
    assert.ok(fromB.id > welcome.history.at(-1)!.id, "ids go on from the stream's");

    // /history on B pages back through the stream (B's own store never saw these).
    const m5 = welcome.history.find((m) => m.text === "m5")!;
    await bob.send({ type: "cmd", name: "history", args: `3 ${m5.id}` });
    const page = await bob.next("history");
    assert.deepEqual(page.messages.map((m) => m.text), ["m2", "m3", "m4"]);
    assert.ok(page.messages.every((m) => m.id < m5.id));

    // Everything restarted: chat-servers and all three NATS nodes.
    for (const server of [serverA, serverB]) {
      server.kill("SIGTERM");
      assert.equal((await within(10_000, server.status, "chat-server to stop")).code, 0);
    }
    for (const name of ["n1", "n2", "n3"]) await cluster.kill(name, "SIGTERM");
    for (const name of ["n1", "n2", "n3"]) cluster.restart(name);
    // The elections after a restart of all three are slow on a loaded CI: first a meta leader
    // (a node that cannot start says why), then the chat node, which itself waits up to 60 s
    // for JetStream before it listens.
    await cluster.waitForMetaLeader(90_000);
    const c = await retryStart(cluster.urls, dirA);
    await using _serverC = c.server;
    await using carol = await welcomed(c.port, "carol");
    const again = carol.events.find((e) => e.type === "welcome");
    assert.ok(again?.type === "welcome");
    assert.equal(again.topic?.text, "plans for today");
    assert.equal(again.history.at(-1)?.text, "from b");
    assert.equal(again.history.at(-1)?.id, fromB.id);

    // export --cluster reads the stream: all 9 messages of #lobby, in order.
    await using exporter = runEntry("server", [
      "export",
      "--room",
      "#lobby",
      "--cluster",
      cluster.urls.join(","),
    ]);
    assert.equal((await exporter.finished()).code, 0);
    const exported = exporter.stdout.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    assert.equal(exported.length, 9);
    assert.deepEqual(exported.slice(0, 2).map((m) => m.text), ["m0", "m1"]);
    assert.equal(exported.at(-1).text, "from b");
    assert.equal(exported.at(-1).id, fromB.id);
  } finally {
    Deno.removeSync(dirA, { recursive: true });
    Deno.removeSync(dirB, { recursive: true });
  }
});

/**
 * A node may start before the restarted NATS cluster has its stream back and give up (it
 * exits with its reason): try again. A node that is still waiting is never left running.
 */
async function retryStart(urls: string[], dir: string) {
  for (let attempt = 0;; attempt++) {
    try {
      return await node(urls, dir, { readyMs: 90_000 });
    } catch (error) {
      if (attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
