/**
 * `deno task compile [--target <triple>] [--out-dir <dir>]`: builds
 * dist/chat-server and dist/chat-client (or in `--out-dir`) with `deno
 * compile`, each with the permission set of the same name from deno.json (the
 * one the tests run the entry points with).
 *
 * Both are built into a staging directory first and run with `--version`
 * there: only binaries that answer with lanchat's own version line are moved
 * into dist/. A build whose base binary is not a Deno runtime for compiled
 * programs (`DENORT_BIN` pointing at the deno CLI, say) produces a file that
 * is that program, not ours; it fails loudly, puts nothing into dist/, and
 * removes a binary of the same name that an earlier build left there if that
 * one is not ours either.
 *
 * @module
 */

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { serverV8Flags } from "./v8_flags.ts";
import { VERSION } from "../lib/version.ts";
import { describeFileError } from "../lib/cli_args.ts";
// The web client's files, which chat-server reads from its own binary.
import { WEB_CLIENT_FILES } from "../lib/server/web_pages.ts";

/**
 * Files chat-server loads at run time, not by import: the web client's, and
 * the Worker that hashes uploads (lib/files/upload_sink.ts starts it by URL).
 */
export const SERVER_INCLUDES: readonly string[] = [
  ...WEB_CLIENT_FILES,
  "lib/files/hash_worker.ts",
];

const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** What running a built binary with `--version` showed. */
export type BinaryCheck =
  | { ok: true }
  | {
    ok: false;
    /** What it did instead, in words: `printed "deno 2.9.6 (...)" (exit status 0), not ...`. */
    problem: string;
    /** Its first stdout line, when it printed one. */
    firstLine?: string;
  };

/**
 * Runs `path --version` and checks that it prints exactly `expected` (the
 * program's own version line, e.g. `chat-server 0.1.0`) and exits 0.
 */
