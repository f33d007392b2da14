/**
 * Driving a target: load-generator processes (Node or Deno) that connect
 * their clients, go together on a word, and report; the server process is
 * measured around the traffic.
 *
 * @module
 */

import type { LoadConfig } from "./load_gen.ts";
import { processStats, ROOT, startListening } from "./server_process.ts";
import type { Target } from "./targets.ts";

/**
 * Which load generator runs: `node` (bench/load_gen_node.mjs, one libuv
 * event loop per process, the default when `node` is on the PATH), `c`
 * (bench/load_gen_c.c, one epoll loop in C: text, native and IRC clients
 * over plain TCP) or `deno` (bench/load_gen.ts). All speak the same protocol
 * with the harness; every target of a run uses the same one.
 */
export type GeneratorKind = "node" | "c" | "deno";

/** The C generator's source, and the binary built from it (beside floor_relay's). */
const C_SOURCE = `${ROOT}bench/load_gen_c.c`;
const C_BINARY = `${ROOT}bench/results/load_gen_c`;

/**
 * The C generator's binary, compiled with `cc` when missing or older than
 * its source; throws when it cannot be built.
 */
export function cGenerator(): string {
  const built = (() => {
    try {
      return Deno.statSync(C_BINARY).mtime?.getTime() ?? 0;
    } catch {
      return -1;
    }
  })();
  if (built >= (Deno.statSync(C_SOURCE).mtime?.getTime() ?? 0)) return C_BINARY;
  Deno.mkdirSync(`${ROOT}bench/results`, { recursive: true });
  let result: Deno.CommandOutput;
  try {
    result = new Deno.Command("cc", {
      args: ["-O2", "-Wall", "-Wextra", "-o", C_BINARY, C_SOURCE, "-lm"],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      "The C load generator needs a C compiler: no cc on the PATH (install gcc, as .ci/run does)",
      { cause: error },
    );
  }
  if (!result.success) {
    throw new Error(
      `Cannot build the C load generator (cc ${C_SOURCE}): ${
        new TextDecoder().decode(result.stderr).trim()
      }`,
    );
  }
  return C_BINARY;
}

/** How the run's load generators are set up; bench/bench.ts sets it from the flags first. */
export const generatorSetup: {
  /**
   * Which load generator runs (`--generator`).
   *
   * @default {"deno"}
   */
  kind: GeneratorKind;
  /**
   * Generator processes holding the readers of the latency, stalled and crowd
   * workloads (`--readers`). Fewer is better with the Node generator: on two
   * cores, every runnable process beyond the server and one generator waits
   * for a time slice, and that wait shows up as the server's latency (see
   * docs/performance.md, "How many generator processes"). The Deno generator
   * needs more to keep up.
   *
   * @default {1}
   */
  readerProcesses: number;
  /**
   * `--pin`: the server on CPU 0 (all its threads), the generators on CPU 1,
   * so the scheduler cannot stack them on one core.
   */
  pin?: boolean;
  /**
   * `--warm`: the flood workloads flood the server once before the flood
   * they measure (other clients, the same traffic), so that what is
   * measured is the steady state, not V8 compiling the server's code the
   * first time it runs hot (a fifth of a cold flood's CPU in lanchat).
   */
  warm?: boolean;
} = { kind: "deno", readerProcesses: 1 };

/**
 * Whether a real Node.js is on the PATH. Without one, Deno answers for
 * `node` itself (its `--version` then starts with "deno"), which would run
 * the Node generator on Deno and defeat its purpose.
 */
export function nodeAvailable(): boolean {
  try {
    const result = new Deno.Command("node", { args: ["--version"], stderr: "null" }).outputSync();
    return result.success && /^v\d+\./.test(new TextDecoder().decode(result.stdout));
  } catch {
    return false;
  }
}

/** A running load generator. */
export class Generator {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** The generator's stderr, passed through; its error line explains an early exit. */
  readonly #stderrDone: Promise<void>;
  #lastError = "";

  /** Starts a generator with `config`; it connects its clients and reports. */
  constructor(config: LoadConfig) {
    const kind = generatorSetup.kind;
    if (kind === "c" && (config.tls || config.mode === "web")) {
      throw new Error(
        `${
          config.tls ? "TLS" : "WebSocket"
        } clients need the Node load generator (--generator node)`,
      );
    }
    const [command, args] = kind === "node"
      ? ["node", ["bench/load_gen_node.mjs"]]
      : kind === "c"
      ? [cGenerator(), []]
      : [Deno.execPath(), ["run", "-q", "-P=bench", "bench/load_gen.ts"]];
    const pinned = generatorSetup.pin
      ? ["taskset", ["-c", "1", command, ...args]] as const
      : undefined;
    this.#child = new Deno.Command(pinned?.[0] ?? command, {
      args: [...(pinned?.[1] ?? args), JSON.stringify(config)],
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
    try {
      return JSON.parse(next.value);
    } catch {
      throw new Error(
        `the load generator's report was cut off after ${next.value.length} characters`,
      );
    }
  }

  /** Tells the generator to start its traffic. */
  async go(): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode("go\n"));
  }

  /** Ends the generator (stdin closed, then killed) and waits for its exit. */
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

