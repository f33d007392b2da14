/**
 * The `cluster` workloads (`--only cluster`): the flood and the latency
 * workload against three chat-server nodes sharing rooms through a 3-node
 * NATS JetStream cluster (`--cluster`, stream replicas 3), next to one
 * chat-server without NATS, in the same run. Clients are spread evenly over
 * the nodes, one generator process per node (the single server gets the
 * same three generators), so every message crosses NATS to reach two
 * thirds of its readers. Server CPU is the chat-servers' together; the
 * nats-servers' is reported apart.
 *
 * @module
 */

import { Generator } from "./drive.ts";
import { type LoadConfig, quantiles } from "./load_gen.ts";
import { NatsProcesses } from "./nats_processes.ts";
import { freePort, processStats } from "./server_process.ts";
import { lanchat, type Target } from "./targets.ts";
import type { Measurement, Workload } from "./workload.ts";

/** The name of the three-node target in the report. */
export const CLUSTER_TARGET = "lanchat-cluster3";

/** Chat-server nodes of the cluster target. */
const NODES = 3;

const single = lanchat(false);
const clustered: Target = { ...single, name: CLUSTER_TARGET };

/** What one run of one target measured, summed over its processes. */
interface Driven {
  reports: Record<string, unknown>[];
  serverCpu: number;
  natsCpu: number;
  alive: boolean;
}

/**
 * Starts one chat-server (or three on a fresh NATS cluster), one generator
 * per config (config `i` connects to node `i % nodes`), and measures the
 * traffic after "go".
 */
async function driveNodes(
  target: Target,
  configs: Omit<LoadConfig, "port">[],
  serverArgs: string[],
): Promise<Driven> {
  const nodes = target.name === CLUSTER_TARGET ? NODES : 1;
  await using nats = nodes > 1 ? await NatsProcesses.start() : undefined;
  const ports = Array.from({ length: nodes }, () => freePort());
  const start = (port: number) =>
    target.start(port, [...serverArgs, ...(nats ? ["--cluster", nats.urls] : [])]);
  const servers: Deno.ChildProcess[] = [];
  const generators: Generator[] = [];
  try {
    // One node after the other, each serving before the next starts. A node binds its port
    // before it joins the cluster, and on a fresh NATS cluster on a busy machine its join can
    // wait out JetStream's timeout and end the node (a startup race cluster_join.ts deals
    // with, not what this workload measures): such a node is started again.
    for (const port of ports) servers.push(await startServing(() => start(port), port));
    configs.forEach((config, i) => {
      generators.push(new Generator({ ...config, port: ports[i % nodes], tls: false }));
    });
    await Promise.all(generators.map((g) => g.report()));
    const cpu = (pids: number[]) => pids.reduce((sum, pid) => sum + processStats(pid).cpu, 0);
    const serverPids = servers.map((s) => s.pid);
    const before = { server: cpu(serverPids), nats: cpu(nats?.pids ?? []) };
    await Promise.all(generators.map((g) => g.go()));
    const reports = await Promise.all(generators.map((g) => g.report()));
    const after = { server: cpu(serverPids), nats: cpu(nats?.pids ?? []) };
    let alive = true;
    for (const pid of serverPids) {
      try {
        Deno.kill(pid, "SIGCONT");
      } catch {
        alive = false;
      }
    }
    return {
      reports,
      serverCpu: after.server - before.server,
      natsCpu: after.nats - before.nats,
      alive,
    };
  } finally {
    await Promise.all(generators.map((g) => g.close()));
    for (const server of servers) {
      try {
        server.kill("SIGTERM");
      } catch {
        // Already exited.
      }
    }
    await Promise.all(servers.map((s) => s.status));
  }
}

/**
 * Starts a server and waits until it answers HTTP on `port` (it serves, it
 * has joined its cluster); one that exits first is started again, 3 times.
 */
