/**
 * `claimKey` and the confirmed writes of kv_settled.ts against what
 * nats-server 2.9 does with two writes at one revision (issue 4320): both
 * are taken when the second reaches the bucket's leader before the first
 * is applied. `raceWrites` makes that happen every time (the other servers
 * paused while both go), on the 3-node harness.
 */

import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";
import { NatsCluster, url } from "../../tests/_nats_cluster.ts";
import { raceWrites } from "../../tests/_racing_writes.ts";
import { delay } from "../../tests/_waiting.ts";
import { CLAIM_MS, claimKey, holds } from "./claim_key.ts";
import { putAt } from "./kv_settled.ts";

const BUCKET = "CLAIMS";

/** Two connections to the leader of an R3 bucket made as lanchat makes its own (history 1). */
async function onLeader(
  cluster: NatsCluster,
): Promise<{ leader: string; kvs: KV[]; ncs: NatsConnection[] }> {
  const first = await connect({ servers: cluster.urls[0] });
  await new Kvm(first).create(BUCKET, { replicas: 3, history: 1 });
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${BUCKET}`))) await delay(50);
  const servers = url(cluster.node(leader));
  const ncs = await Promise.all([0, 1].map(() => connect({ servers })));
  const kvs = await Promise.all(ncs.map((nc) => new Kvm(nc).open(BUCKET)));
  return { leader, kvs, ncs };
}

Deno.test("claimKey: two claims of a deleted key taken by NATS at once, exactly one wins", async () => {
  await using cluster = await NatsCluster.start();
  const { leader, kvs, ncs } = await onLeader(cluster);
  try {
    const key = "nick.bob";
    await kvs[0].put(key, JSON.stringify({ node: "old" }));
    await kvs[0].delete(key); // A nick someone had: the key holds its deletion.
    const claims = ["node-a", "node-b"].map((node) => JSON.stringify({ node, nick: "bob" }));
    const outcomes = await (async () => {
      using _race = raceWrites(cluster, leader, (k) => k === key);
      return await Promise.all(kvs.map((kv, i) => {
        const mine = (entry: Parameters<typeof holds>[0]) => entry.string() === claims[i];
        return claimKey(kv, key, claims[i], mine, performance.now() + CLAIM_MS);
      }));
    })();
    const won = outcomes.flatMap((o, i) => o.revision === undefined ? [] : [i]);
    assert.equal(won.length, 1, `both claims won: ${JSON.stringify(outcomes)}`);
    const lost = outcomes[1 - won[0]];
    assert.equal(lost.holder?.string(), claims[won[0]], "the loser names the winner as holder");
    const stored = await kvs[0].get(key);
    assert.equal(stored?.string(), claims[won[0]]);
    assert.equal(stored?.revision, outcomes[won[0]].revision);
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
  }
});

Deno.test("putAt: two updates at one revision taken by NATS at once, exactly one stands", async () => {
  await using cluster = await NatsCluster.start();
  const { leader, kvs, ncs } = await onLeader(cluster);
  try {
    const key = "topic";
    const revision = await kvs[0].put(key, "old");
    const outcomes = await (async () => {
      using _race = raceWrites(cluster, leader, (k) => k === key);
      return await Promise.allSettled(kvs.map((kv, i) => putAt(kv, key, `v${i}`, revision)));
    })();
    const stood = outcomes.flatMap((o, i) => o.status === "fulfilled" ? [i] : []);
    assert.equal(stood.length, 1, JSON.stringify(outcomes));
    const lost = outcomes[1 - stood[0]] as PromiseRejectedResult;
    assert.equal(lost.reason.name, "OverwrittenError");
    assert.equal((await kvs[1].get(key))?.string(), `v${stood[0]}`);
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
  }
});
