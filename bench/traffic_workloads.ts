/**
 * The chat-traffic workloads: the flood (text, native, with the history
 * store on), latency (with and without stalled readers), and the crowd.
 *
 * @module
 */

import { type LoadConfig, quantiles } from "./load_gen.ts";
import { drive, generatorSetup } from "./drive.ts";
import type { Target } from "./targets.ts";
import type { Measurement, Workload } from "./workload.ts";

/** Process `p`'s share of `total` clients over `processes`: the shares add up to `total`. */
function share(total: number, processes: number, p: number): number {
  return Math.floor(total / processes) + (p < total % processes ? 1 : 0);
}

/** The kind of client a workload's generators run. */
export type ClientMode = LoadConfig["mode"];

function base(
  target: Target,
  mode: ClientMode,
  prefix: string,
): Pick<LoadConfig, "mode" | "handshake" | "prefix" | "echo"> {
  return {
    mode,
    handshake: mode === "text" ? target.handshake : "nick",
    prefix,
    // The native protocol (also inside a WebSocket) gives senders their own
    // messages back; text and IRC (without echo-message) do not.
    echo: mode === "native" || mode === "web",
  };
}

/** The flood over text or native clients; with `persist`, with the history store on. */
export function floodWorkload(mode: "text" | "native", persist = false): Workload {
  return {
    name: persist ? "persist" : mode === "text" ? "flood" : "native",
    description: persist
      ? "the flood with the history store on (SQLite in a temporary directory)"
      : mode === "text"
      ? "100 text clients, 10 send 2,000 messages each as fast as they can"
      : "the flood with native (JSON) clients",
    text: mode === "text" && !persist,
    irc: mode === "text" && !persist,
    modes: mode === "text" && !persist,
    metrics: [
      { key: "deliveriesPerSec", label: "deliveries/s", higherIsBetter: true },
      { key: "serverCpuSec", label: "server CPU s", higherIsBetter: false },
      // The flood target is stated per delivery.
      { key: "serverNsPerDelivery", label: "server CPU ns/delivery", higherIsBetter: false },
    ],
    async run(target, smoke) {
      const dataDir = persist ? await Deno.makeTempDir({ prefix: "lanchat-bench-" }) : undefined;
      try {
        return await runFlood(target, smoke, target.clients ?? mode, dataDir);
      } finally {
        if (dataDir) await Deno.remove(dataDir, { recursive: true });
      }
    },
  };
}

/** The flood: senders as fast as the server takes them, readers in two processes. */
export async function runFlood(
  target: Target,
  smoke: boolean,
  mode: ClientMode,
  dataDir?: string,
): Promise<Measurement> {
  const clients = smoke ? 6 : 100;
  const senders = smoke ? 2 : 10;
  const perSender = smoke ? 50 : 2000;
  const total = senders * perSender;
  // Readers over two processes, so that the generator keeps up and the
  // server's slow-reader protection (dropping a client whose queue
  // overflows) does not kick in against the benchmark itself.
  const processes = smoke ? 1 : 2;
  const per = Math.ceil(clients / processes);
  const configs = (prefix: string) =>
    Array.from({ length: processes }, (_, p) => ({
      ...base(target, mode, `${prefix}${p}x`),
      clients: per,
      senders: p === 0 ? senders : 0,
      stalled: 0,
      perSender: p === 0 ? perSender : 0,
      payloadBytes: 40,
      expectPerReader: total,
      timeoutMs: smoke ? 20_000 : 120_000,
    }));
  const result = await drive(
    target,
    configs("f"),
    // A throughput test, not a slow-reader test: a 16 MiB queue keeps a
    // generator's momentary stall (GC, scheduling) from getting it dropped.
    [
      "--send-queue-bytes",
      String(16 * 1024 * 1024),
      ...(dataDir ? ["--data-dir", dataDir] : []),
    ],
    0,
    // --warm: the same flood by other clients first, unmeasured.
    generatorSetup.warm ? configs("w") : [],
  );
  const delivered = result.reports.reduce((sum, r) => sum + (r.delivered as number), 0);
  const complete = result.reports.every((r) => r.complete === true);
  const elapsedMs = Math.max(...result.reports.map((r) => r.elapsedMs as number));
  return {
    ok: complete && result.alive,
    failure: complete ? undefined : `only ${delivered} deliveries before the timeout`,
    deliveries: delivered,
    deliveriesPerSec: delivered / (elapsedMs / 1000),
    serverCpuSec: result.cpu,
    serverUsPerDelivery: result.cpu / delivered * 1e6,
    serverNsPerDelivery: result.cpu / delivered * 1e9,
    // Whether the generators kept up: their CPU over the flood's wall time
    // (1.0 is a whole core; the sender's process near 1.0 means it was the bottleneck).
    generatorCpuSec: generatorCpu(result.reports),
    generatorCpuShare: (result.reports[0].generatorCpuMs as number) / elapsedMs,
  };
}

