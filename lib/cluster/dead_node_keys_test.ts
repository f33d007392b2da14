/**
 * A node killed in the middle of a rename flood leaves nick records still
 * claiming and look-alike skeleton keys in the nick bucket (the security
 * review's F5); once it counts as dead, the survivors' sweep deletes every
 * key that names it, not only the members they listed.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { enterNode, startClusterNode } from "./_cluster_node.ts";
import { NICKS_BUCKET, NODE_HEARTBEAT_MS } from "./cluster_names.ts";

/** The nodes' dead time: 4 s (`--cluster-node-timeout 4`), not the default 12, to wait less. */
const DEAD_AFTER_MS = 4_000;

Deno.test("kill -9 of a node mid-rename flood: after the expiry bound the nick bucket holds nothing of it", async () => {
  await using cluster = await NatsCluster.start();
  const dead = { deadAfterMs: DEAD_AFTER_MS };
  const a = await startClusterNode(cluster.urls[0], "node-a", [], dead);
  await using b = await startClusterNode(cluster.urls[1], "node-b", [], dead);
  await using _a = a;
  const flooders = await Promise.all([0, 1, 2, 3].map((i) => enterNode(a, `fl${i}a`)));
  await enterNode(b, "watcher");
  const nc = await connect({ servers: cluster.urls[2] });
  try {
    const kv = await new Kvm(nc).open(NICKS_BUCKET);
    const keysOf = async (node: string) => {
      const keys: string[] = [];
      for await (const key of await kv.keys()) {
        const entry = await kv.get(key);
        if (entry?.operation === "PUT" && entry.json<{ node?: string }>().node === node) {
          keys.push(key);
        }
      }
      return keys;
    };
    // Each flooder renames back and forth as fast as its node answers, until the kill.
    let killed = false;
    const flood = Promise.all(flooders.map(async ({ member }, i) => {
      for (let k = 0; !killed; k++) {
        await Promise.resolve(a.hub.command(member, "nick", `fl${i}${k % 2 ? "a" : "b"}`))
          .catch(() => {});
      }
    }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    killed = true;
    await a.kill(); // The connection dropped with no goodbye, claims and deletes cut off.
    await flood;
    const left = await keysOf("node-a");
    assert.ok(left.some((key) => key.startsWith("look.")), `skeleton keys left: ${left}`);
    // The bound: dead after DEAD_AFTER_MS unheard (+ the last heartbeat's age), one sweep.
    const bound = DEAD_AFTER_MS + NODE_HEARTBEAT_MS + 1_000 + 4_000;
    const started = Date.now();
    let now = left;
    while ((now = await keysOf("node-a")).length > 0 && Date.now() - started < bound) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.deepEqual(now, [], `still there ${bound} ms after the kill`);
    console.log(`node-a's ${left.length} keys gone ${Date.now() - started} ms after the kill`);
  } finally {
    await nc.close();
  }
});
