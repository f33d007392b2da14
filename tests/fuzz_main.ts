/**
 * `deno task fuzz [--cases N] [--seed S] [--case K] [--concurrency C]
 * [--max-line-bytes B]`: fuzzes in-process servers on 127.0.0.1 (an open one
 * and one with a password) and exits 1
 * if any case failed. Without `--seed` the seed is random; it is printed
 * either way, and `--case K` replays one case of a run.
 *
 * @module
 */

import { FuzzServer, runFuzz } from "./fuzz.ts";

function usage(message: string): never {
  console.error(
    `${message}\nUsage: deno task fuzz [--cases N] [--seed S] [--case K] [--concurrency C] ` +
      "[--max-line-bytes B]",
  );
  Deno.exit(2);
}

const flags = new Map<string, number>();
for (let i = 0; i < Deno.args.length; i++) {
  const [name, inline] = Deno.args[i].split("=", 2);
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

let failed: boolean;
{
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
  failed = summary.failureCount > 0;
  if (failed) console.error(`\n${summary.failureCount} failure(s); seed ${seed}`);
}
Deno.exit(failed ? 1 : 0);
