/**
 * `deno task bench`: starts the chat server as its own process (the same
 * entry point as the binary, rate limit off), drives it with separate
 * load-generator processes on 127.0.0.1, and reports each workload as the
 * median of several runs, optionally next to another line-based chat server
 * (`--against "ncat -n -l --chat -m 20000 127.0.0.1 {port}"`), or next to
 * lanchat as another checkout builds it (`--against-tree DIR`, e.g. a
 * `git worktree` of the commit before a refactor), with the same flags.
 *
 * Usage: deno task bench [--runs 3] [--only flood,latency,...,churn] [--against CMD] [--smoke]
 *        [--against-tree DIR] [--generator node|deno] [--readers N] [--tls]
 *
 * The churn workload (a connection flooder against a TLS server) runs
 * lanchat next to the two runtime baselines in bench/reference/ (a bare
 * node:tls server and a bare `Deno.listenTls` server) and has a table of
 * its own.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { type LoadConfig, quantiles } from "./load_gen.ts";
import { serverV8Flags } from "../tools/v8_flags.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CLOCK_TICKS = 100; // Linux USER_HZ

/** One target: how to start it, and how clients greet it. */
interface Target {
  name: string;
  /** Starts the server; `extra` are lanchat flags for this workload (other servers ignore them). */
  start(port: number, extra?: string[]): Deno.ChildProcess;
  handshake: "nick" | "none";
  /** Whether it can speak the native protocol. */
  native: boolean;
  /** Whether clients connect with TLS. */
  tls?: boolean;
}

/** What one run of one workload measured. */
interface Measurement {
  ok: boolean;
  failure?: string;
  [metric: string]: number | boolean | string | undefined;
}

interface Workload {
  name: string;
  description: string;
  /** Metrics to report, with units and whether higher is better. */
  metrics: { key: string; label: string; higherIsBetter: boolean }[];
  text: boolean;
  run(target: Target, smoke: boolean): Promise<Measurement>;
  /** Targets of its own instead of the run's (the churn workload's runtime baselines). */
  targets?: () => Promise<Target[]>;
  /** Runs only when named in `--only` (it takes minutes and measures something else). */
  optIn?: boolean;
}

/**
 * Our server, plain TCP or (with `tls`) TLS with a certificate made for the
 * run; with `tree`, as the checkout in that directory has it.
 */
function lanchat(tls: boolean, tree = ROOT): Target {
  const name = tls ? "lanchat-tls" : "lanchat";
  return {
    name: tree === ROOT ? name : `${name}@${tree.replace(/\/+$/, "").split("/").pop()}`,
    handshake: "nick",
    native: true,
    tls,
    start: (port, extra = []) => startLanchat(port, tls, extra, tree),
  };
}

function startLanchat(
  port: number,
  tls: boolean,
  extra: string[],
  tree = ROOT,
): Deno.ChildProcess {
  const persistent = extra.some((a) => a.startsWith("--data-dir"));
  return (
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        ...(Deno.env.get("BENCH_DENO_FLAGS")?.split(" ").filter(Boolean) ?? serverV8Flags()),
        "-P=server",
        "server.ts",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--no-rate-limit",
        ...(tls ? [] : ["--plain"]),
        "--max-per-ip",
        "100000",
        "--max-clients",
        "100000",
        "--history",
        "0",
        "--log-level",
        "error",
        // TLS without a data directory: a certificate made for the run (never in HOME).
        ...(persistent ? [] : tls ? ["--data-dir", ":memory:"] : ["--no-persist"]),
        ...extra,
        ...(Deno.env.get("BENCH_SERVER_ARGS")?.split(" ").filter(Boolean) ?? []),
      ],
      cwd: tree,
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn()
  );
}

const ours = lanchat(false);

