/**
 * "An accepted message is one JetStream acknowledged" with real processes:
 * a chat-server on the 3-node NATS harness loses JetStream's quorum; the
 * sender is told `cluster_unavailable` at once, nothing reaches the room,
 * the session stays, and chat-client's session sends the message again
 * until it is stored: delivered once, nothing typed lost.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { NatsCluster } from "./_nats_cluster.ts";
import { until } from "./_waiting.ts";
import { ReconnectingSession } from "../lib/client/reconnecting_session.ts";
import type { SessionEvent } from "../lib/client/session_events.ts";

Deno.test("chat-server --cluster: without a JetStream quorum a message is refused with cluster_unavailable, and chat-client sends it again until it is stored once", async () => {
  await using cluster = await NatsCluster.start();
  // The node knows n1 only, so it stays connected while n2 and n3 are gone.
  const node = await runServer([
    "--no-discovery",
    "--data-dir",
    ":memory:",
    "--cluster",
    cluster.urls[0],
  ]);
  await using server = node.server;
  await using bob = await NativeClient.connect(node.port, "bob");
  await using ana = await ReconnectingSession.connect({
    host: "127.0.0.1",
    port: node.port,
    nick: "ana",
    client: "test",
  });
  const seen: SessionEvent[] = [];
  (async () => {
    for await (const event of ana.events()) seen.push(event);
  })();
  const heard = () => bob.events.flatMap((e) => e.type === "msg" ? [e.text] : []);
  await ana.sendLine("before");
  await until(() => heard().includes("before"), 10_000);

  await cluster.kill("n2");
  await cluster.kill("n3");
  await ana.sendLine("while down");
  const queued = (e: SessionEvent) =>
    e.type === "status" && /^Queued: .* sending it again in \d+ s$/.test(e.message);
  await until(() => seen.some(queued), 15_000);
  // One line: queued and sent again, not the server's "Not sent ... try again" before it.
  assert.ok(
    !seen.some((e) => e.type === "error" && e.code === "cluster_unavailable"),
    "a refusal the session retries is not shown as an error",
  );
  assert.equal(ana.unsentLines, 1, "the refused line waits in the queue");
  // The same refusal, at once, for a raw client: the session stays.
  const refusedAt = performance.now();
  await bob.send({ type: "msg", text: "bob while down" });
  const error = await bob.next("error", (e) => e.code === "cluster_unavailable");
  assert.ok(performance.now() - refusedAt < 1_000, "refused at once while the gate is closed");
  assert.match(error.message, /cluster/);
  assert.ok(!heard().includes("while down"));

  cluster.restart("n2");
  cluster.restart("n3");
  await until(() => heard().includes("while down"), 25_000);
  await until(() => ana.unsentLines === 0, 10_000);
  // Anything after it arrives after it, and the retried line was stored once.
  await ana.sendLine("after");
  await until(() => heard().includes("after"), 10_000);
  assert.deepEqual(heard().filter((t) => t === "while down"), ["while down"]);
  assert.ok(heard().indexOf("while down") < heard().indexOf("after"));
  assert.ok(
    server.stderr.some((line) => line.includes("event=cluster_unavailable")),
    "the node logs that it could not store",
  );
  assert.ok(server.stderr.some((line) => line.includes("event=cluster_available")));
});
