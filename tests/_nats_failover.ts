/**
 * kill -9 of a JetStream stream leader under load, for the failover test and
 * the measurements: how long until a new leader and the next ack, and
 * whether a durable consumer keeps order across it.
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, type JetStreamClient, jetstreamManager } from "@nats-io/jetstream";
import { NatsCluster } from "./_nats_cluster.ts";

async function publishAcked(js: JetStreamClient, n: number): Promise<number> {
  while (true) {
    try {
      const ack = await js.publish("fail.room", `m${n}`, { msgID: `m${n}`, timeout: 1_000 });
      return ack.seq;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** What one kill -9 of an R3 stream's leader did (see {@linkcode killStreamLeader}). */
export interface FailoverResult {
  /** The leader killed, and the node the client was connected to. */
  killed: string;
  client_was_on: string | undefined;
  /** The node that won the election, and when it said so, after the kill. */
  new_leader: string;
  new_leader_ms: number;
  /** When the first publish after the kill was acknowledged. */
  first_ack_after_kill_ms: number;
  /** Messages acknowledged (300 before, 300 during and after) and read by the durable consumer. */
  acked: number;
  read: number;
  /** The consumer read every acknowledged message once, in publish order. */
  consumer_in_order_no_dup: boolean;
  /** The stream numbered the acknowledged messages 1, 2, 3, ... (no gap, no duplicate). */
  stream_seqs_contiguous: boolean;
}

/**
 * On a fresh 3-node cluster: an R3 stream and a durable R3 pull consumer
 * (`filter_subject` a single string, as server 2.9 needs); 300 messages,
 * half of them read; kill -9 of the stream leader while 300 more are
 * published (each with a `msgID`, retried until acknowledged); then the
 * consumer reads the rest.
 */
export async function killStreamLeader(): Promise<FailoverResult> {
  await using cluster = await NatsCluster.start();
  const nc = await connect({
    servers: cluster.urls,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "FAIL", subjects: ["fail.>"], num_replicas: 3 });
    await jsm.consumers.add("FAIL", {
      durable_name: "reader",
      ack_policy: AckPolicy.Explicit,
      filter_subject: "fail.room",
    });
    const js = jetstream(nc);
    const acked: number[] = [];
    let n = 0;
    for (; n < 300; n++) acked.push(await publishAcked(js, n));
    const read: string[] = [];
    const consumer = await js.consumers.get("FAIL", "reader");
    await readInto(consumer, read, 150);

    const leader = await cluster.streamLeader("FAIL");
    if (!leader) throw new Error("the stream has no leader");
    const connectedTo = nc.info?.server_name;
    const killedAt = performance.now();
    const publishing = (async () => {
      let firstAckMs: number | undefined;
      for (const stop = n + 300; n < stop; n++) {
        acked.push(await publishAcked(js, n));
        firstAckMs ??= performance.now() - killedAt;
      }
      return firstAckMs!;
    })();
    await cluster.kill(leader);
    let newLeader: string | undefined;
    while (!newLeader) {
      newLeader = await cluster.streamLeader("FAIL");
      if (!newLeader) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const leaderMs = performance.now() - killedAt;
    const firstAckMs = await publishing;
    await readInto(consumer, read, acked.length);
    const expected = acked.map((_, i) => `m${i}`);
    const inOrder = read.length === expected.length && read.every((m, i) => m === expected[i]);
    const seqsContiguous = acked.every((seq, i) => seq === i + 1);
    return {
      killed: leader,
      client_was_on: connectedTo,
      new_leader: newLeader,
      new_leader_ms: Math.round(leaderMs),
      first_ack_after_kill_ms: Math.round(firstAckMs),
      acked: acked.length,
      read: read.length,
      consumer_in_order_no_dup: inOrder,
      stream_seqs_contiguous: seqsContiguous,
    };
  } finally {
    await nc.close();
  }
}

type PullConsumer = Awaited<ReturnType<JetStreamClient["consumers"]["get"]>>;

/** Fetches until `read` holds `total` messages, retrying through leader changes. */
async function readInto(consumer: PullConsumer, read: string[], total: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (read.length < total) {
    if (performance.now() > deadline) throw new Error(`read ${read.length} of ${total}`);
    try {
      const batch = await consumer.fetch({ max_messages: total - read.length, expires: 1_000 });
      for await (const message of batch) {
        read.push(message.string());
        await message.ackAck({ timeout: 1_000 }).catch(() => false);
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
