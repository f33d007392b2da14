/**
 * Every NATS node gone, then back: a {@linkcode KvMirror} refuses writes at
 * once (not after its timeout), answers reads from memory, and follows the
 * bucket again after the restart without being opened again.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { NatsUnreachableError } from "./nats_link.ts";
import { KvMirror } from "./nats_access_mirror.ts";

Deno.test("KvMirror: with every NATS node gone a write is refused at once, reads answer from memory, and after NATS is back the watch goes on", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({
    servers: cluster.urls,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  });
  const other = await connect({
    servers: cluster.urls,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  });
  try {
    const parse = (value: unknown) => typeof value === "string" ? value : undefined;
    const mirror = await KvMirror.open<string>({ nc, bucket: "DOWN", node: "a", parse });
    const writer = await KvMirror.open<string>({ nc: other, bucket: "DOWN", node: "b", parse });
    await mirror.put("before", "1");
    for (const node of cluster.nodes) await cluster.kill(node.name);
    await waitUntil(async () => {
      try {
        await mirror.put("during", "x");
        return false;
      } catch (error) {
        return error instanceof NatsUnreachableError;
      }
    });
    const started = performance.now();
    await assert.rejects(mirror.put("during", "2"), NatsUnreachableError);
    assert.ok(performance.now() - started < 100, "refused at once, not after a timeout");
    assert.equal(mirror.get("before"), "1");
    for (const node of cluster.nodes) cluster.restart(node.name);
    await cluster.waitForMetaLeader();
    // Written on the other connection once JetStream takes writes again: the mirror's watch must see it.
    await waitUntil(async () => {
      try {
        await writer.put("after", "3");
        return true;
      } catch {
        return false;
      }
    }, 30_000);
    await waitUntil(() => Promise.resolve(mirror.get("after") === "3"), 20_000);
    await mirror.put("mine", "4");
    await waitUntil(() => Promise.resolve(writer.get("mine") === "4"), 20_000);
    await mirror.stop();
    await writer.stop();
  } finally {
    await nc.close();
    await other.close();
  }
});

async function waitUntil(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
