/**
 * `deno task compile` where the runtime cannot be had: a clear message, exit 1, and no empty dist/
 * left behind. (Building for real needs the internet, which CI here does not have.)
 */

import assert from "node:assert/strict";
import { ROOT } from "./test_util.ts";

Deno.test("deno task compile with an unusable DENORT_BIN says so, exits 1 and leaves no empty dist/", async () => {
  const distExisted = await Deno.stat(`${ROOT}dist`).then(() => true, () => false);
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=compile", "tools/compile.ts"],
    cwd: ROOT,
    env: { DENORT_BIN: "/nonexistent/denort", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr).trim();
  assert.equal(result.code, 1);
  assert.equal(
    stderr,
    "compile: DENORT_BIN=/nonexistent/denort is not a denort binary (no such file)",
  );
  if (!distExisted) {
    assert.equal(await Deno.stat(`${ROOT}dist`).then(() => true, () => false), false);
  }
});

Deno.test("deno task compile refuses an unknown --target before building anything", async () => {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=compile", "tools/compile.ts", "--target", "pdp11"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(result.code, 2);
  assert.match(
    new TextDecoder().decode(result.stderr),
    /^compile: unknown --target "pdp11"; one of: x86_64-unknown-linux-gnu/,
  );
});