/**
 * The latency workload; with `stalled`, with ten clients that never read;
 * with `mode` `irc`, over IRC clients (the `irc-latency` workload).
 */
export const latencyWorkload = (stalled: boolean, mode: ClientMode = "text"): Workload => ({
  name: mode === "irc" ? "irc-latency" : stalled ? "stalled" : "latency",
  description: stalled
    ? "the latency workload plus 10 clients that never read, with ~4 KB messages"
    : "1,000 text clients, 10 senders at 100 messages/s in total",
  text: true,
  // ~4 KB messages do not fit IRC's 512-byte lines.
  irc: !stalled,
  metrics: [
    { key: "p50", label: "p50 ms", higherIsBetter: false },
    { key: "p99", label: "p99 ms", higherIsBetter: false },
    { key: "p999", label: "p99.9 ms", higherIsBetter: false },
    { key: "serverUsPerDelivery", label: "server CPU µs/delivery", higherIsBetter: false },
    ...(stalled
      ? [
        { key: "peakRssMiB", label: "server peak RSS MiB", higherIsBetter: false },
        { key: "stalledDropped", label: "stalled dropped", higherIsBetter: true },
      ]
      : []),
  ],
  run: (target, smoke) =>
    runLatency(target, target.clients ?? mode, {
      clients: smoke ? 20 : 1000,
      rate: smoke ? 20 : 100,
      // A reader that never reads still absorbs ~4 MiB of kernel buffers
      // before its 1 MiB queue fills: at ~390 KB/s that takes ~15 s.
      seconds: smoke ? 1 : stalled ? 25 : 10,
      stalled: stalled ? 10 : 0,
      payloadBytes: stalled ? 3900 : 40, // under the 4000-character message limit
      processes: smoke ? 1 : generatorSetup.readerProcesses,
    }),
});

/** The shape of one latency run: how many clients, how fast, how long. */
export interface LatencyShape {
  /** Clients in the room, senders and stalled ones included. */
  clients: number;
  /** Messages per second, over all 10 senders. */
  rate: number;
  /** How long the senders send. */
  seconds: number;
  /**
   * Clients that never read (in the first generator process).
   *
   * @default {0}
   */
  stalled?: number;
  /**
   * Bytes of each message.
   *
   * @default {40}
   */
  payloadBytes?: number;
  /** Generator processes the readers are spread over. */
  processes: number;
}

/**
 * One latency run: `clients` in one room, 10 of them sending `rate`
 * messages/s in total for `seconds`; the delivery latency, the server's CPU
 * per delivery and its share of one core over the traffic.
 */
export async function runLatency(
  target: Target,
  mode: ClientMode,
  { clients, rate, seconds, stalled = 0, payloadBytes = 40, processes }: LatencyShape,
): Promise<Measurement> {
  const result = await drive(
    target,
    Array.from({ length: processes }, (_, p) => ({
      ...base(target, mode, `l${p}x`),
      clients: share(clients, processes, p),
      senders: p === 0 ? 10 : 0,
      stalled: p === 0 ? stalled : 0,
      rate: p === 0 ? rate : undefined,
      latency: true,
      seconds: p === 0 ? seconds : undefined,
      perSender: p === 0 ? undefined : 0,
      payloadBytes,
      expectPerReader: rate * seconds,
      timeoutMs: (seconds + 30) * 1000,
    })),
  );
  const reports = result.reports;
  const complete = reports.every((r) => r.complete === true);
  const latency = quantiles(reports.flatMap((r) => (r.histogram as [number, number][]) ?? []));
  const dropped = stalled > 0 ? stalled - (reports[0].stalledStillOpen as number) : undefined;
  const incomplete = reports.reduce((sum, r) => sum + (r.incompleteReaders as number), 0);
  const delivered = reports.reduce((sum, r) => sum + (r.delivered as number), 0);
  return {
    ok: complete && result.alive,
    failure: complete ? undefined : `${incomplete} readers did not get every message`,
    deliveries: delivered,
    serverCpuSec: result.cpu,
    serverUsPerDelivery: result.cpu / delivered * 1e6,
    // 1.0 is one core busy for the whole traffic.
    serverCpuShare: result.cpu / (result.wallMs / 1000),
    generatorCpuSec: generatorCpu(reports),
    // Whether the generators kept up (with --pin they have one core between them).
    generatorCpuShare: (generatorCpu(reports) ?? NaN) / (result.wallMs / 1000),
    p50: latency.p50,
    p99: latency.p99,
    p999: latency.p999,
    peakRssMiB: result.after.peakKiB / 1024,
    stalledDropped: dropped,
  };
}

