/**
 * kill -9 on a 3-node cluster while two {@linkcode KvMirror}s follow one KV
 * bucket: the bucket's stream leader (one mirror's client connected to it),
 * or the NATS node one mirror's client is connected to while another node
 * leads. For the resilience test and the measurements: do the watches go on,
 * and how long after the kill does each mirror hold the values written
 * during and after it.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { KvMirror } from "../lib/cluster/nats_access_mirror.ts";
import { NatsCluster, url } from "./_nats_cluster.ts";
import { delay } from "./_waiting.ts";

/** The bucket the scenario uses (its stream is `KV_<bucket>`). */
export const KILL_BUCKET = "RESIL";

/** What one kill did to the two mirrors. */
export interface KvKillResult {
  /** What was killed: the bucket's stream leader, or the follower mirror B's client was on. */
  target: "leader" | "client-node";
  /** The node killed; mirror B's client was connected to it, mirror A's to another. */
  killed: string;
  /** After the kill: the first acknowledged write, and when each mirror held all 40 values. */
  first_ack_ms: number;
  a_complete_ms: number | null;
  b_complete_ms: number | null;
  /** How many times each mirror started its watch again. */
  a_restarts: number;
  b_restarts: number;
}

/**
 * On `cluster` (fresh): mirror A on a node that stays, mirror B on the
 * node to be killed; 20 values written and held by both; kill -9 of the
 * target; 20 more written (each retried until acknowledged); waits up to
 * `boundMs` for both mirrors to hold all 40.
 */
export async function killUnderMirrors(
  cluster: NatsCluster,
  target: "leader" | "client-node",
  boundMs = 30_000,
): Promise<KvKillResult> {
  const writer = await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
  const ncs: NatsConnection[] = [writer];
  try {
    const kv = await new Kvm(writer).create(KILL_BUCKET, { replicas: 3, history: 1 });
    await kv.put("warm", "0");
    const leader = await waitFor(() => cluster.streamLeader(`KV_${KILL_BUCKET}`), 10_000);
    const victim = target === "leader"
      ? leader
      : cluster.nodes.find((node) => node.name !== leader)!.name;
    const stays = cluster.nodes.find((node) => node.name !== victim)!;
    // Each client lists its own node first; noRandomize keeps it there, the others are for after.
    const open = async (first: string, node: string) => {
      const servers = [
        url(cluster.node(first)),
        ...cluster.urls.filter((u) => u !== url(cluster.node(first))),
      ];
      const nc = await connect({
        servers,
        noRandomize: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
      ncs.push(nc);
      let restarts = 0;
      const mirror = await KvMirror.open<string>({
        nc,
        bucket: KILL_BUCKET,
        node,
        parse: (value) => typeof value === "string" ? value : undefined,
        onRestart: () => restarts++,
      });
      return { mirror, restarts: () => restarts };
    };
    const a = await open(stays.name, "a");
    const b = await open(victim, "b");
    const put = async (key: string) => {
      while (true) {
        try {
          return await kv.put(key, JSON.stringify({ node: "w", value: key }), { timeout: 1_000 });
        } catch {
          await delay(100);
        }
      }
    };
    for (let i = 0; i < 20; i++) await put(`k${i}`);
    const holds = (m: KvMirror<string>, n: number) => {
      for (let i = 0; i < n; i++) if (m.get(`k${i}`) !== `k${i}`) return false;
      return true;
    };
    await waitFor(
      () => Promise.resolve(holds(a.mirror, 20) && holds(b.mirror, 20) || undefined),
      10_000,
    );
    await cluster.kill(victim);
    const killedAt = performance.now();
    let firstAck = -1;
    for (let i = 20; i < 40; i++) {
      await put(`k${i}`);
      if (firstAck < 0) firstAck = performance.now() - killedAt;
    }
    let aDone: number | null = null;
    let bDone: number | null = null;
    const deadline = killedAt + boundMs;
    while (performance.now() < deadline && (aDone === null || bDone === null)) {
      if (aDone === null && holds(a.mirror, 40)) aDone = performance.now() - killedAt;
      if (bDone === null && holds(b.mirror, 40)) bDone = performance.now() - killedAt;
      await delay(20);
    }
    await a.mirror.stop();
    await b.mirror.stop();
    return {
      target,
      killed: victim,
      first_ack_ms: Math.round(firstAck),
      a_complete_ms: aDone === null ? null : Math.round(aDone),
      b_complete_ms: bDone === null ? null : Math.round(bDone),
      a_restarts: a.restarts(),
      b_restarts: b.restarts(),
    };
  } finally {
    for (const nc of ncs) await nc.close().catch(() => {});
  }
}

async function waitFor<T>(get: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const value = await get();
    if (value !== undefined && value !== false) return value;
    await delay(50);
  }
  throw new Error(`Not within ${ms} ms`);
}