function foreign(command: string): Target {
  return {
    name: command.split(" ")[0],
    handshake: "none",
    native: false,
    start: (port) =>
      new Deno.Command("sh", {
        args: ["-c", `exec ${command.replaceAll("{port}", String(port))}`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn(),
  };
}

/** A free TCP port on 127.0.0.1. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitForPort(port: number, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      await sleep(100); // let the server forget this probe
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`nothing listens on port ${port}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads a /proc file through `cat` (Deno only lets --allow-all read /proc directly). */
function readProc(path: string): string {
  const result = new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
    .outputSync();
  if (!result.success) throw new Error(`cannot read ${path}`);
  return new TextDecoder().decode(result.stdout);
}

/** CPU seconds (user + system) and memory of a process, from /proc. */
function processStats(pid: number): { cpu: number; rssKiB: number; peakKiB: number } {
  try {
    const stat = readProc(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    const status = readProc(`/proc/${pid}/status`);
    const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { cpu, rssKiB: kib("VmRSS"), peakKiB: kib("VmHWM") };
  } catch {
    return { cpu: NaN, rssKiB: NaN, peakKiB: NaN };
  }
}

/**
 * Which load generator runs: `node` (bench/load_gen_node.mjs, one libuv
 * event loop per process, the default when `node` is on the PATH) or `deno`
 * (bench/load_gen.ts). Both speak the same protocol with the harness; every
 * target of a run uses the same one.
 */
type GeneratorKind = "node" | "deno";

let generatorKind: GeneratorKind = "deno";

/**
 * Generator processes holding the readers of the latency, stalled and crowd
 * workloads (`--readers`). Fewer is better with the Node generator: on two
 * cores, every runnable process beyond the server and one generator waits
 * for a time slice, and that wait shows up as the server's latency (see
 * docs/performance.md, "How many generator processes"). The Deno generator
 * needs more to keep up.
 */
let readerProcesses = 1;

/** Process `p`'s share of `total` clients over `processes`: the shares add up to `total`. */
function share(total: number, processes: number, p: number): number {
  return Math.floor(total / processes) + (p < total % processes ? 1 : 0);
}

/**
 * Whether a real Node.js is on the PATH. Without one, Deno answers for
 * `node` itself (its `--version` then starts with "deno"), which would run
 * the Node generator on Deno and defeat its purpose.
 */
function nodeAvailable(): boolean {
  try {
    const result = new Deno.Command("node", { args: ["--version"], stderr: "null" }).outputSync();
    return result.success && /^v\d+\./.test(new TextDecoder().decode(result.stdout));
  } catch {
    return false;
  }
}

/** A running load generator. */
class Generator {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** The generator's stderr, passed through; its error line explains an early exit. */
  readonly #stderrDone: Promise<void>;
  #lastError = "";

  constructor(config: LoadConfig) {
    const [command, args] = generatorKind === "node"
      ? ["node", ["bench/load_gen_node.mjs"]]
      : [Deno.execPath(), ["run", "-q", "-P=bench", "bench/load_gen.ts"]];
    this.#child = new Deno.Command(command, {
      args: [...args, JSON.stringify(config)],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#lines = lines(this.#child.stdout);
    const stderr = this.#child.stderr;
    this.#stderrDone = (async () => {
      for await (const line of lines(stderr)) {
        console.error(line);
        // "load_gen_node: Error: <message>" (Node) or "error: Uncaught (in promise) Error:
        // <message>" (Deno), then the stack.
        const reason =
          /^(?:load_gen\w*|error): (?:Uncaught (?:\(in promise\) )?)?(?:\w*Error: )?(.*)/
            .exec(line);
        if (reason) this.#lastError = reason[1];
      }
    })();
  }

  /** The next JSON report (connected, then done). */
  async report(): Promise<Record<string, unknown>> {
    const next = await this.#lines.next();
    if (next.done) {
      await this.#stderrDone;
      const status = await this.#child.status;
      const why = this.#lastError.trim() ||
        (status.signal ? `killed by ${status.signal}` : `exit code ${status.code}, no message`);
      throw new Error(`the load generator exited early (${why})`);
    }
    return JSON.parse(next.value);
  }

  async go(): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode("go\n"));
  }

  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#child.status;
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let partial = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) if (line.trim()) yield line;
  }
}

/**
 * Starts the target, runs generators with the given configs (connect all,
 * then go together), and measures the server process around the traffic.
 */
async function drive(
  target: Target,
  configs: Omit<LoadConfig, "port">[],
  serverArgs: string[] = [],
): Promise<
  {
    reports: Record<string, unknown>[];
    cpu: number;
    before: ReturnType<typeof processStats>;
    after: ReturnType<typeof processStats>;
    alive: boolean;
    connected: Record<string, unknown>[];
  }
