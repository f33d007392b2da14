/**
 * The presence and node watches across kill -9 of the nick bucket's stream
 * leader (3-node JetStream cluster on loopback, two chat nodes on the two
 * NATS nodes that stay): members who join, rename and leave afterwards on
 * one node are seen on the other. With a plain `kv.watch()` the watch could
 * stall for good after the leader change, and the other node never learned
 * of them (docs/cluster_progress.md, "Watches that recover"); a watch made
 * again could wait 5 s for each request JetStream placed on the dead node
 * ("A watch made on a dead replica").
 */

import assert from "node:assert/strict";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { killUnderPresences } from "../../tests/_presence_kill.ts";

Deno.test("NatsPresence: after kill -9 of the nick bucket's leader, joins, a rename and a leave on one node are seen on the other", async () => {
  await using cluster = await NatsCluster.start();
  const result = await killUnderPresences(cluster, 15_000);
  console.log(JSON.stringify(result));
  // Every change is seen on the other node, the join right after the election included (a watch
  // made again then could wait 5 s per request JetStream placed on the dead node: kv_follow.ts).
  for (const [what, ms] of Object.entries(result)) {
    if (what.endsWith("seen_on_a_ms") || what.endsWith("seen_on_b_ms")) {
      assert.notEqual(ms, null, `${what}: not seen within 15 s: ${JSON.stringify(result)}`);
    }
  }
});
