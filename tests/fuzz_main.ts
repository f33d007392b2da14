/**
 * `deno task fuzz [--cases N] [--seed S] [--case K] [--concurrency C]
 * [--max-line-bytes B] [--direction server|client]`: fuzzes in-process
 * servers on 127.0.0.1 (an open one and one with a password), then the
 * client against a hostile server (the server-to-client direction), and
 * exits 1 if any case failed. `--direction` runs one of the two only.
 * Without `--seed` the seed is random; it is printed either way, and
 * `--case K` replays one case of a run.
 *
 * @module
 */

import { runClientFuzz } from "./fuzz/client_fuzz.ts";
import { FuzzServer } from "./fuzz/fuzz_server.ts";
import { runFuzz } from "./fuzz/server_fuzz.ts";

function usage(message: string): never {
  console.error(
    `${message}\nUsage: deno task fuzz [--cases N] [--seed S] [--case K] [--concurrency C] ` +
      "[--max-line-bytes B] [--direction server|client]",
  );
  Deno.exit(2);
}

const flags = new Map<string, number>();
let direction: "both" | "server" | "client" = "both";
for (let i = 0; i < Deno.args.length; i++) {
  const [name, inline] = Deno.args[i].split("=", 2);
  if (name === "--direction") {
    const value = inline ?? Deno.args[++i];
    if (value !== "server" && value !== "client") {
      usage(`--direction must be server or client, not "${value ?? ""}"`);
    }
    direction = value;
    continue;
  }
  if (!["--cases", "--seed", "--case", "--concurrency", "--max-line-bytes"].includes(name)) {
    usage(`Unknown argument "${Deno.args[i]}"`);
  }
  const raw = inline ?? Deno.args[++i];
  const value = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isInteger(value) || value < 0) {
    usage(`${name} needs a whole number, not "${raw ?? ""}"`);
  }
  flags.set(name, value);
}

const seed = flags.get("--seed") ?? Math.floor(Math.random() * 2 ** 32);
const only = flags.get("--case");
const cases = only === undefined ? flags.get("--cases") ?? 3000 : 1;

let failed = false;
if (direction !== "client") {
  const maxLineBytes = flags.get("--max-line-bytes");
  await using server = await FuzzServer.start(maxLineBytes ? { maxLineBytes } : {});
  console.log(`fuzzing 127.0.0.1:${server.port} with seed ${seed}, ${cases} case(s)`);
  const summary = await runFuzz({
    seed,
    cases,
    first: only ?? 0,
    port: server.port,
    privateServer: server.privateServer,
    concurrency: flags.get("--concurrency"),
    maxLineBytes,
    target: server,
  });
  const { failures, ...counts } = summary;
  console.log(JSON.stringify(counts, null, 2));
  for (const failure of failures) console.error(`\nFAIL ${failure}`);
  if (summary.failureCount > 0) {
    failed = true;
    console.error(`\n${summary.failureCount} failure(s); seed ${seed}`);
  }
}

// The server-to-client direction: the client against a hostile server.
if (direction !== "server") {
  console.log(`fuzzing the client with seed ${seed}, ${cases} case(s)`);
  const summary = await runClientFuzz({ seed, cases, first: only ?? 0 });
  const { failures, ...counts } = summary;
  console.log(JSON.stringify(counts, null, 2));
  for (const failure of failures) console.error(`\nFAIL ${failure}`);
  if (summary.failureCount > 0) {
    failed = true;
    console.error(`\n${summary.failureCount} client failure(s); seed ${seed}`);
  }
}
Deno.exit(failed ? 1 : 0);