async function startServing(start: () => Deno.ChildProcess, port: number) {
  for (let attempt = 1;; attempt++) {
    const child = start();
    let exited = false;
    child.status.then(() => exited = true);
    const deadline = performance.now() + 60_000;
    while (!exited && performance.now() < deadline) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`, {
          signal: AbortSignal.timeout(2_000),
        });
        await response.body?.cancel();
        return child;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    if (!exited) child.kill("SIGKILL");
    await child.status;
    if (attempt >= 3) throw new Error(`the server on port ${port} never served`);
  }
}

const sum = (reports: Record<string, unknown>[], key: string) =>
  reports.reduce((total, r) => total + (r[key] as number), 0);

/** The flood: 60 text clients over the nodes, 6 of them sending 1,000 messages each. */
export const clusterFloodWorkload: Workload = {
  name: "cluster-flood",
  group: "cluster",
  optIn: true,
  description: "60 text clients on 3 nodes (or 1), 6 senders, 1,000 messages each as fast as taken",
  text: true,
  metrics: [
    { key: "deliveriesPerSec", label: "deliveries/s", higherIsBetter: true },
    { key: "serverCpuSec", label: "chat-server CPU s", higherIsBetter: false },
    { key: "natsCpuSec", label: "nats-server CPU s", higherIsBetter: false },
  ],
  targets: () => Promise.resolve([single, clustered]),
  ratioHeader: "1 node / 3 nodes",
  async run(target, smoke) {
    const perSender = smoke ? 20 : 1000;
    const sendersPer = 2;
    const total = NODES * sendersPer * perSender;
    const configs = Array.from({ length: NODES }, (_, i) => ({
      mode: "text" as const,
      handshake: "nick" as const,
      prefix: `k${i}x`,
      echo: false,
      clients: smoke ? 3 : 20,
      senders: sendersPer,
      stalled: 0,
      perSender,
      payloadBytes: 40,
      expectPerReader: total,
      timeoutMs: smoke ? 30_000 : 180_000,
    }));
    const result = await driveNodes(target, configs, [
      "--send-queue-bytes",
      String(16 * 1024 * 1024),
    ]);
    const delivered = sum(result.reports, "delivered");
    const complete = result.reports.every((r) => r.complete === true);
    const elapsedMs = Math.max(...result.reports.map((r) => r.elapsedMs as number));
    return {
      ok: complete && result.alive,
      failure: complete ? undefined : `only ${delivered} deliveries before the timeout`,
      messages: total,
      deliveries: delivered,
      deliveriesPerSec: delivered / (elapsedMs / 1000),
      messagesPerSec: total / (elapsedMs / 1000),
      serverCpuSec: result.serverCpu,
      natsCpuSec: result.natsCpu,
      serverUsPerMessage: result.serverCpu / total * 1e6,
      natsUsPerMessage: result.natsCpu / total * 1e6,
    };
  },
};

/** Latency: 300 text clients over the nodes, 9 senders at 99 messages/s in total for 10 s. */
export const clusterLatencyWorkload: Workload = {
  name: "cluster-latency",
  group: "cluster",
  optIn: true,
  description: "300 text clients on 3 nodes (or 1), 9 senders at 99 messages/s in total",
  text: true,
  metrics: [
    { key: "p50", label: "p50 ms", higherIsBetter: false },
    { key: "p99", label: "p99 ms", higherIsBetter: false },
    { key: "p999", label: "p99.9 ms", higherIsBetter: false },
    { key: "serverUsPerDelivery", label: "chat-server CPU µs/delivery", higherIsBetter: false },
  ],
  targets: () => Promise.resolve([single, clustered]),
  ratioHeader: "1 node / 3 nodes",
  async run(target, smoke) {
    const seconds = smoke ? 1 : 10;
    const ratePer = smoke ? 6 : 33;
    const configs = Array.from({ length: NODES }, (_, i) => ({
      mode: "text" as const,
      handshake: "nick" as const,
      prefix: `q${i}x`,
      echo: false,
      clients: smoke ? 6 : 100,
      senders: 3,
      stalled: 0,
      rate: ratePer,
      seconds,
      latency: true,
      payloadBytes: 40,
      expectPerReader: NODES * ratePer * seconds,
      timeoutMs: (seconds + 30) * 1000,
    }));
    const result = await driveNodes(target, configs, []);
    const complete = result.reports.every((r) => r.complete === true);
    const latency = quantiles(
      result.reports.flatMap((r) => (r.histogram as [number, number][]) ?? []),
    );
    const delivered = sum(result.reports, "delivered");
    return {
      ok: complete && result.alive,
      failure: complete
        ? undefined
        : `${sum(result.reports, "incompleteReaders")} readers missed messages`,
      p50: latency.p50,
      p99: latency.p99,
      p999: latency.p999,
      serverCpuSec: result.serverCpu,
      natsCpuSec: result.natsCpu,
      serverUsPerDelivery: result.serverCpu / delivered * 1e6,
    } satisfies Measurement;
  },
};