/** CPU seconds the generators spent after "go" (the Node generator reports it). */
function generatorCpu(reports: Record<string, unknown>[]): number | undefined {
  if (!reports.every((r) => typeof r.generatorCpuMs === "number")) return undefined;
  return reports.reduce((sum, r) => sum + (r.generatorCpuMs as number), 0) / 1000;
}

/** Ten thousand text clients connected at once, then one broadcast to all. */
export const crowdWorkload: Workload = {
  name: "crowd",
  description: "10,000 concurrent text clients, then one broadcast to all",
  text: true,
  irc: true,
  metrics: [
    { key: "connectSec", label: "connect all s", higherIsBetter: false },
    { key: "serverConnectCpuSec", label: "server CPU s (connect)", higherIsBetter: false },
    { key: "rssPerClientKiB", label: "server KiB/client", higherIsBetter: false },
    { key: "broadcastMs", label: "broadcast ms", higherIsBetter: false },
    { key: "serverCpuSec", label: "server CPU s (broadcast)", higherIsBetter: false },
  ],
  run: (target, smoke) =>
    runCrowd(
      target,
      smoke,
      target.clients ?? "text",
      smoke ? 60 : 10_000,
      CROWD_CONNECT_TIMEOUT_MS,
      // IRC servers join 250 at a time, as the irc-crowd workload does.
      target.clients === "irc" ? 250 : 50,
    ),
};

/**
 * How long the crowd waits for all its clients to be in before it gives up
 * with a failure ("did not connect 10,000 within 90 s"): lanchat and the C
 * relay take about a second; ngircd and InspIRCd were still joining after 90 s.
 */
export const CROWD_CONNECT_TIMEOUT_MS = 90_000;

/**
 * A crowd of `total` clients of one kind connected at once, then one
 * broadcast to all (`broadcast: false`, none; `join: false`, IRC clients
 * that only register): the server's RSS per client
 * idle (all connected, before the broadcast) and after the broadcast, both
 * from the RSS before anyone connected.
 */
export async function runCrowd(
  target: Target,
  smoke: boolean,
  mode: ClientMode,
  total: number,
  connectTimeoutMs?: number,
  connectBatch = 50,
  { broadcast = true, join, settleMs }: {
    broadcast?: boolean;
    join?: boolean;
    settleMs?: number;
  } = {},
): Promise<Measurement> {
  const processes = smoke ? 2 : generatorSetup.readerProcesses;
  const configs = Array.from({ length: processes }, (_, p) => ({
    ...base(target, mode, `c${p}x`),
    connectTimeoutMs,
    clients: share(total, processes, p),
    senders: p === 0 && broadcast ? 1 : 0,
    stalled: 0,
    perSender: p === 0 && broadcast ? 1 : 0,
    payloadBytes: 40,
    expectPerReader: broadcast ? 1 : 0,
    timeoutMs: 60_000,
    connectBatch,
    join,
  }));
  let result: Awaited<ReturnType<typeof drive>>;
  try {
    result = await drive(target, configs, [], settleMs);
  } catch (error) {
    // The generator's own words: "only 590 of 10000 clients were in (600 asked) after 90 s".
    const late = /only (\d+) of \d+ clients were in .*after ([\d.]+) s/
      .exec((error as Error).message);
    if (!late) throw error;
    const inNow = processes > 1 ? `${late[1]} in one generator` : `${late[1]} in`;
    return {
      ok: false,
      failure: `did not connect ${total.toLocaleString("en")} within ${late[2]} s (${inNow})`,
    };
  }
  // The generators connect in parallel: the slowest one is the time to connect all.
  const connectSec = Math.max(...result.connected.map((r) => r.connectMs as number)) / 1000;
  const complete = result.reports.every((r) => r.complete === true);
  const broadcastMs = Math.max(...result.reports.map((r) => r.elapsedMs as number));
  return {
    ok: complete && result.alive,
    failure: complete ? undefined : "the broadcast did not reach everyone",
    deliveries: result.reports.reduce((sum, r) => sum + (r.delivered as number), 0),
    connectSec,
    serverConnectCpuSec: result.connectCpu,
    idleRssPerClientKiB: (result.connectedRssKiB - result.before.rssKiB) / total,
    rssPerClientKiB: (result.after.rssKiB - result.before.rssKiB) / total,
    broadcastMs,
    serverCpuSec: result.cpu,
    generatorCpuSec: generatorCpu(result.reports),
  };
}