/** Whether the process is still there (a signal 0 would do; SIGCONT is as harmless). */
function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
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
  // An unfinished last line: a report cut off (see load_gen_node.mjs's end).
  if (partial.trim()) yield partial;
}

/**
 * Starts the target, runs generators with the given configs (connect all,
 * then go together), and measures the server process around the traffic;
 * with `settleMs`, the clients idle that long once all are in before the
 * server's memory is read. With `warmup`, generators with those configs run
 * their traffic to the end and leave before the measured ones connect.
 */
export async function drive(
  target: Target,
  configs: Omit<LoadConfig, "port">[],
  serverArgs: string[] = [],
  settleMs = 0,
  warmup: Omit<LoadConfig, "port">[] = [],
): Promise<
  {
    reports: Record<string, unknown>[];
    cpu: number;
    before: ReturnType<typeof processStats>;
    after: ReturnType<typeof processStats>;
    alive: boolean;
    /** Wall time between the two reads of the server's CPU: "go" until every report was in. */
    wallMs: number;
    connected: Record<string, unknown>[];
    /** The server's RSS once every client had connected, before "go". */
    connectedRssKiB: number;
    /** The server's CPU seconds from before the first connect until every generator reported all in. */
    connectCpu: number;
  }
> {
  const { port, server } = await startListening((port) => target.start(port, serverArgs));
  const generators: Generator[] = [];
  try {
    if (generatorSetup.pin) pinToFirstCpu(server.pid);
    if (warmup.length > 0) await warmUp(target, port, warmup);
    const idle = processStats(server.pid);
    for (const config of configs) {
      // A small listen backlog (ncat, ngircd): at most that many connect at once.
      const batch = Math.min(config.connectBatch ?? 100, target.backlog ?? Infinity);
      generators.push(new Generator({ ...config, port, tls: target.tls, connectBatch: batch }));
    }
    const connected = await Promise.all(generators.map((g) => g.report())).catch((error) => {
      // A server that died while its clients connected (ncat past 1,020): say so in the cell.
      if (alive(server.pid)) throw error;
      throw new Error(`${(error as Error).message}; the server had exited`, { cause: error });
    });
    const connectedStats = processStats(server.pid);
    // Idle workloads: the server idles a moment before its memory is read.
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    const before = processStats(server.pid);
    const start = performance.now();
    await Promise.all(generators.map((g) => g.go()));
    const reports = await Promise.all(generators.map((g) => g.report()));
    const after = processStats(server.pid);
    const wallMs = performance.now() - start;
    return {
      reports,
      cpu: after.cpu - before.cpu,
      before: { ...before, rssKiB: idle.rssKiB },
      after,
      alive: alive(server.pid),
      wallMs,
      connected,
      connectedRssKiB: before.rssKiB,
      connectCpu: connectedStats.cpu - idle.cpu,
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

/** Runs generators with `configs` through their traffic (connect, go, report), then closes them. */
async function warmUp(
  target: Target,
  port: number,
  configs: Omit<LoadConfig, "port">[],
): Promise<void> {
  const generators = configs.map((config) =>
    new Generator({
      ...config,
      port,
      tls: target.tls,
      connectBatch: Math.min(config.connectBatch ?? 100, target.backlog ?? Infinity),
    })
  );
  try {
    await Promise.all(generators.map((g) => g.report()));
    await Promise.all(generators.map((g) => g.go()));
    await Promise.all(generators.map((g) => g.report()));
  } finally {
    await Promise.all(generators.map((g) => g.close()));
  }
  // The server sees them leave before the measured clients come.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/** Pins every thread of process `pid` to CPU 0 (`taskset -a`). */
function pinToFirstCpu(pid: number): void {
  let result: Deno.CommandOutput;
  try {
    result = new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", "0", String(pid)],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
  } catch (error) {
    throw new Error("--pin needs taskset (util-linux)", { cause: error });
  }
  if (!result.success) {
    throw new Error(`taskset failed: ${new TextDecoder().decode(result.stderr).trim()}`);
  }
}
