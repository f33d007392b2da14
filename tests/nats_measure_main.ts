/**
 * `deno run -P=test tests/nats_measure_main.ts [--acks N] [--trials T]`:
 * measures, on this machine, what the cluster work needs to know of a
 * 3-node JetStream cluster (Debian's nats-server 2.9.10, on loopback):
 *
 * - the publish-ack latency of an R3 stream, one publish at a time
 *   (median, p99 of N acks), and the rate with 256 publishes in flight;
 * - per trial, on a fresh cluster: kill -9 of the stream leader while a
 *   publisher keeps publishing (each message with a `msgID`, retried until
 *   acknowledged), the time until a new stream leader is reported and until
 *   the first ack after the kill; then whether a durable R3 pull consumer,
 *   read before and after the kill, gets every acknowledged message once
 *   and in order.
 *
 * Prints one JSON object per line; the figures go to docs/cluster_progress.md.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { killStreamLeader } from "./_nats_failover.ts";
import { NatsCluster } from "./_nats_cluster.ts";

function arg(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function measureAcks(nc: NatsConnection, acks: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "LATENCY", subjects: ["latency.>"], num_replicas: 3 });
  const js = jetstream(nc);
  for (let i = 0; i < 50; i++) await js.publish("latency.warm", "warm");
  const times: number[] = [];
  for (let i = 0; i < acks; i++) {
    const start = performance.now();
    await js.publish("latency.room", `message ${i}`);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const pipelined = 10_000;
  const start = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < pipelined; i++) {
    const ack = js.publish("latency.flood", `flood ${i}`);
    inFlight.add(ack);
    ack.finally(() => inFlight.delete(ack));
    if (inFlight.size >= 256) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({
    measure: "r3_publish_ack",
    acks,
    median_ms: round(quantile(times, 0.5)),
    p99_ms: round(quantile(times, 0.99)),
    max_ms: round(times[times.length - 1]),
    pipelined_256_msgs_per_s: Math.round(pipelined / seconds),
  }));
}

if (import.meta.main) {
  const acks = arg("--acks", 1_000);
  const trials = arg("--trials", 5);
  {
    await using cluster = await NatsCluster.start();
    const nc = await connect({ servers: cluster.urls });
    await measureAcks(nc, acks).finally(() => nc.close());
  }
  for (let trial = 1; trial <= trials; trial++) {
    console.log(
      JSON.stringify({ measure: "stream_leader_kill", trial, ...await killStreamLeader() }),
    );
  }
}
