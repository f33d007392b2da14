/**
 * The JavaScript heap one joined text client costs the server, measured
 * directly: an in-process `ChatServer` (rate limits off), `--clients` text
 * clients in a separate Node process joining at once, and `heapUsed` after a
 * full collection, before and after, divided by the clients. The crowd
 * workload's "server KiB/client" is resident memory, which also holds what
 * the heap reserved and native buffers; this isolates the objects the code
 * keeps per client (session, codec, pipe, member, its closures).
 *
 * With `--against-tree DIR` (another checkout, e.g. a `git worktree` of the
 * commit before a refactor) the two trees run in turns, `--runs` times each,
 * and the medians are printed side by side.
 *
 * Usage: deno run -P=bench bench/heap_per_client.ts [--clients 4000] [--runs 5]
 *          [--against-tree DIR] [--irc]
 *
 * With `--irc` the clients register as IRC clients (NICK and USER) instead.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { median } from "./stats.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** One measurement, in the tree the process was started for (`--measure`). */
async function measure(tree: string, clients: number, irc: boolean): Promise<number> {
  const { ChatServer } = await import(`${tree}/lib/server/chat_server.ts`);
  const server = await ChatServer.listen({
    hostname: "127.0.0.1",
    port: 0,
    rateLimit: false,
    joinRate: false,
    maxPerIp: clients * 2,
    maxPending: clients * 2,
    maxClients: clients * 2,
    historySize: 0,
    log: () => {},
  });
  const gc = (globalThis as unknown as { gc: () => void }).gc;
  const settle = async () => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
    gc();
  };
  await settle();
  const before = Deno.memoryUsage().heapUsed;
  const hello = irc ? '"NICK u" + i + "\\r\\nUSER u" + i + " 0 * :u\\r\\n"' : '"u" + i + "\\n"';
  const script = `const net = require("net");
for (let i = 0; i < ${clients}; i++) {
  const s = net.connect(${server.addr.port}, "127.0.0.1", () => s.write(${hello}));
  s.on("data", () => {});
  s.on("error", () => {});
}
setInterval(() => {}, 1000);`;
  const child = new Deno.Command("node", { args: ["-e", script], stdout: "null" }).spawn();
  try {
    const deadline = performance.now() + 60_000;
    while (server.hub.size < clients) {
      if (performance.now() > deadline) throw new Error(`only ${server.hub.size} clients joined`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000)); // writers idle, buffers released
    await settle();
    return (Deno.memoryUsage().heapUsed - before) / clients;
  } finally {
    child.kill();
    await child.status;
    await server.shutdown();
  }
}

/** Runs one measurement in a process of its own, with the tree's own config. */
async function measureIn(tree: string, clients: number, irc: boolean): Promise<number> {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${tree}/deno.json`,
      "--v8-flags=--expose-gc",
      `${ROOT}/bench/heap_per_client.ts`,
      "--measure",
      tree,
      "--clients",
      String(clients),
      ...(irc ? ["--irc"] : []),
    ],
    cwd: tree,
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`the measurement in ${tree} failed (exit ${code})`);
  return Number(new TextDecoder().decode(stdout).trim());
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      clients: { type: "string", default: "4000" },
      runs: { type: "string", default: "5" },
      "against-tree": { type: "string" },
      measure: { type: "string" },
      irc: { type: "boolean", default: false },
    },
  });
  const clients = Number(values.clients);
  if (values.measure) {
    console.log(Math.round(await measure(values.measure, clients, values.irc)));
  } else {
    const trees = [ROOT, ...(values["against-tree"] ? [values["against-tree"]] : [])];
    const results = new Map(trees.map((tree) => [tree, [] as number[]]));
    for (let run = 0; run < Number(values.runs); run++) {
      for (const tree of trees) results.get(tree)!.push(await measureIn(tree, clients, values.irc));
    }
    const kind = values.irc ? "IRC" : "text";
    console.log(
      `| tree | heap bytes per joined ${kind} client (median of ${values.runs}) | runs |`,
    );
    console.log("|---|---|---|");
    for (const [tree, bytes] of results) {
      console.log(`| ${tree} | ${median(bytes)} | ${bytes.join(", ")} |`);
    }
  }
}
