/**
 * What connecting a crowd costs the server, measured so that an A/B of the
 * connect is not at the mercy of loopback's wall-clock noise: the server
 * (the checkout's own server.ts, with the crowd workload's flags, through
 * bench/_connect_probe.ts) and `--clients` text clients from the C load
 * generator, connecting 50 at a time as the crowd does; the server's CPU
 * (getrusage, microseconds) and the bytes V8 allocated (its
 * `total_allocated_bytes` counter) from before the first connect until
 * the generator reports every client in, per client.
 *
 * With `--against-tree DIR` (another checkout) the trees run in turns,
 * `--runs` times each, and the medians [min-max] are printed side by side.
 * With `--pin` the server runs on CPU 0 and the generator on CPU 1. Take the
 * bench lock: `flock /tmp/bench.lock deno run -P=bench bench/connect_cost.ts ...`.
 *
 * Usage: deno run -P=bench bench/connect_cost.ts [--clients 10000] [--runs 5]
 *          [--against-tree DIR] [--pin] [--cpu-prof-dir DIR]
 *
 * With `--cpu-prof-dir` each server writes a V8 CPU profile there, from its
 * start to the end of the connect (the probe exits on SIGUSR2 then).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Generator, generatorSetup } from "./drive.ts";
import { freePort, ROOT, waitForPort } from "./server_process.ts";
import { serverV8FlagsOf } from "../tools/v8_flags.ts";
import { summary } from "./stats.ts";

/** One run's figures, per connected client. */
interface ConnectCost {
  cpuUs: number;
  allocatedBytes: number;
  connectMs: number;
}

/** The probe's answers to SIGUSR1, one per signal, in order. */
class Probe implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;

  constructor(tree: string, port: number, profileDir?: string) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        "-A",
        "--config",
        `${tree}/deno.json`,
        ...serverV8FlagsOf(tree),
        ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
        `${ROOT}bench/_connect_probe.ts`,
        ...["--host", "127.0.0.1", "--port", String(port), "--no-rate-limit", "--plain"],
        ...["--max-per-ip", "100000", "--max-clients", "100000", "--history", "0"],
        ...["--log-level", "error", "--no-persist", "--no-discovery"],
      ],
      cwd: tree,
      env: { CONNECT_PROBE_SERVER: `${tree}/server.ts` },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#lines = this.#child.stderr.pipeThrough(new TextDecoderStream())
      .pipeThrough(splitLines()).values();
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** The allocated bytes and CPU time now. */
  async read(): Promise<{ allocatedBytes: number; cpuUs: number }> {
    Deno.kill(this.#child.pid, "SIGUSR1");
    for (;;) {
      const next = await this.#lines.next();
      if (next.done) throw new Error("the server exited");
      if (next.value.startsWith('{"probe":true')) return JSON.parse(next.value);
      console.error(next.value);
    }
  }

  /** Ends the server with SIGUSR2, on which the probe exits (writing a CPU profile if asked). */
  async stop(): Promise<void> {
    this.#child.kill("SIGUSR2");
    await this.#child.status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    await this.#child.stderr.cancel().catch(() => {});
  }
}

function splitLines(): TransformStream<string, string> {
  let partial = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const line of parts) controller.enqueue(line);
    },
  });
}

/** One connect of `clients` against the server of `tree`. */
async function measure(
  tree: string,
  clients: number,
  pin: boolean,
  profileDir?: string,
): Promise<ConnectCost> {
  const port = freePort();
  await using probe = new Probe(tree, port, profileDir);
  await waitForPort(port);
  if (pin) {
    await new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", "0", String(probe.pid)],
      stdout: "null",
    }).output();
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = await probe.read();
  const generator = new Generator({
    port,
    mode: "text",
    handshake: "nick",
    prefix: "c0x",
    clients,
    senders: 0,
    stalled: 0,
    perSender: 0,
    payloadBytes: 40,
    expectPerReader: 0,
    echo: false,
    timeoutMs: 60_000,
    connectBatch: 50,
  });
  try {
    const connected = await generator.report();
    const after = await probe.read();
    // The profile ends with the connect, before the generator's clients leave.
    if (profileDir) await probe.stop();
    return {
      cpuUs: (after.cpuUs - before.cpuUs) / clients,
      allocatedBytes: (after.allocatedBytes - before.allocatedBytes) / clients,
      connectMs: connected.connectMs as number,
    };
  } finally {
    await generator.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      clients: { type: "string", default: "10000" },
      runs: { type: "string", default: "5" },
      "against-tree": { type: "string" },
      pin: { type: "boolean", default: false },
      "cpu-prof-dir": { type: "string" },
    },
  });
  generatorSetup.kind = "c";
  generatorSetup.pin = values.pin;
  const clients = Number(values.clients);
  const trees = [
    ROOT.replace(/\/$/, ""),
    ...(values["against-tree"] ? [values["against-tree"]] : []),
  ];
  const results = new Map(trees.map((tree) => [tree, [] as ConnectCost[]]));
  for (let run = 0; run < Number(values.runs); run++) {
    for (const tree of trees) {
      const cost = await measure(tree, clients, values.pin, values["cpu-prof-dir"]);
      console.error(`${tree}: ${JSON.stringify(cost)}`);
      results.get(tree)!.push(cost);
    }
  }
  console.log(
    `| tree | server CPU µs/client | V8 bytes allocated/client | connect ms (${clients} clients, ${values.runs} runs) |`,
  );
  console.log("|---|---|---|---|");
  for (const [tree, costs] of results) {
    const column = (key: keyof ConnectCost, digits: number) =>
      summary(costs.map((c) => c[key]), digits);
    console.log(
      `| ${tree} | ${column("cpuUs", 1)} | ${column("allocatedBytes", 0)} | ${
        column("connectMs", 0)
      } |`,
    );
  }
}
