/**
 * `NatsHistoryStore` against a 3-node JetStream cluster on loopback: the
 * history a node replays and pages is the room stream's.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { until } from "../../tests/_waiting.ts";
import { MemoryStore } from "../core/state/history_store.ts";
import { type HistoryQuery, queryHistory } from "../core/state/history_query.ts";
import type { RoomEvent, RoomEventBody } from "../core/state/room_log.ts";
import { ROOM_STREAM } from "./cluster_names.ts";
import { applyStreamLimits, NatsHistoryStore } from "./nats_history.ts";
import { NatsRoomLog } from "./nats_room_log.ts";

const say = (text: string, ts: number): RoomEventBody => ({
  type: "msg",
  ts,
  from: "ana",
  kind: "say",
  text,
});

Deno.test("NatsHistoryStore: a node started after the messages loads them from the stream, and pages and ranges read the stream as a local store would", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({ servers: cluster.urls });
  const late = await connect({ servers: cluster.urls[2] });
  try {
    const log = await NatsRoomLog.start({ nc, node: "a" });
    // What a single server's memory store would hold of the same events.
    const local = new MemoryStore();
    log.listen((event, folded) => {
      if (event.type === "msg") local.append(folded, event);
    });
    for (let i = 0; i < 60; i++) {
      const room = i % 3 === 0 ? "#other" : "#lobby";
      await log.publish(room, room, say(`m${i}`, 1_000_000 + i * 1_000));
    }
    await log.publish("#lobby", "#Lobby", { type: "topic", ts: 5, nick: "ana", text: "plans" });
    // The id JetStream acknowledged (log.lastId follows what the reader has read back, which may lag).
    const lastId = await log.publish("#lobby", "#Lobby", { type: "join", ts: 6, nick: "bob" });
    await until(() => local.load("#lobby", 100).messages.length === 40, 30_000);

    const store = await NatsHistoryStore.start({ nc: late });
    assert.equal(store.filled.events, 62);
    const loaded = store.load("#lobby", 10);
    assert.equal(loaded.lastId, lastId, "the room's newest id is the stream's, a join included");
    assert.deepEqual(loaded.messages, local.load("#lobby", 10).messages);
    assert.deepEqual(loaded.topic, { text: "plans", by: "ana", ts: 5 });
    assert.equal(store.load("#nowhere", 10).lastId, 0);

    const ids = local.load("#lobby", 100).messages.map((m) => m.id);
    const queries: HistoryQuery[] = [
      { kind: "before", ref: { id: ids[30] }, limit: 7 },
      { kind: "before", ref: { id: ids[3] }, limit: 50 },
      { kind: "after", ref: { id: ids[5] }, limit: 4 },
      { kind: "latest", limit: 15 },
      { kind: "latest", ref: { id: ids[35] }, limit: 15 },
      { kind: "around", ref: { id: ids[20] }, limit: 6 },
      { kind: "between", ref: { id: ids[2] }, end: { id: ids[9] }, limit: 100 },
      { kind: "between", ref: { id: ids[30] }, end: { id: ids[10] }, limit: 3 },
      { kind: "after", ref: { ts: 1_000_000 + 30_000 }, limit: 5 },
      { kind: "before", ref: { ts: 1_000_000 + 30_500 }, limit: 5 },
      { kind: "between", ref: { ts: 1_010_000 }, end: { ts: 1_020_000 }, limit: 100 },
    ];
    for (const query of queries) {
      assert.deepEqual(
        await queryHistory(store, "#lobby", query),
        await queryHistory(local, "#lobby", query),
        JSON.stringify(query),
      );
    }
    assert.deepEqual(
      await store.page("#lobby", ids[10], 3),
      ids.slice(7, 10).map((id) => ({
        ...local.load("#lobby", 100).messages.find((m) => m.id === id),
      })),
    );

    // The log hands on events the start read too (it reads from its own start): kept once.
    const again = local.load("#lobby", 1).messages[0];
    store.append("#lobby", again);
    assert.equal(store.load("#lobby", 100).messages.length, 40);
    await log.stop();
  } finally {
    await nc.close();
    await late.close();
  }
});

Deno.test("NatsHistoryStore: retention flags become the stream's limits, and a topic outlives them in its bucket", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({ servers: cluster.urls });
  try {
    const log = await NatsRoomLog.start({ nc, node: "a" });
    const store = await NatsHistoryStore.start({ nc });
    const seen: RoomEvent[] = [];
    // As the hub's listener does: every event the log reads goes to the store.
    log.listen((event, folded) => {
      seen.push(event);
      if (event.type === "msg") store.append(folded, event);
      if (event.type === "topic") {
        store.setTopic(folded, event.room, { text: event.text, by: event.nick, ts: event.ts });
      }
      store.touch(folded, event.room, event.id);
    });
    assert.equal(
      await applyStreamLimits(nc, { retainDays: 2, retainMessages: 5, maxStoreBytes: 1 << 20 }),
      true,
    );
    assert.equal(
      await applyStreamLimits(nc, { retainDays: 2, retainMessages: 5, maxStoreBytes: 1 << 20 }),
      false,
      "unchanged limits are not written again",
    );
    const jsm = await jetstreamManager(nc);
    const { config } = await jsm.streams.info(ROOM_STREAM);
    assert.equal(config.max_age, 2 * 86_400 * 1e9);
    assert.equal(config.max_msgs_per_subject, 5);
    assert.equal(config.max_bytes, 1 << 20);

    await log.publish("#lobby", "#lobby", { type: "topic", ts: 1, nick: "ana", text: "kept" });
    await until(() => seen.length === 1, 30_000);
    // Each read before the next: the stream keeps 5 a room, so a reader more than 5 behind (a
    // loaded machine's) would find the oldest gone, as the limit says.
    for (let i = 0; i < 8; i++) {
      await log.publish("#lobby", "#lobby", say(`m${i}`, 10 + i));
      await until(() => seen.length === 2 + i, 30_000);
    }
    await store.settled();
    const { state } = await jsm.streams.info(ROOM_STREAM);
    assert.equal(state.messages, 5, "the stream keeps 5 events of the room");

    // Everything this node knew is gone; a new node reads the stream and the topics bucket.
    const fresh = await NatsHistoryStore.start({ nc });
    const room = fresh.load("#lobby", 100);
    assert.deepEqual(room.messages.map((m) => m.text), ["m3", "m4", "m5", "m6", "m7"]);
    assert.deepEqual(room.topic, { text: "kept", by: "ana", ts: 1 });
    assert.equal(room.lastId, seen.at(-1)!.id);

    await applyStreamLimits(nc, {});
    const lifted = (await jsm.streams.info(ROOM_STREAM)).config;
    assert.deepEqual(
      [lifted.max_age, lifted.max_msgs_per_subject, lifted.max_bytes],
      [0, -1, -1],
    );
    await log.stop();
  } finally {
    await nc.close();
  }
});
