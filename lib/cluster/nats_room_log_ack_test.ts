/**
 * `NatsRoomLog.append()` answers with JetStream's acknowledgement, and
 * refuses at once while NATS or JetStream cannot store (3-node harness).
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { until } from "../../tests/_waiting.ts";
import type { Member } from "../core/member.ts";
import type { RoomEvent, RoomEventBody } from "../core/state/room_log.ts";
import { NatsRoomLog } from "./nats_room_log.ts";
import { ClusterUnavailableError } from "./publish_gate.ts";
import { roomSubject } from "./room_subject.ts";

const say = (text: string): RoomEventBody => ({
  type: "msg",
  ts: 1,
  from: "ana",
  kind: "say",
  text,
});
const ana = { nick: "ana" } as unknown as Member;
const texts = (seen: RoomEvent[]) => seen.map((e) => e.type === "msg" ? e.text : e.type);

/** How long a refusal took, in ms, and what it was. */
async function refusal(promise: Promise<number>): Promise<[number, unknown]> {
  const start = performance.now();
  const error = await promise.then(() => undefined, (e) => e);
  return [performance.now() - start, error];
}

Deno.test("NatsRoomLog.append() resolves with the id every listener sees, and many appends are in flight at once", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({ servers: cluster.urls[0] });
  try {
    const log = await NatsRoomLog.start({ nc, node: "node-a" });
    const seen: RoomEvent[] = [];
    log.listen((event) => seen.push(event));
    // Not one awaited round trip each: all 200 are published before the first ack is read.
    const pending = Array.from(
      { length: 200 },
      (_, i) => log.append("#lobby", "#lobby", say(`m${i}`)),
    );
    const ids = await Promise.all(pending);
    await until(() => seen.length === 200, 10_000);
    assert.deepEqual(seen.map((e) => e.id), ids);
    assert.deepEqual(texts(seen), Array.from({ length: 200 }, (_, i) => `m${i}`));
    await log.stop();
  } finally {
    await nc.close();
  }
});

Deno.test("NatsRoomLog.append() rejects when JetStream loses its quorum, the next ones at once, and stores again once it is back", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({ servers: cluster.urls[0] });
  try {
    const changes: (string | undefined)[] = [];
    const log = await NatsRoomLog.start({
      nc,
      node: "node-a",
      ackTimeoutMs: 1_000,
      onAvailability: (reason) => changes.push(reason),
    });
    const seen: RoomEvent[] = [];
    log.listen((event) => seen.push(event));
    const first = await log.append("#lobby", "#lobby", say("before"), ana);
    await cluster.kill("n2");
    await cluster.kill("n3");
    const [waited, error] = await refusal(log.append("#lobby", "#lobby", say("lost 1"), ana));
    assert.ok(error instanceof ClusterUnavailableError, String(error));
    assert.ok(waited < 1_500, `the first refusal within the ack timeout (${waited} ms)`);
    assert.ok(log.unavailable, "the gate is closed after a failed publish");
    for (let i = 2; i <= 20; i++) {
      const [fast, again] = await refusal(log.append("#lobby", "#lobby", say(`lost ${i}`), ana));
      assert.ok(again instanceof ClusterUnavailableError);
      assert.ok(fast < 50, `refused at once, not after the ack timeout (${fast} ms)`);
    }
    cluster.restart("n2");
    cluster.restart("n3");
    await until(() => log.unavailable === undefined, 25_000);
    // The first refusal timed out: JetStream may still store it once the quorum is back. Sent
    // again by the same member, it carries the same message id, so it is stored once.
    await log.append("#lobby", "#lobby", say("lost 1"), ana);
    const after = await log.append("#lobby", "#lobby", say("after"), ana);
    assert.ok(after > first);
    await until(() => texts(seen).includes("after"), 10_000);
    // What was refused at once was stored nowhere.
    assert.deepEqual(texts(seen), ["before", "lost 1", "after"]);
    assert.equal(changes.at(-1), undefined);
    assert.ok(changes.some((c) => c?.startsWith("publish failed")));
    await log.stop();
  } finally {
    await nc.close();
  }
});

Deno.test("NatsRoomLog.append() is refused at once while its NATS server is unreachable, and works again once it is back", async () => {
  await using cluster = await NatsCluster.start();
  // This node knows only n1 (and no gossip): with n1 down it cannot reach NATS at all.
  const nc = await connect({
    servers: cluster.urls[0],
    ignoreClusterUpdates: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  try {
    const log = await NatsRoomLog.start({ nc, node: "node-a", ackTimeoutMs: 1_000 });
    const seen: RoomEvent[] = [];
    log.listen((event) => seen.push(event));
    await log.append("#lobby", "#lobby", say("before"));
    await cluster.kill("n1");
    await until(() => log.unavailable !== undefined, 10_000);
    for (let i = 0; i < 20; i++) {
      const [fast, error] = await refusal(log.append("#lobby", "#lobby", say(`lost ${i}`)));
      assert.ok(error instanceof ClusterUnavailableError);
      assert.ok(fast < 50, `refused at once (${fast} ms)`);
    }
    cluster.restart("n1");
    await until(() => log.unavailable === undefined, 20_000);
    await log.append("#lobby", "#lobby", say("after"));
    await until(() => texts(seen).includes("after"), 15_000);
    assert.deepEqual(texts(seen), ["before", "after"]);
    await log.stop();
  } finally {
    await nc.close();
  }
});

Deno.test("NatsRoomLog.append() resolves when the event was read back stored although its ack then timed out (not refused: its copy is out)", async () => {
  await using cluster = await NatsCluster.start();
  const real = await connect({ servers: cluster.urls[0] });
  const seen: RoomEvent[] = [];
  let loseAcks = false;
  // The connection as the log sees it: while `loseAcks`, a room publish is stored and its ack
  // comes back, but is withheld until the reader has handed the event on, then times out.
  const nc = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== "request") return typeof value === "function" ? value.bind(target) : value;
      return async (subject: string, ...rest: Parameters<typeof real.request>[1][]) => {
        const reply = await target.request(subject, ...rest);
        if (!loseAcks || subject !== roomSubject("#lobby")) return reply;
        await until(() => seen.some((e) => e.type === "msg" && e.text === "lost ack"), 5_000);
        throw new Error("TIMEOUT");
      };
    },
  });
  try {
    const log = await NatsRoomLog.start({ nc, node: "node-a" });
    log.listen((event) => seen.push(event));
    await log.append("#lobby", "#lobby", say("before"));
    loseAcks = true;
    const id = await log.append("#lobby", "#lobby", say("lost ack"), ana).catch((e) => e);
    assert.ok(seen.some((e) => e.type === "msg" && e.text === "lost ack"), "withheld");
    loseAcks = false;
    assert.equal(id, seen.find((e) => e.type === "msg" && e.text === "lost ack")?.id);
    assert.equal(log.unavailable, undefined, "the gate stays open");
    await log.append("#lobby", "#lobby", say("after"));
    await until(() => seen.length === 3, 5_000);
    assert.deepEqual(texts(seen), ["before", "lost ack", "after"]);
    await log.stop();
  } finally {
    await real.close();
  }
});