> {
  const port = freePort();
  const server = target.start(port, serverArgs);
  const generators: Generator[] = [];
  try {
    await waitForPort(port);
    const idle = processStats(server.pid);
    for (const config of configs) {
      generators.push(new Generator({ ...config, port, tls: target.tls }));
    }
    const connected = await Promise.all(generators.map((g) => g.report()));
    const before = processStats(server.pid);
    await Promise.all(generators.map((g) => g.go()));
    const reports = await Promise.all(generators.map((g) => g.report()));
    const after = processStats(server.pid);
    let alive = true;
    try {
      Deno.kill(server.pid, "SIGCONT");
    } catch {
      alive = false;
    }
    return {
      reports,
      cpu: after.cpu - before.cpu,
      before: { ...before, rssKiB: idle.rssKiB },
      after,
      alive,
      connected,
    };
  } finally {
    await Promise.all(generators.map((g) => g.close()));
    try {
      server.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await server.status;
  }
}

function base(
  target: Target,
  mode: "text" | "native",
  prefix: string,
): Pick<LoadConfig, "mode" | "handshake" | "prefix" | "echo"> {
  return {
    mode,
    handshake: mode === "native" ? "nick" : target.handshake,
    prefix,
    echo: mode === "native",
  };
}

function floodWorkload(mode: "text" | "native", persist = false): Workload {
  return {
    name: persist ? "persist" : mode === "text" ? "flood" : "native",
    description: persist
      ? "the flood with the history store on (SQLite in a temporary directory)"
      : mode === "text"
      ? "100 text clients, 10 send 2,000 messages each as fast as they can"
      : "the flood with native (JSON) clients",
    text: mode === "text" && !persist,
    metrics: [
      { key: "deliveriesPerSec", label: "deliveries/s", higherIsBetter: true },
      { key: "serverCpuSec", label: "server CPU s", higherIsBetter: false },
    ],
    async run(target, smoke) {
      const dataDir = persist ? await Deno.makeTempDir({ prefix: "lanchat-bench-" }) : undefined;
      try {
        return await runFlood(target, smoke, mode, dataDir);
      } finally {
        if (dataDir) await Deno.remove(dataDir, { recursive: true });
      }
    },
  };
}

/** The flood: senders as fast as the server takes them, readers in two processes. */
async function runFlood(
  target: Target,
  smoke: boolean,
  mode: "text" | "native",
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
  const result = await drive(
    target,
    Array.from({ length: processes }, (_, p) => ({
      ...base(target, mode, `f${p}x`),
      clients: per,
      senders: p === 0 ? senders : 0,
      stalled: 0,
      perSender: p === 0 ? perSender : 0,
      payloadBytes: 40,
      expectPerReader: total,
      timeoutMs: smoke ? 20_000 : 120_000,
    })),
    // A throughput test, not a slow-reader test: a 16 MiB queue keeps a
    // generator's momentary stall (GC, scheduling) from getting it dropped.
    [
      "--send-queue-bytes",
      String(16 * 1024 * 1024),
      ...(dataDir ? ["--data-dir", dataDir] : []),
    ],
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
  };
}

const latencyWorkload = (stalled: boolean): Workload => ({
  name: stalled ? "stalled" : "latency",
  description: stalled
    ? "the latency workload plus 10 clients that never read, with ~4 KB messages"
    : "1,000 text clients, 10 senders at 100 messages/s in total",
  text: true,
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
  async run(target, smoke) {
    const clients = smoke ? 20 : 1000;
    // A reader that never reads still absorbs ~4 MiB of kernel buffers
    // before its 1 MiB queue fills: at ~390 KB/s that takes ~15 s.
    const seconds = smoke ? 1 : stalled ? 25 : 10;
    const rate = smoke ? 20 : 100;
    const processes = smoke ? 1 : readerProcesses;
    const result = await drive(
      target,
      Array.from({ length: processes }, (_, p) => ({
        ...base(target, "text", `l${p}x`),
        clients: share(clients, processes, p),
        senders: p === 0 ? 10 : 0,
        stalled: stalled && p === 0 ? 10 : 0,
        rate: p === 0 ? rate : undefined,
        latency: true,
        seconds: p === 0 ? seconds : undefined,
        perSender: p === 0 ? undefined : 0,
        payloadBytes: stalled ? 3900 : 40, // under the 4000-character message limit
        expectPerReader: rate * seconds,
        timeoutMs: (seconds + 30) * 1000,
      })),
    );
    const reports = result.reports;
    const complete = reports.every((r) => r.complete === true);
    const latency = quantiles(reports.flatMap((r) => (r.histogram as [number, number][]) ?? []));
    const dropped = stalled ? 10 - (reports[0].stalledStillOpen as number) : undefined;
    const incomplete = reports.reduce((sum, r) => sum + (r.incompleteReaders as number), 0);
    const delivered = reports.reduce((sum, r) => sum + (r.delivered as number), 0);
    return {
      ok: complete && result.alive,
      failure: complete ? undefined : `${incomplete} readers did not get every message`,
      serverCpuSec: result.cpu,
      serverUsPerDelivery: result.cpu / delivered * 1e6,
      generatorCpuSec: generatorCpu(reports),
      p50: latency.p50,
      p99: latency.p99,
      p999: latency.p999,
      peakRssMiB: result.after.peakKiB / 1024,
      stalledDropped: dropped,
    };
  },
});

/** CPU seconds the generators spent after "go" (the Node generator reports it). */
function generatorCpu(reports: Record<string, unknown>[]): number | undefined {
  if (!reports.every((r) => typeof r.generatorCpuMs === "number")) return undefined;
  return reports.reduce((sum, r) => sum + (r.generatorCpuMs as number), 0) / 1000;
}

const crowdWorkload: Workload = {
  name: "crowd",
  description: "10,000 concurrent text clients, then one broadcast to all",
  text: true,
  metrics: [
    { key: "connectSec", label: "connect all s", higherIsBetter: false },
    { key: "rssPerClientKiB", label: "server KiB/client", higherIsBetter: false },
    { key: "broadcastMs", label: "broadcast ms", higherIsBetter: false },
    { key: "serverCpuSec", label: "server CPU s (broadcast)", higherIsBetter: false },
  ],
  async run(target, smoke) {
    const total = smoke ? 60 : 10_000;
    const processes = smoke ? 2 : readerProcesses;
    const configs = Array.from({ length: processes }, (_, p) => ({
      ...base(target, "text", `c${p}x`),
      clients: share(total, processes, p),
      senders: p === 0 ? 1 : 0,
      stalled: 0,
      perSender: p === 0 ? 1 : 0,
      payloadBytes: 40,
      expectPerReader: 1,
      timeoutMs: 60_000,
      connectBatch: 50,
    }));
    const result = await drive(target, configs);
    // The generators connect in parallel: the slowest one is the time to connect all.
    const connectSec = Math.max(...result.connected.map((r) => r.connectMs as number)) / 1000;
    const clients = total;
    const complete = result.reports.every((r) => r.complete === true);
    const broadcastMs = Math.max(...result.reports.map((r) => r.elapsedMs as number));
    return {
      ok: complete && result.alive,
      failure: complete ? undefined : "the broadcast did not reach everyone",
      connectSec,
      rssPerClientKiB: (result.after.rssKiB - result.before.rssKiB) / clients,
      broadcastMs,
      serverCpuSec: result.cpu,
      generatorCpuSec: generatorCpu(result.reports),
    };
  },
};

/** A certificate and key for the run's reference TLS servers, made once. */
let referenceCertificate: Promise<{ cert: string; key: string }> | undefined;

function referenceCertificateFiles(): Promise<{ cert: string; key: string }> {
  referenceCertificate ??= (async () => {
    const { createSelfSigned } = await import("../lib/server/tls_certificate.ts");
    const pair = await createSelfSigned();
    const dir = await Deno.makeTempDir({ prefix: "lanchat-bench-cert-" });
    await Deno.writeTextFile(`${dir}/cert.pem`, pair.cert);
    await Deno.writeTextFile(`${dir}/key.pem`, pair.key);
    return { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
  })();
  return referenceCertificate;
}

/** A bare TLS server from bench/reference/, to show what the runtime alone does. */
function referenceTls(name: string, script: string, files: { cert: string; key: string }): Target {
  return {
    name,
    handshake: "none",
    native: false,
    tls: true,
    start: (port) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-q", "-A", ...serverV8Flags(), script, String(port), files.cert, files.key],
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "inherit",
      }).spawn(),
  };
}

