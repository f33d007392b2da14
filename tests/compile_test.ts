/**
 * `deno task compile`: every built binary is run with `--version` before it
 * goes into dist/, and a build that did not produce lanchat's programs fails
 * loudly and leaves nothing misleading behind.
 *
 * A real build cannot be made here: `deno compile` needs a denort binary (the
 * runtime it builds on), which it downloads from the internet, and no package
 * registry this machine reaches carries one. So the success path of
 * {@linkcode checkBinary} is tested with a real program that is ours (a
 * launcher that runs server.ts, which prints lanchat's own version line), and
 * the failure paths with real builds on the wrong base binary (the deno CLI)
 * and with real programs that are not ours.
 */

import assert from "node:assert/strict";
import { ROOT } from "./_entry_process.ts";
import { checkBinary } from "../tools/compile.ts";
import { VERSION } from "../lib/version.ts";

const decoder = new TextDecoder();
const DENO_VERSION_LINE = `deno ${Deno.version.deno} (stable, release, ${Deno.build.target})`;

function compile(args: string[], denort: string): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=compile", "tools/compile.ts", ...args],
    cwd: ROOT,
    env: { DENORT_BIN: denort, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** An executable shell script in a fresh temporary directory. */
function script(name: string, body: string, mode = 0o755): string {
  const path = `${Deno.makeTempDirSync({ prefix: "lanchat-compile-" })}/${name}`;
  Deno.writeTextFileSync(path, `#!/bin/sh\n${body}\n`);
  Deno.chmodSync(path, mode);
  return path;
}

/** A program that is ours: it runs `<entry>.ts` from this checkout with its permission set. */
function launcher(entry: "server" | "client"): string {
  return script(
    `chat-${entry}`,
    `exec '${Deno.execPath()}' run -q -P=${entry} --config '${ROOT}deno.json' '${ROOT}${entry}.ts' "$@"`,
  );
}

Deno.test("deno task compile on the deno CLI instead of denort fails, names the file and what it printed, and makes no dist/", async () => {
  const distExisted = exists(`${ROOT}dist`);
  const result = await compile([], Deno.execPath());
  const stderr = decoder.decode(result.stderr).trim().split("\n");
  assert.equal(result.code, 1, stderr.join("\n"));
  assert.equal(decoder.decode(result.stdout), "", "nothing claims it was built");
  assert.deepEqual(stderr.slice(0, 2), [
    `compile: the built dist/chat-server is not lanchat's chat-server: --version printed "${DENO_VERSION_LINE}" (exit status 0), not "chat-server ${VERSION}"`,
    `compile: DENORT_BIN=${Deno.execPath()} is the deno CLI, not a denort binary (the runtime deno compile builds on)`,
  ]);
  if (distExisted) {
    assert.deepEqual(
      [...Deno.readDirSync(`${ROOT}dist`)].filter((entry) => entry.name.startsWith(".building-")),
      [],
      "no staging directory is left in dist/",
    );
    assert.equal(stderr.at(-1), "compile: nothing of this build was put into dist/");
  } else {
    assert.equal(exists(`${ROOT}dist`), false, "dist/ was left behind");
    assert.equal(stderr.at(-1), "compile: no dist/ was made");
    assert.equal(stderr.length, 3);
  }
});

Deno.test("deno task compile that fails keeps an earlier build that is ours and removes one that is not", async () => {
  const out = Deno.makeTempDirSync({ prefix: "lanchat-dist-" });
  // An earlier build from before this check: the deno CLI under our name.
  Deno.copyFileSync(script("deno", `exec '${Deno.execPath()}' "$@"`), `${out}/chat-server`);
  // An earlier build that is ours.
  Deno.copyFileSync(launcher("client"), `${out}/chat-client`);
  const result = await compile(["--out-dir", out], Deno.execPath());
  const stderr = decoder.decode(result.stderr).trim().split("\n");
  assert.equal(result.code, 1, stderr.join("\n"));
  assert.deepEqual(stderr.slice(2), [
    `compile: removed ${out}/chat-server from an earlier build: it is not lanchat's either (--version printed "${DENO_VERSION_LINE}" (exit status 0), not "chat-server ${VERSION}")`,
    `compile: ${out}/chat-client is from an earlier build (it says chat-client ${VERSION})`,
    `compile: nothing of this build was put into ${out}/`,
  ]);
  assert.deepEqual([...Deno.readDirSync(out)].map((entry) => entry.name), ["chat-client"]);
});

Deno.test("deno task compile with an unusable DENORT_BIN says so, exits 1 and makes no output directory", async () => {
  const out = `${Deno.makeTempDirSync({ prefix: "lanchat-dist-" })}/dist`;
  const result = await compile(["--out-dir", out], "/nonexistent/denort");
  assert.equal(result.code, 1);
  assert.deepEqual(decoder.decode(result.stderr).trim().split("\n"), [
    "compile: DENORT_BIN=/nonexistent/denort is not a denort binary (no such file)",
    `compile: no ${out}/ was made`,
  ]);
  assert.equal(exists(out), false);
});

Deno.test("deno task compile refuses an unknown --target before building anything", async () => {
  const result = await compile(["--target", "pdp11"], "/nonexistent/denort");
  assert.equal(result.code, 2);
  assert.match(
    decoder.decode(result.stderr),
    /^compile: unknown --target "pdp11"; one of: x86_64-unknown-linux-gnu/,
  );
});

Deno.test("checkBinary() accepts a program that prints lanchat's own version line", async () => {
  assert.deepEqual(await checkBinary(launcher("server"), `chat-server ${VERSION}`), { ok: true });
  // The same program is not the client.
  const wrong = await checkBinary(launcher("server"), `chat-client ${VERSION}`);
  assert.equal(wrong.ok, false);
});

Deno.test("checkBinary() refuses programs that are not ours, saying what they did", async () => {
  const expected = `chat-server ${VERSION}`;
  assert.deepEqual(await checkBinary(Deno.execPath(), expected), {
    ok: false,
    problem: `printed "${DENO_VERSION_LINE}" (exit status 0), not "${expected}"`,
    firstLine: DENO_VERSION_LINE,
  });
  assert.deepEqual(await checkBinary(script("fails", "echo broken >&2; exit 3"), expected), {
    ok: false,
    problem: `printed nothing on stdout, and on stderr "broken" (exit status 3), not "${expected}"`,
  });
  // The right line and a failure status is not ours either.
  assert.deepEqual(await checkBinary(script("lies", `echo '${expected}'; exit 1`), expected), {
    ok: false,
    problem: `printed "${expected}" (exit status 1), not "${expected}"`,
    firstLine: expected,
  });
  assert.deepEqual(await checkBinary(script("quiet", "exit 0"), expected), {
    ok: false,
    problem: `printed nothing (exit status 0), not "${expected}"`,
  });
  assert.deepEqual(await checkBinary(script("not-executable", "exit 0", 0o644), expected), {
    ok: false,
    problem: "could not be run: permission denied",
  });
  assert.deepEqual(await checkBinary("/nonexistent/chat-server", expected), {
    ok: false,
    problem: "could not be run: no such file or directory",
  });
});

Deno.test("checkBinary() stops a program that does not answer --version in time", async () => {
  const check = await checkBinary(script("hangs", "exec sleep 600"), "chat-server", {
    timeoutMs: 200,
  });
  assert.deepEqual(check, {
    ok: false,
    problem: "did not answer --version within 0.2 s (it was stopped)",
  });
});
