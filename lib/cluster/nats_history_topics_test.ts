/**
 * `NatsTopics.record` against nats-server 2.9 taking two writes at one
 * revision (issue 4320), made to happen every time by `raceWrites`.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { NatsCluster, url } from "../../tests/_nats_cluster.ts";
import { raceWrites } from "../../tests/_racing_writes.ts";
import { delay } from "../../tests/_waiting.ts";
import { TOPICS_BUCKET } from "./cluster_names.ts";
import { NatsTopics, type StoredTopic } from "./nats_history_topics.ts";

Deno.test("NatsTopics: a newer topic and an older one recorded at once by two nodes leave the newer, though NATS takes both writes", async () => {
  await using cluster = await NatsCluster.start();
  const first = await connect({ servers: cluster.urls[0] });
  await NatsTopics.open(first); // Makes the bucket.
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${TOPICS_BUCKET}`))) await delay(50);
  // One connection to the bucket's leader: the two writes reach it in the order they are sent.
  const nc = await connect({ servers: url(cluster.node(leader)) });
  try {
    const [a, b] = await Promise.all([NatsTopics.open(nc), NatsTopics.open(nc)]);
    const topic = (id: number, text: string): StoredTopic => ({
      room: "#lobby",
      id,
      topic: { text, by: "ana", ts: id },
    });
    assert.equal(await a.record("#lobby", topic(9, "old")), true);
    {
      using _race = raceWrites(cluster, leader, () => true);
      // A writes the newest topic first, B a late node's older one on the same revision after.
      const newer = a.record("#lobby", topic(12, "newest"));
      await delay(100);
      const older = b.record("#lobby", topic(10, "older"));
      await Promise.all([newer, older]);
    }
    const stored = (await a.all()).get("#lobby");
    assert.equal(stored?.id, 12, `the bucket kept ${JSON.stringify(stored)}`);
  } finally {
    await nc.close();
  }
});
