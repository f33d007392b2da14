/**
 * A nick claim right after NATS restarts (3-node JetStream cluster on
 * loopback, all three killed and started again): while JetStream settles
 * it may drop a write, and a plain `kv.create` then waited its 5 s timeout
 * (and the read after it 5 s more) before the newcomer heard anything.
 * Every attempt must now be answered, welcome or `cluster_unavailable`,
 * within the claim's bound (claim_key.ts), and one is welcomed at last.
 */

import assert from "node:assert/strict";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { delay } from "../../tests/_waiting.ts";
import { enterNode, startClusterNode } from "./_cluster_node.ts";
import { CLAIM_MS } from "./claim_key.ts";

Deno.test("NatsPresence: after NATS restarts, each nick claim is answered within its bound until one is welcomed", async () => {
  await using cluster = await NatsCluster.start();
  await using node = await startClusterNode(cluster.urls, "node-a");
  await enterNode(node, "before");
  await Promise.all(cluster.nodes.map((n) => cluster.kill(n.name)));
  await delay(1_000);
  for (const n of cluster.nodes) cluster.restart(n.name);
  const restarted = performance.now();
  const answers: { at: number; ms: number; outcome: string }[] = [];
  let welcomed = false;
  for (let i = 0; !welcomed && performance.now() - restarted < 40_000; i++) {
    const start = performance.now();
    const outcome = await enterNode(node, `late${i}`).then(
      () => "welcome",
      (error) => error.code ?? String(error),
    );
    const ms = Math.round(performance.now() - start);
    answers.push({ at: Math.round(start - restarted), ms, outcome });
    welcomed = outcome === "welcome";
    if (!welcomed) await delay(100);
  }
  const slow = answers.filter((a) => a.ms > CLAIM_MS + 700);
  console.log(JSON.stringify({ attempts: answers.length, slow, last: answers.at(-1) }));
  assert.ok(welcomed, `never welcomed: ${JSON.stringify(answers.slice(-5))}`);
  assert.deepEqual(slow, [], "answers slower than the claim's bound");
  const refusals = new Set(answers.filter((a) => a.outcome !== "welcome").map((a) => a.outcome));
  assert.ok([...refusals].every((code) => code === "cluster_unavailable"), [...refusals].join());
});
