/**
 * What starting a program costs: the CPU (user and system) of `chat-server`
 * from its start to its listening line (`/proc/<pid>/stat`, read as the bench
 * reads it; `--plain --data-dir :memory: --no-discovery`, the start task's V8
 * flags), and of `chat-client --version` to its exit (`/usr/bin/time`). Each tree's checkout runs its
 * own entry points; with `--against-tree DIR` the trees run in turns,
 * `--runs` rounds of `--starts` starts each, and the medians [min-max] of
 * the rounds' means are printed side by side.
 *
 * Usage: deno run -P=bench bench/start_cost.ts [--starts 10] [--runs 3] [--against-tree DIR]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { serverV8FlagsOf } from "../tools/v8_flags.ts";
import { processStats, ROOT } from "./server_process.ts";
import { summary } from "./stats.ts";

/** The CPU of one server start to its listening line, in ms. */
async function serverStart(tree: string): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-q", "-P=server", ...serverV8FlagsOf(tree), "server.ts"],
      ...["--host", "127.0.0.1", "--port", "0", "--plain", "--data-dir", ":memory:"],
      "--no-discovery",
    ],
    cwd: tree,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const decoder = new TextDecoder();
    let seen = "";
    for await (const chunk of child.stdout) {
      seen += decoder.decode(chunk, { stream: true });
      if (/^listening on /m.test(seen)) return processStats(child.pid).cpu * 1000;
    }
    throw new Error(`${tree}: the server ended before listening`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
}

/** The CPU of one `chat-client --version`, in ms (the process's own, read from its exit). */
async function clientVersion(tree: string): Promise<number> {
  // `time`'s format: user and system seconds of the child, to stderr.
  const { stderr, code } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%U %S", Deno.execPath(), "run", "-q", "-P=client", "client.ts", "--version"],
    cwd: tree,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`${tree}: chat-client --version exited ${code}`);
  const [user, system] = new TextDecoder().decode(stderr).trim().split("\n").at(-1)!.split(" ");
  return (Number(user) + Number(system)) * 1000;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    starts: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
    "against-tree": { type: "string" },
  },
});
const starts = Number(values.starts);
const runs = Number(values.runs);
const trees = [
  ROOT.replace(/\/$/, ""),
  ...(values["against-tree"] ? [values["against-tree"]] : []),
];
const results = new Map(
  trees.map((tree) => [tree, { server: [] as number[], client: [] as number[] }]),
);
for (let run = 0; run < runs; run++) {
  for (const tree of trees) {
    let server = 0;
    let client = 0;
    for (let i = 0; i < starts; i++) {
      server += await serverStart(tree);
      client += await clientVersion(tree);
    }
    results.get(tree)!.server.push(server / starts);
    results.get(tree)!.client.push(client / starts);
    console.error(
      `${tree} run ${run + 1}: server ${server / starts} ms, client ${client / starts} ms`,
    );
  }
}
console.log(`| tree | chat-server to listening, CPU ms | chat-client --version, CPU ms |`);
console.log(`|---|---|---|`);
for (const [tree, { server, client }] of results) {
  console.log(`| ${tree} | ${summary(server, 0)} | ${summary(client, 0)} |`);
}
