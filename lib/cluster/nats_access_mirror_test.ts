/**
 * `KvMirror`'s watch across kill -9 on a 3-node JetStream cluster on
 * loopback: of the bucket's stream leader (one mirror's client connected to
 * it), and of the NATS node a mirror's client is on while another node
 * leads. Without the mirror's stall check one of the two watches stopped
 * receiving in 4 of 6 runs here, saying nothing (docs/cluster_progress.md).
 */

import assert from "node:assert/strict";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { killUnderMirrors } from "../../tests/_kv_kill.ts";

for (const target of ["leader", "client-node"] as const) {
  Deno.test(`KvMirror: after kill -9 of the ${target === "leader" ? "bucket's stream leader" : "NATS node its client is on"}, both mirrors hold every value written during and after it`, async () => {
    await using cluster = await NatsCluster.start();
    const result = await killUnderMirrors(cluster, target, 30_000);
    assert.notEqual(result.a_complete_ms, null, `mirror A stalled: ${JSON.stringify(result)}`);
    assert.notEqual(result.b_complete_ms, null, `mirror B stalled: ${JSON.stringify(result)}`);
  });
}
