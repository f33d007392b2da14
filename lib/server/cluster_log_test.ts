import assert from "node:assert/strict";
import { availabilityRecord, DeadNodeLog, limitClusterLog } from "./cluster_log.ts";
import type { LogRecord } from "./log_record.ts";

Deno.test("availabilityRecord: a stream without a leader says so; other reasons pass as they are", () => {
  assert.deepEqual(availabilityRecord("publish failed: jetstream is not enabled"), {
    level: "error",
    event: "cluster_unavailable",
    error: "no stream leader (election in progress)",
    detail: "publish failed: jetstream is not enabled",
  });
  assert.deepEqual(availabilityRecord("NATS is unreachable (for 3 s); reconnecting"), {
    level: "error",
    event: "cluster_unavailable",
    error: "NATS is unreachable (for 3 s); reconnecting",
  });
  assert.deepEqual(availabilityRecord(undefined), { level: "info", event: "cluster_available" });
});

Deno.test("limitClusterLog: a repeated heartbeat failure is written once, then summed up", () => {
  const written: LogRecord[] = [];
  const limited = limitClusterLog((record) => written.push(record), 60_000);
  for (let i = 0; i < 5; i++) {
    limited.log({ level: "warn", event: "cluster_heartbeat", error: "timeout" });
  }
  limited.log({ level: "warn", event: "cluster_link", state: "down", server: "n1:4222" });
  limited.log({ level: "warn", event: "cluster_link", state: "down", server: "n1:4222" });
  limited.close();
  assert.deepEqual(written.map((r) => [r.event, r.suppressed]), [
    ["cluster_heartbeat", undefined],
    ["cluster_link", undefined],
    ["cluster_link", undefined],
    ["cluster_heartbeat", 4],
  ]);
});

Deno.test("limitClusterLog: refused data counts by event and kind, whatever its error text", () => {
  const written: LogRecord[] = [];
  const limited = limitClusterLog((record) => written.push(record), 60_000);
  for (let i = 0; i < 50; i++) {
    limited.log({ level: "warn", event: "cluster_skip", error: `seq ${i}: bad nick "x${i}"` });
    limited.log({ level: "warn", event: "cluster_presence", what: "dm", error: `forged ${i}` });
  }
  limited.log({ level: "warn", event: "cluster_presence", what: "kick", error: "forged" });
  limited.close();
  assert.deepEqual(written.map((r) => [r.event, r.what, r.suppressed]), [
    ["cluster_skip", undefined, undefined],
    ["cluster_presence", "dm", undefined],
    ["cluster_presence", "kick", undefined],
    ["cluster_skip", undefined, 49],
    ["cluster_presence", "dm", 49],
  ]);
});

Deno.test("DeadNodeLog: the members of one dead node are one line", async () => {
  const written: LogRecord[] = [];
  const heard = Date.now() - 12_400;
  const deaths = new DeadNodeLog((r) => written.push(r), () => heard, 50);
  deaths.dropped("ana", "nodeB-1");
  deaths.dropped("bob", "nodeB-1");
  await new Promise((resolve) => setTimeout(resolve, 100));
  const lines = written.filter((r) => r.level !== "debug");
  assert.equal(lines.length, 1);
  assert.equal(lines[0].detail, "node nodeB-1 unheard for 12 s: 2 members dropped");
  deaths.close();
});
