/**
 * `NatsRoomLog` against a 3-node JetStream cluster on loopback: two logs on
 * two NATS nodes stand for two chat-server nodes.
 */

import assert from "node:assert/strict";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { until } from "../../tests/_waiting.ts";
import type { Member } from "../core/member.ts";
import type { RoomEvent } from "../core/state/room_log.ts";
import { NatsRoomLog } from "./nats_room_log.ts";

interface Seen {
  event: RoomEvent;
  folded: string;
  origin: Member | undefined;
}

async function logOn(nc: NatsConnection, node: string): Promise<[NatsRoomLog, Seen[]]> {
  const log = await NatsRoomLog.start({ nc, node });
  const seen: Seen[] = [];
  log.listen((event, folded, origin) => seen.push({ event, folded, origin }));
  return [log, seen];
}

/** Stands for a local member: the log only carries it back by identity. */
const member = (nick: string) => ({ nick }) as unknown as Member;

Deno.test("NatsRoomLog: concurrent appends on two nodes reach both in one order, with the stream's ids", async () => {
  await using cluster = await NatsCluster.start();
  const ncA = await connect({ servers: cluster.urls[0] });
  const ncB = await connect({ servers: cluster.urls[1] });
  try {
    const [logA, seenA] = await logOn(ncA, "node-a");
    const [logB, seenB] = await logOn(ncB, "node-b");
    const ana = member("ana");
    const bob = member("bob");
    const acks: Promise<number>[] = [];
    for (let i = 0; i < 50; i++) {
      const room = i % 3 === 0 ? "#café.b" : "#lobby";
      acks.push(
        logA.publish(
          room,
          room,
          { type: "msg", ts: i, from: "ana", kind: "say", text: `a${i}` },
          ana,
        ),
      );
      acks.push(
        logB.publish(
          room,
          room,
          { type: "msg", ts: i, from: "bob", kind: "say", text: `b${i}` },
          bob,
        ),
      );
    }
    const ids = await Promise.all(acks);
    await until(() => seenA.length === 100 && seenB.length === 100, 15_000);

    const order = (seen: Seen[]) => seen.map(({ event }) => [event.room, event.id, textOf(event)]);
    assert.deepEqual(order(seenA), order(seenB));
    assert.deepEqual(seenA.map(({ event }) => event.id), [...ids].sort((a, b) => a - b));
    for (const room of ["#lobby", "#café.b"]) {
      const roomIds = seenA.filter(({ folded }) => folded === room).map(({ event }) => event.id);
      assert.ok(roomIds.every((id, i) => i === 0 || id > roomIds[i - 1]), `${room} ids increase`);
      assert.equal(logA.lastId(room), roomIds.at(-1));
      assert.equal(logB.lastId(room), roomIds.at(-1));
    }
    // Each node gets its own member back as the origin (the fan-out skips it), never the other's.
    for (const { event, origin } of seenA) {
      assert.equal(origin, textOf(event)[0] === "a" ? ana : undefined);
    }
    for (const { event, origin } of seenB) {
      assert.equal(origin, textOf(event)[0] === "b" ? bob : undefined);
    }
    // The same ids each publisher was told, per message.
    const idOf = new Map(seenA.map(({ event }) => [textOf(event), event.id]));
    assert.equal(idOf.get("a0"), ids[0]);
    assert.equal(idOf.get("b49"), ids[99]);
    await logA.stop();
    await logB.stop();
  } finally {
    await ncA.close();
    await ncB.close();
  }
});