export async function checkBinary(
  path: string,
  expected: string,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<BinaryCheck> {
  let output: Deno.CommandOutput;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  try {
    output = await new Deno.Command(path, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      signal: timeout.signal,
    }).output();
  } catch (error) {
    // Spawn errors read "failed to spawn '<path>': ..."; the class says it plainly.
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file or directory"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : describeFileError(error as Error);
    return { ok: false, problem: `could not be run: ${reason}` };
  } finally {
    clearTimeout(timer);
  }
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout).replace(/\x1b\[[0-9;]*m/g, "").trim();
  const stderr = decoder.decode(output.stderr).replace(/\x1b\[[0-9;]*m/g, "").trim();
  if (timeout.signal.aborted) {
    return {
      ok: false,
      problem: `did not answer --version within ${timeoutMs / 1000} s (it was stopped)`,
    };
  }
  if (output.success && stdout === expected) return { ok: true };
  const firstLine = stdout.split("\n")[0];
  const shown = firstLine !== ""
    ? `printed "${firstLine}"`
    : stderr !== ""
    ? `printed nothing on stdout, and on stderr "${stderr.split("\n")[0]}"`
    : "printed nothing";
  const status = output.signal ? `killed by ${output.signal}` : `exit status ${output.code}`;
  return {
    ok: false,
    problem: `${shown} (${status}), not "${expected}"`,
    ...(firstLine !== "" ? { firstLine } : {}),
  };
}

async function main(): Promise<number> {
  let target: string | undefined;
  let outDir: string;
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: { target: { type: "string" }, "out-dir": { type: "string", default: "dist" } },
    });
    target = values.target;
    outDir = values["out-dir"].replace(/(.)\/+$/, "$1");
  } catch (error) {
    console.error(`compile: ${(error as Error).message}`);
    return 2;
  }
  if (target && !TARGETS.includes(target)) {
    console.error(`compile: unknown --target "${target}"; one of: ${TARGETS.join(", ")}`);
    return 2;
  }
  const root = new URL("../", import.meta.url).pathname;
  // `deno task` runs in the checkout, so relative paths start there.
  const dist = resolve(outDir);
  const distExisted = await Deno.stat(dist).then(() => true, () => false);
  await Deno.mkdir(dist, { recursive: true });
  const staging = await Deno.makeTempDir({ dir: dist, prefix: ".building-" });
  // Runnable here only when built for this machine.
  const runnable = target === undefined || target === Deno.build.target;
  const suffix = (target ?? Deno.build.target).includes("windows") ? ".exe" : "";
  const built: { staged: string; file: string }[] = [];
  const entries = [["server", "chat-server"], ["client", "chat-client"]] as const;
  const fileOf = (name: string) => `${name}${target ? `-${target}` : ""}${suffix}`;
  const fail = async (lines: string[]): Promise<number> => {
    for (const line of lines) console.error(`compile: ${line}`);
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    // deno compile (or this task) made dist/; leave no empty directory behind.
    if (!distExisted) {
      await Deno.remove(dist).catch(() => {});
      console.error(`compile: no ${outDir}/ was made`);
      return 1;
    }
    // What an earlier build left stays only if it is ours: a binary that is
    // not (the deno CLI, from a build before this check) would mislead.
    for (const [, name] of entries) {
      const output = `${outDir}/${fileOf(name)}`;
      const path = `${dist}/${fileOf(name)}`;
      if (!runnable || !(await Deno.stat(path).then(() => true, () => false))) continue;
      const earlier = await checkBinary(path, `${name} ${VERSION}`);
      if (earlier.ok) {
        console.error(`compile: ${output} is from an earlier build (it says ${name} ${VERSION})`);
      } else {
        await Deno.remove(path);
        console.error(
          `compile: removed ${output} from an earlier build: it is not lanchat's either (--version ${earlier.problem})`,
        );
      }
    }
    console.error(`compile: nothing of this build was put into ${outDir}/`);
    return 1;
  };
  for (const [entry, name] of entries) {
    const file = fileOf(name);
    const staged = `${staging}/${file}`;
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "-q",
        `-P=${entry}`,
        ...(entry === "server" ? serverV8Flags() : []),
        ...(entry === "server" ? SERVER_INCLUDES.flatMap((file) => ["--include", file]) : []),
        ...(target ? ["--target", target] : []),
        "--output",
        staged,
        `${entry}.ts`,
      ],
      cwd: root,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (!result.success) {
      // deno's own messages, without colour codes.
      const detail = new TextDecoder().decode(result.stderr).replace(/\x1b\[[0-9;]*m/g, "");
      const denort = Deno.env.get("DENORT_BIN");
      if (denort && /Could not find denort/.test(detail)) {
        return await fail([`DENORT_BIN=${denort} is not a denort binary (no such file)`]);
      }
      if (/error sending request|dns error|denort|Setting up base binary/i.test(detail)) {
        return await fail([
          `cannot download the Deno runtime that deno compile needs for ${name} ` +
          `(no internet access?); on an offline machine point DENORT_BIN at a denort binary`,
        ]);
      }
      return await fail([`deno compile failed for ${name}:\n${detail.trim()}`]);
    }
    if (runnable) {
      const check = await checkBinary(staged, `${name} ${VERSION}`);
      if (!check.ok) {
        const denort = Deno.env.get("DENORT_BIN");
        const lines = [
          `the built ${outDir}/${file} is not lanchat's ${name}: --version ${check.problem}`,
        ];
        if (denort && check.firstLine?.startsWith("deno ")) {
          lines.push(
            `DENORT_BIN=${denort} is the deno CLI, not a denort binary (the runtime deno compile builds on)`,
          );
        } else if (denort) {
          lines.push(`is DENORT_BIN=${denort} a denort binary of Deno ${Deno.version.deno}?`);
        }
        return await fail(lines);
      }
    }
    built.push({ staged, file });
  }
  // Both built (and, for this machine, both answered as ours): only now into the output directory.
  for (const { staged, file } of built) await Deno.rename(staged, `${dist}/${file}`);
  await Deno.remove(staging, { recursive: true });
  for (const { file } of built) {
    const output = `${outDir}/${file}`;
    console.log(
      runnable
        ? `built ${output} (checked: it runs and says it is lanchat ${VERSION})`
        : `built ${output} (for ${target}: not run here; check it there with --version)`,
    );
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
