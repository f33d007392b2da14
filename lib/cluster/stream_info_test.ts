/** `streamInfoOrAdd` against a 3-node JetStream cluster on loopback. */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { streamInfoOrAdd } from "./stream_info.ts";

Deno.test("streamInfoOrAdd(): three nodes opening one stream at once get one stream; limits set since do not make a later open fail", async () => {
  await using cluster = await NatsCluster.start();
  const connections = await Promise.all(cluster.urls.map((servers) => connect({ servers })));
  try {
    const managers = await Promise.all(
      connections.map((nc) => jetstreamManager(nc, { timeout: 1_000 })),
    );
    const config = { name: "RACE", subjects: ["race.>"], num_replicas: 3 };
    // A request JetStream drops while it settles times out: the caller asks again (joinCluster does).
    const open = async (jsm: JetStreamManager) => {
      for (let attempt = 1;; attempt++) {
        try {
          return await streamInfoOrAdd(jsm, config);
        } catch (error) {
          if (attempt === 5 || (error as Error).name !== "TimeoutError") throw error;
        }
      }
    };
    const infos = await Promise.all(managers.map(open));
    assert.ok(infos.every((info) => info.config.name === "RACE"));
    // One stream, as every node reads it now (an add's own answer may carry its proposal's time).
    const seen = await Promise.all(managers.map((jsm) => jsm.streams.info("RACE")));
    assert.equal(new Set(seen.map((info) => info.created)).size, 1, "one stream");
    assert.equal(seen[0].config.num_replicas, 3);

    // One node sets limits (as --max-store-mb does); a node opening it later reads it as it is.
    await managers[0].streams.update("RACE", { ...infos[0].config, max_msgs_per_subject: 10 });
    const later = await open(managers[1]);
    assert.equal(later.config.max_msgs_per_subject, 10);
    assert.equal(later.created, seen[0].created);
  } finally {
    await Promise.all(connections.map((nc) => nc.close()));
  }
});

Deno.test("streamInfoOrAdd(): a timeout is not 'missing': it is thrown, and nothing is created", async () => {
  const added: unknown[] = [];
  const jsm = {
    streams: {
      info: () => Promise.reject(Object.assign(new Error("timeout"), { name: "TimeoutError" })),
      add: (config: unknown) => (added.push(config), Promise.reject(new Error("not here"))),
    },
  } as unknown as JetStreamManager;
  await assert.rejects(streamInfoOrAdd(jsm, { name: "ROOMS" }), { name: "TimeoutError" });
  assert.deepEqual(added, []);
});