Deno.test("NatsRoomLog: a log started later reads only what comes after, and skips what is no room event", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({ servers: cluster.urls });
  try {
    const [early, seenEarly] = await logOn(nc, "node-a");
    await early.publish("#lobby", "#lobby", {
      type: "msg",
      ts: 1,
      from: "ana",
      kind: "say",
      text: "before",
    });
    const skipped: number[] = [];
    const late = await NatsRoomLog.start({
      nc,
      node: "node-b",
      onSkip: (_, seq) => skipped.push(seq),
    });
    const seenLate: RoomEvent[] = [];
    late.listen((event) => seenLate.push(event));
    const js = (await jetstreamManager(nc)).jetstream();
    await js.publish("lanchat.room.I2xvYmJ5", "not json");
    // As an older node stored events: node and origin token in headers, not in the body.
    const older = headers();
    older.set("Lanchat-Node", "node-b");
    older.set("Lanchat-Origin", "0");
    const old = {
      room: "#lobby",
      body: { type: "msg", ts: 2, from: "bo", kind: "say", text: "old" },
    };
    const oldId =
      (await js.publish("lanchat.room.I2xvYmJ5", JSON.stringify(old), { headers: older }))
        .seq;
    const id = await early.publish("#lobby", "#lobby", {
      type: "msg",
      ts: 3,
      from: "ana",
      kind: "say",
      text: "after",
    });
    await until(() => seenLate.length === 2 && seenEarly.length === 3, 10_000);
    assert.deepEqual(seenLate.map((event) => [event.id, textOf(event)]), [[oldId, "old"], [
      id,
      "after",
    ]]);
    assert.deepEqual(skipped, [oldId - 1]);
    await early.stop();
    await late.stop();
  } finally {
    await nc.close();
  }
});

Deno.test("NatsRoomLog.append() reports a publish JetStream did not acknowledge, and delivers nothing", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({ servers: cluster.urls });
  try {
    const errors: string[] = [];
    const log = await NatsRoomLog.start({
      nc,
      node: "node-a",
      ackTimeoutMs: 500,
      onError: (_, folded) => errors.push(folded),
    });
    const seen: RoomEvent[] = [];
    log.listen((event) => seen.push(event));
    // Two of three nodes gone: no quorum, so no ack.
    await cluster.kill("n2");
    await cluster.kill("n3");
    log.append(
      "#lobby",
      "#lobby",
      { type: "msg", ts: 1, from: "ana", kind: "say", text: "lost?" },
      member("ana"),
    );
    await until(() => errors.length === 1, 10_000);
    assert.deepEqual(errors, ["#lobby"]);
    assert.equal(seen.length, 0);
    await log.stop();
  } finally {
    await nc.close();
  }
});

function textOf(event: RoomEvent): string {
  return event.type === "msg" ? event.text : "";
}

Deno.test("NatsRoomLog: after kill -9 of the stream's leader, both nodes' ordered readers go on in one order with nothing lost or doubled", async () => {
  await using cluster = await NatsCluster.start();
  const ncA = await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
  const ncB = await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
  try {
    const [logA, seenA] = await logOn(ncA, "node-a");
    const [logB, seenB] = await logOn(ncB, "node-b");
    const say = async (log: NatsRoomLog, text: string) => {
      // Retried until acknowledged, as a sender's client would; the log's msgID is per publish,
      // so this loop may store a message twice if an ack was lost: counted below, not assumed.
      while (true) {
        try {
          return await log.publish("#lobby", "#lobby", {
            type: "msg",
            ts: 0,
            from: "x",
            kind: "say",
            text,
          });
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    for (let i = 0; i < 20; i++) await say(i % 2 ? logA : logB, `before${i}`);
    await until(() => seenA.length === 20 && seenB.length === 20, 10_000);
    const texts = (seen: Seen[]) => seen.map(({ event }) => `${event.id}:${textOf(event)}`);
    const leader = await cluster.streamLeader("LANCHAT_ROOMS");
    assert.ok(leader, "the room stream has a leader");
    await cluster.kill(leader);
    for (let i = 0; i < 20; i++) await say(i % 2 ? logA : logB, `after${i}`);
    // A reader may stall after the kill; the log notices (heartbeats, or behind the stream for
    // 3 s) and reads again from where it was. Measured: up to ~17 s here, 30 s is the bound.
    await until(() => seenA.length >= 40 && seenB.length >= 40, 30_000);
    assert.deepEqual(texts(seenA), texts(seenB));
    const ids = seenA.map(({ event }) => event.id);
    assert.equal(new Set(ids).size, ids.length, "no event delivered twice");
    assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), "in stream order");
    for (let i = 0; i < 20; i++) {
      assert.ok(texts(seenA).some((line) => line.endsWith(`:after${i}`)), `after${i} arrived`);
    }
    await logA.stop();
    await logB.stop();
  } finally {
    await ncA.close();
    await ncB.close();
  }
});
