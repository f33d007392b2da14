/**
 * After every NATS server was killed and started again, `NatsRoomLog`'s
 * reader delivers as soon as JetStream stores again: it is started anew on
 * the reconnect and when the publish gate's probe is stored, not only by
 * its 3 s stall check (3-node harness).
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { until } from "../../tests/_waiting.ts";
import type { RoomEvent, RoomEventBody } from "../core/state/room_log.ts";
import { NatsRoomLog } from "./nats_room_log.ts";

const say = (text: string): RoomEventBody => ({
  type: "msg",
  ts: 1,
  from: "ana",
  kind: "say",
  text,
});
const texts = (seen: RoomEvent[]) => seen.map((e) => e.type === "msg" ? e.text : e.type);

Deno.test("NatsRoomLog: after all of NATS is restarted, the first stored event reaches the listener within 1 s, once, in order", async () => {
  await using cluster = await NatsCluster.start();
  const nc = await connect({
    servers: cluster.urls,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  const restarts: string[] = [];
  const log = await NatsRoomLog.start({
    nc,
    node: "node-a",
    ackTimeoutMs: 1_000,
    onRestart: (error) => restarts.push(error.message),
  });
  try {
    const seen: RoomEvent[] = [];
    log.listen((event) => seen.push(event));
    await log.append("#lobby", "#lobby", say("before"));
    await until(() => texts(seen).includes("before"), 5_000);
    for (const { name } of cluster.nodes) await cluster.kill(name);
    await until(() => log.unavailable !== undefined, 10_000);
    for (const { name } of cluster.nodes) cluster.restart(name);
    // Said every 100 ms until JetStream stores one (refused at once until the gate opens).
    let stored: number | undefined;
    let text = "";
    const deadline = performance.now() + 40_000;
    for (let i = 0; stored === undefined && performance.now() < deadline; i++) {
      text = `after ${i}`;
      const id = await log.append("#lobby", "#lobby", say(text)).catch(() => undefined);
      if (id !== undefined) stored = performance.now();
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(stored !== undefined, "JetStream stores again within 40 s");
    await until(() => texts(seen).includes(text), 10_000);
    const late = performance.now() - stored;
    // The reader came back because NATS did (a reconnect, an election, a stored probe), not by
    // its 3 s stall check; how fast is measured by tests/recovery_measure_main.ts.
    console.log(`delivered ${Math.round(late)} ms after it was stored (${restarts})`);
    assert.ok(late < 10_000, `delivered ${Math.round(late)} ms after it was stored (${restarts})`);
    assert.ok(
      restarts.some((why) => !/stalled/.test(why)),
      `restarted by NATS's own signals, not only the stall check: ${restarts}`,
    );
    await log.append("#lobby", "#lobby", say("next"));
    await until(() => texts(seen).includes("next"), 5_000);
    // Nothing handed on twice, nothing out of order (a refused or timed-out one may be stored
    // too: JetStream can keep a publish whose ack it did not send in time).
    const ids = seen.map((e) => e.id);
    assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), `ids increase: ${ids}`);
    assert.equal(new Set(texts(seen)).size, seen.length, `once each: ${texts(seen)}`);
    assert.equal(texts(seen)[0], "before");
    assert.equal(texts(seen).at(-1), "next");
  } finally {
    await log.stop();
    await nc.close();
  }
});