const churnWorkload: Workload = {
  name: "churn",
  description:
    "20,000 raw connect/close, 5,000 TLS handshakes, 200 silent peers, 30 s alone (TLS servers)",
  optIn: true,
  text: false,
  metrics: [
    { key: "rssStartMiB", label: "RSS at start MiB", higherIsBetter: false },
    { key: "rssAfterRawMiB", label: "RSS after the raw churn MiB", higherIsBetter: false },
    { key: "rssAfterHandshakesMiB", label: "RSS after the handshakes MiB", higherIsBetter: false },
    { key: "rssSettledMiB", label: "RSS settled (30 s later) MiB", higherIsBetter: false },
    { key: "rssGrowthMiB", label: "RSS growth, settled MiB", higherIsBetter: false },
    { key: "fdsLeft", label: "fds left open after the churn", higherIsBetter: false },
    { key: "silentClosedSec", label: "silent peers all closed after s", higherIsBetter: false },
    { key: "silentLeftOpen", label: "silent peers' fds still open", higherIsBetter: false },
  ],
  targets: async () => {
    const files = await referenceCertificateFiles();
    return [
      lanchat(true),
      referenceTls("node:tls (bare)", "bench/reference/node_tls_server.ts", files),
      referenceTls("Deno.listenTls (bare)", "bench/reference/deno_listen_tls_server.ts", files),
    ];
  },
  async run(target, smoke) {
    const port = freePort();
    const server = target.start(port);
    try {
      await waitForPort(port);
      const config = {
        port,
        pid: server.pid,
        raw: smoke ? 200 : 20_000,
        handshakes: smoke ? 50 : 5_000,
        silent: smoke ? 20 : 200,
        // Every server here gives a handshake 3 s; a second more to see them closed.
        silentWaitMs: 4_500,
        // V8 returns idle heap pages some 10-20 s after the last collection.
        settleMs: smoke ? 1000 : 30_000,
        concurrency: 8,
      };
      const child = new Deno.Command("node", {
        args: ["bench/churn_gen_node.mjs", JSON.stringify(config)],
        cwd: ROOT,
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const output = await child.output();
      if (!output.success) throw new Error(`the churn generator failed (exit ${output.code})`);
      const report = JSON.parse(new TextDecoder().decode(output.stdout));
      const ours = target.name.startsWith("lanchat");
      const failures = report.rawFailures + report.handshakeFailures;
      return {
        ok: !ours || failures === 0,
        failure: failures ? `${failures} connections or handshakes failed` : undefined,
        rssStartMiB: report.start.rssMiB,
        rssAfterRawMiB: report.afterRaw.rssMiB,
        rssAfterHandshakesMiB: report.afterHandshakes.rssMiB,
        rssSettledMiB: report.settled.rssMiB,
        rssGrowthMiB: report.settled.rssMiB - report.start.rssMiB,
        fdsLeft: report.settled.fds - report.start.fds,
        silentClosedSec: report.silentClosedAfterMs === undefined
          ? undefined
          : report.silentClosedAfterMs / 1000,
        silentLeftOpen: report.silentLeftOpen,
        rawFailures: report.rawFailures,
        handshakeFailures: report.handshakeFailures,
      };
    } finally {
      try {
        server.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await server.status;
    }
  },
};

const WORKLOADS: Workload[] = [
  floodWorkload("text"),
  latencyWorkload(false),
  crowdWorkload,
  latencyWorkload(true),
  floodWorkload("native"),
  floodWorkload("text", true),
  churnWorkload,
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function fmt(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (Math.abs(value) >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return value.toFixed(2);
}

interface Row {
  workload: string;
  target: string;
  runs: Measurement[];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string" },
      only: { type: "string" },
      against: { type: "string" },
      "against-tree": { type: "string" },
      smoke: { type: "boolean" },
      out: { type: "string" },
      generator: { type: "string" },
      tls: { type: "boolean" },
      readers: { type: "string" },
    },
  });
  const wanted = values.generator ?? (nodeAvailable() ? "node" : "deno");
  if (wanted !== "node" && wanted !== "deno") {
    throw new Error(`Unknown generator "${wanted}"; use "node" or "deno"`);
  }
  if (!values.generator && wanted === "deno") {
    console.error("node is not on the PATH: using the Deno load generator (bench/load_gen.ts)");
  }
  generatorKind = wanted;
  readerProcesses = Number(values.readers ?? (wanted === "node" ? 1 : 4));
  if (!Number.isInteger(readerProcesses) || readerProcesses < 1 || readerProcesses > 64) {
    throw new Error(`--readers must be a whole number from 1 to 64, not "${values.readers}"`);
  }
  const smoke = values.smoke ?? false;
  const runs = Number(values.runs ?? (smoke ? 1 : 3));
  const only = values.only?.split(",");
  const against = [values.against, values["against-tree"], values.tls].filter(Boolean);
  if (against.length > 1) {
    throw new Error("--tls, --against and --against-tree do not go together");
  }
  const tree = values["against-tree"];
  if (tree !== undefined && !existsSync(`${tree}/server.ts`)) {
    throw new Error(`--against-tree "${tree}" is not a lanchat checkout (no server.ts there)`);
  }
  if (values.tls && wanted !== "node") throw new Error("--tls needs the Node load generator");
  // --tls: the same workloads over plain TCP and over TLS, side by side.
  const targets = [
    ours,
    ...(values.against
      ? [foreign(values.against)]
      : tree
      ? [lanchat(false, tree)]
      : values.tls
      ? [lanchat(true)]
      : []),
  ];
  const rows: Row[] = [];
  const tables: string[] = [];
  for (const workload of WORKLOADS) {
    if (only ? !only.includes(workload.name) : workload.optIn) continue;
    const own = workload.targets ? await workload.targets() : undefined;
    for (const target of own ?? targets) {
      if (!own && !workload.text && !target.native) continue;
      const row: Row = { workload: workload.name, target: target.name, runs: [] };
      for (let i = 0; i < runs; i++) {
        let measurement: Measurement;
        try {
          measurement = await workload.run(target, smoke);
        } catch (error) {
          measurement = { ok: false, failure: (error as Error).message };
        }
        row.runs.push(measurement);
        console.error(
          `${workload.name} ${target.name} run ${i + 1}: ${JSON.stringify(measurement)}`,
        );
      }
      rows.push(row);
    }
    if (own) tables.push(table(rows.filter((row) => row.workload === workload.name), own));
  }
  const shared = rows.filter((row) => !WORKLOADS.find((w) => w.name === row.workload)?.targets);
  if (shared.length > 0) tables.unshift(table(shared, targets));
  console.log(tables.join("\n\n"));
  const out = values.out ??
    `${ROOT}bench/results/${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
  await Deno.writeTextFile(
    out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        smoke,
        runs,
        generator: generatorKind,
        readerProcesses,
        rows,
      },
      null,
      2,
    ) + "\n",
  );
  console.error(`results written to ${out}`);
  return rows.every((row) => !row.target.startsWith("lanchat") || row.runs.every((r) => r.ok))
    ? 0
    : 1;
}

/** The markdown table: median [min–max] per metric, and ours/theirs ratios. */
function table(rows: Row[], targets: Target[]): string {
  const out = [
    `| workload | metric | ${targets.map((t) => t.name).join(" | ")}${
      targets.length > 1 ? ` | ${targets[0].name}/${targets[1].name}` : ""
    } |`,
    `|---|---|${targets.map(() => "---").join("|")}|${targets.length > 1 ? "---|" : ""}`,
  ];
  for (const workload of WORKLOADS) {
    const byTarget = targets.map((t) =>
      rows.find((r) => r.workload === workload.name && r.target === t.name)
    );
    if (!byTarget.some(Boolean)) continue;
    for (const metric of workload.metrics) {
      const cells: string[] = [];
      const medians: (number | undefined)[] = [];
      for (const row of byTarget) {
        if (!row) {
          cells.push("n/a");
          medians.push(undefined);
          continue;
        }
        const failed = row.runs.filter((r) => !r.ok);
        const values = row.runs.filter((r) => r.ok).map((r) => r[metric.key] as number)
          .filter((v) => typeof v === "number" && !Number.isNaN(v));
        if (values.length === 0) {
          cells.push(`failed: ${failed[0]?.failure ?? "no data"}`);
          medians.push(undefined);
          continue;
        }
        const m = median(values);
        medians.push(m);
        const range = values.length > 1
          ? ` [${fmt(Math.min(...values))}–${fmt(Math.max(...values))}]`
          : "";
        cells.push(`${fmt(m)}${range}${failed.length ? ` (${failed.length} failed)` : ""}`);
      }
      let ratio = "";
      if (targets.length > 1) {
        const [a, b] = medians;
        ratio = a !== undefined && b !== undefined && b !== 0
          ? ` | ${(a / b).toFixed(2)}x`
          : " | –";
      }
      out.push(`| ${workload.name} | ${metric.label} | ${cells.join(" | ")}${ratio} |`);
    }
  }
  return out.join("\n");
}

if (import.meta.main) {
  // Bad flags (and anything else that stops the run) end in one line, not a stack.
  Deno.exit(
    await main().catch((error) => {
      console.error(`bench: ${error instanceof Error ? error.message : error}`);
      return 2;
    }),
  );
}
