/**
 * `chat-server --cluster`: bans, mutes and registrations live in NATS. Two
 * chat-server processes on one 3-node JetStream cluster: what an operator
 * does on one node acts on the other node's clients at once, and a node
 * started after both are gone still knows it.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { NatsCluster } from "./_nats_cluster.ts";
import { within } from "./_waiting.ts";

Deno.test("chat-server --cluster: a ban, a mute and a registration made on one node hold on every node, and after every node restarted", async () => {
  await using cluster = await NatsCluster.start();
  const opKey = await testKey();
  const bobKey = await testKey();
  const carolKey = await testKey();
  const daveKey = await testKey();
  const node = (url: string) =>
    runServer([
      "--no-discovery",
      "--data-dir",
      ":memory:",
      "--op",
      opKey.fingerprint,
      "--cluster",
      url,
    ]);
  const a = await node(cluster.urls[0]);
  const b = await node(cluster.urls[1]);
  {
    await using serverA = a.server;
    await using serverB = b.server;
    await using mod = await NativeClient.connect(a.port, "mod", { key: opKey });
    // bob and carol each have a session on both nodes, under other nicks.
    await using bob = await NativeClient.connect(b.port, "bob", { key: bobKey });
    await using _bobOnA = await NativeClient.connect(a.port, "bobby", { key: bobKey });
    await using carol = await NativeClient.connect(b.port, "carol", { key: carolKey });
    await using _carolOnA = await NativeClient.connect(a.port, "caro", { key: carolKey });
    await using dave = await NativeClient.connect(a.port, "dave", { key: daveKey });

    await mod.send({ type: "input", line: "/ban bobby --key-only spamming" });
    await mod.next("notice", (e) => e.message.startsWith("Banned bobby"));
    assert.deepEqual(await within(5_000, bob.next("bye"), "bob on B to be banned"), {
      type: "bye",
      reason: "kicked",
      code: "banned",
      message: "You were banned by mod: spamming",
    });

    await mod.send({ type: "input", line: "/mute caro --key-only 10" });
    await mod.next("notice", (e) => e.message.startsWith("Muted caro"));
    await within(
      5_000,
      carol.next("notice", (e) => e.message === "You were muted by mod for 10 minute(s)"),
      "carol on B to be told of the mute",
    );
    await carol.send({ type: "msg", text: "can you hear me" });
    assert.equal((await carol.next("error")).code, "muted");

    await dave.send({ type: "input", line: "/register" });
    await dave.next("notice", (e) => e.message.includes("is now registered"));
    serverA.kill("SIGTERM");
    serverB.kill("SIGTERM");
    await Promise.all([serverA.status, serverB.status]);
  }
  // Both nodes are gone; a new one reads it all from the buckets.
  const c = await node(cluster.urls[2]);
  await using _serverC = c.server;
  await using bobAgain = await NativeClient.connect(c.port);
  await bobAgain.hello("bob", { key: bobKey });
  assert.deepEqual(await bobAgain.next("error"), {
    type: "error",
    code: "banned",
    message: "You are banned from this server: spamming",
  });
  await using notDave = await NativeClient.connect(c.port);
  await notDave.hello("dave", { key: await testKey() });
  assert.equal((await notDave.next("error")).code, "nick_registered");
  await using carolAgain = await NativeClient.connect(c.port, "carol", { key: carolKey });
  await carolAgain.send({ type: "msg", text: "still muted?" });
  assert.equal((await carolAgain.next("error")).code, "muted");
});
