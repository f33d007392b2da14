/**
 * The NATS cluster harness itself: three JetStream nodes elect a meta
 * leader, an R3 stream and a KV bucket take writes and give them back, and
 * a node killed with SIGKILL leaves the other two serving.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { NatsCluster } from "./_nats_cluster.ts";

Deno.test("NatsCluster starts three JetStream nodes that keep an R3 stream and a KV bucket", async () => {
  await using cluster = await NatsCluster.start();
  assert.equal(cluster.urls.length, 3);
  const nc = await connect({ servers: cluster.urls });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.add({ name: "SMOKE", subjects: ["smoke.>"], num_replicas: 3 });
    assert.equal(info.config.num_replicas, 3);
    const js = jetstream(nc);
    for (let i = 1; i <= 5; i++) {
      const ack = await js.publish(`smoke.room${i % 2}`, `message ${i}`);
      assert.equal(ack.seq, i);
    }
    const stored = await jsm.streams.getMessage("SMOKE", { seq: 3 });
    assert.equal(stored?.string(), "message 3");
    assert.equal(stored?.subject, "smoke.room1");

    const kv = await new Kvm(nc).create("SMOKE_KV", { replicas: 3 });
    const revision = await kv.create("nick.ana", "node-a");
    const taken = await kv.create("nick.ana", "node-b").then(() => false, () => true);
    assert(taken, "a second create of one key must fail");
    assert.equal((await kv.get("nick.ana"))?.string(), "node-a");
    assert.equal((await kv.get("nick.ana"))?.revision, revision);

    const streamLeader = (await jsm.streams.info("SMOKE")).cluster?.leader;
    assert(streamLeader, "the R3 stream has a leader");
  } finally {
    await nc.close();
  }
});

Deno.test("NatsCluster.kill() of the meta leader leaves two nodes that elect another and keep an R3 stream", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({ servers: cluster.urls });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "KILLED", subjects: ["killed.>"], num_replicas: 3 });
    const js = jetstream(nc);
    await js.publish("killed.a", "before");
    const leader = await cluster.waitForMetaLeader();
    await cluster.kill(leader);
    assert.equal(cluster.urls.length, 2);
    assert.equal(cluster.node(leader).child, undefined);
    const next = await cluster.waitForMetaLeader();
    assert.notEqual(next, leader);
    const ack = await publishUntilAcked(js, "killed.a", "after", 20_000);
    assert.equal(ack.seq, 2);
    assert.equal((await jsm.streams.getMessage("KILLED", { seq: 1 }))?.string(), "before");
  } finally {
    await nc.close();
  }
});

/** Publishes, retrying while the stream has no leader (a timeout or 503). */
async function publishUntilAcked(
  js: ReturnType<typeof jetstream>,
  subject: string,
  data: string,
  ms: number,
): Promise<{ seq: number }> {
  const deadline = performance.now() + ms;
  while (true) {
    try {
      return await js.publish(subject, data, { msgID: `${subject}:${data}`, timeout: 2_000 });
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
