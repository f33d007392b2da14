/**
 * `deno task compile [--target <triple>]`: builds dist/chat-server and
 * dist/chat-client with `deno compile`, each with the permission set of the
 * same name from deno.json (the one the tests run the entry points with).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { serverV8Flags } from "./v8_flags.ts";

const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

let target: string | undefined;
try {
  target = parseArgs({ args: Deno.args, options: { target: { type: "string" } } }).values.target;
} catch (error) {
  console.error(`compile: ${(error as Error).message}`);
  Deno.exit(2);
}
if (target && !TARGETS.includes(target)) {
  console.error(`compile: unknown --target "${target}"; one of: ${TARGETS.join(", ")}`);
  Deno.exit(2);
}

const root = new URL("../", import.meta.url).pathname;
const suffix = target?.includes("windows") ? ".exe" : "";
for (const [entry, name] of [["server", "chat-server"], ["client", "chat-client"]]) {
  const output = `dist/${name}${target ? `-${target}` : ""}${suffix}`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "-q",
      `-P=${entry}`,
      ...(entry === "server" ? serverV8Flags() : []),
      ...(target ? ["--target", target] : []),
      "--output",
      output,
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
      console.error(`compile: DENORT_BIN=${denort} is not a denort binary (no such file)`);
    } else if (/error sending request|dns error|denort|Setting up base binary/i.test(detail)) {
      console.error(
        `compile: cannot download the Deno runtime that deno compile needs for ${name} ` +
          `(no internet access?); on an offline machine point DENORT_BIN at a denort binary`,
      );
    } else {
      console.error(`compile: deno compile failed for ${name}:\n${detail.trim()}`);
    }
    // deno compile makes dist/ before it fails; leave no empty directory behind.
    await Deno.remove(`${root}dist`).catch(() => {});
    Deno.exit(1);
  }
  console.log(`built ${output}`);
}
