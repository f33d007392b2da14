/**
 * `chat-server --cluster`: two chat-server processes on one 3-node NATS
 * JetStream cluster share their rooms' order (the first piece of issue 17;
 * presence, history and access are still per node).
 */

import assert from "node:assert/strict";
import { runEntry, runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { freePort, NatsCluster } from "./_nats_cluster.ts";
import { until, within } from "./_waiting.ts";

const clusterServer = (urls: string[]) =>
  runServer(["--no-discovery", "--data-dir", ":memory:", "--cluster", urls.join(",")]);

Deno.test("chat-server --cluster: clients on two nodes see each other's messages in one order, with the same ids", async () => {
  await using cluster = await NatsCluster.start();
  const a = await clusterServer([cluster.urls[0]]);
  await using serverA = a.server;
  const b = await clusterServer([cluster.urls[1], cluster.urls[2]]);
  await using serverB = b.server;
  for (const server of [serverA, serverB]) {
    assert.ok(server.stderr.some((line) => line.includes("event=cluster ")), "each logs its node");
  }
  await using ana = await NativeClient.connect(a.port, "ana");
  await using bob = await NativeClient.connect(b.port, "bob");
  // Joins go through the shared log too: ana, on A, is told that bob, on B, joined.
  await ana.next("join", (e) => e.nick === "bob" && e.room === "#lobby");
  for (let i = 0; i < 20; i++) await (i % 2 ? ana : bob).send({ type: "msg", text: `m${i}` });
  const messages = (client: NativeClient) =>
    client.events.flatMap((e) => e.type === "msg" ? [`${e.id}:${e.from}:${e.text}`] : []);
  await until(() => messages(ana).length === 20 && messages(bob).length === 20, 10_000);
  assert.deepEqual(messages(ana), messages(bob));
  const ids = messages(ana).map((line) => Number(line.split(":")[0]));
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), `ids increase: ${ids}`);

  // A clean stop leaves the cluster too (no hang on the NATS connection).
  serverA.kill("SIGTERM");
  const status = await within(10_000, serverA.status, "chat-server A to exit");
  assert.equal(status.code, 0);
});

Deno.test("chat-server --cluster with no NATS there says so and exits 1 without listening", async () => {
  await using server = runEntry("server", [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-discovery",
    "--data-dir",
    ":memory:",
    "--cluster",
    `nats://127.0.0.1:${freePort()}`,
  ]);
  const status = await within(15_000, server.status, "chat-server to give up");
  assert.equal(status.code, 1);
  await until(() => server.stderr.some((line) => line.includes("--cluster: cannot reach NATS")));
  assert.ok(
    !server.stdout.some((line) => line.startsWith("listening on")),
    server.stdout.join("\n"),
  );
});
