/**
 * `NatsHistoryStore`'s stream reads (`/history`) while the room stream has
 * no leader: two of three NATS nodes killed, so no quorum and no election.
 * A read must fail within {@linkcode HISTORY_READ_MS} (the hub answers
 * `store_error`), not hang on one request timeout after another; the
 * mirror still answers joiners' replay; once a node is back, reads work.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { NatsCluster, url } from "../../tests/_nats_cluster.ts";
import { delay } from "../../tests/_waiting.ts";
import { ROOM_STREAM } from "./cluster_names.ts";
import { HISTORY_READ_MS, NatsHistoryStore } from "./nats_history.ts";
import { NatsRoomLog } from "./nats_room_log.ts";
import { publishMessages } from "./_room_log_fill.ts";

Deno.test("NatsHistoryStore: /history while the room stream has no leader fails within the bound, and reads again once it has one", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({
    servers: cluster.urls,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  });
  try {
    const log = await NatsRoomLog.start({ nc, node: "a" });
    const store = await NatsHistoryStore.start({ nc });
    log.listen((event, folded) => {
      if (event.type === "msg") store.append(folded, event);
    });
    await publishMessages(log, 10);
    const newest = { below: { id: Number.MAX_SAFE_INTEGER }, newest: true, limit: 5 } as const;
    assert.equal((await store.range("#lobby", newest)).length, 5);

    // Keep the node the connection is on; kill the other two (the leader among them, or not).
    const on = cluster.nodes.find((node) => nc.info?.port === node.clientPort)!;
    const gone = cluster.nodes.filter((node) => node !== on);
    for (const node of gone) await cluster.kill(node.name);
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await assert.rejects(store.range("#lobby", newest));
      timings.push(Math.round(performance.now() - started));
    }
    console.log(`/history reads with no stream leader failed after ${timings.join(", ")} ms`);
    for (const ms of timings) assert.ok(ms < HISTORY_READ_MS + 1_000, `failed after ${ms} ms`);
    // The mirror (a joiner's replay) still answers.
    assert.equal(store.load("#lobby", 3).messages.at(-1)?.type, "msg");

    cluster.restart(gone[0].name);
    const back = performance.now();
    let read: unknown[] | undefined;
    while (!read && performance.now() - back < 30_000) {
      read = await store.range("#lobby", newest).catch(() => undefined);
      if (!read) await delay(200);
    }
    assert.equal(read?.length, 5, "reads work again once the stream has a leader");
    console.log(
      `/history works again ${
        Math.round(performance.now() - back)
      } ms after a second node is back (${ROOM_STREAM} leader: ${await cluster.streamLeader(
        ROOM_STREAM,
      )}, on ${url(on)})`,
    );
    await store.settled();
    await log.stop();
  } finally {
    await nc.close();
  }
});
