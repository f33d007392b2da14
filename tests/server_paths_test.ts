/**
 * The paths given to chat-server started as the README says, with
 * `deno task start` from a directory of the user's: `--data-dir ./data` is
 * that directory's, not the checkout's that `deno task` runs the server in,
 * for the server and for `chat-server export`; and plain `deno run` keeps
 * reading them where it runs.
 */

import assert from "node:assert/strict";
import { EntryProcess, ROOT } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";

/**
 * This environment without `INIT_CWD`, plus `extra`: a test run by `deno task test` has it, and
 * `deno task` keeps one it inherits; the server must see the one its own `deno task` sets.
 */
function environment(extra: Record<string, string> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Runs deno with `args` in `directory`. */
function deno(directory: string, args: string[], env = environment()): EntryProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: directory,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env,
  }).spawn();
  return new EntryProcess(child, false);
}

/** `deno task start <args>` typed in `directory`. */
function taskStart(directory: string, args: string[]): EntryProcess {
  return deno(directory, ["task", "-q", "--config", `${ROOT}deno.json`, "start", ...args]);
}

const SERVE = ["--host", "127.0.0.1", "--port", "0", "--plain", "--no-discovery"];

/** The port of a server's `listening on 127.0.0.1:<port>` line. */
async function listeningPort(server: EntryProcess): Promise<number> {
  const line = await server.waitStdout((l) => l.startsWith("listening on 127.0.0.1:"));
  return Number(line.split(":").at(-1));
}

/** Stops a server with SIGTERM, as Ctrl-C would, and checks that it shut down cleanly. */
async function stop(server: EntryProcess): Promise<void> {
  server.kill("SIGTERM");
  assert.equal((await server.finished()).code, 0, server.stderr.join("\n"));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A fresh directory of the user's, and a data directory name the checkout does not have. */
async function withUserDirectory(run: (home: string, data: string) => Promise<void>) {
  const home = await Deno.makeTempDir({ prefix: "lanchat-user-" });
  const data = `lanchat-data-${crypto.randomUUID().slice(0, 8)}`;
  assert.ok(!await exists(`${ROOT}${data}`));
  try {
    await run(home, data);
  } finally {
    await Deno.remove(home, { recursive: true });
    // Where the defect put it: never left in the checkout.
    await Deno.remove(`${ROOT}${data}`, { recursive: true }).catch(() => {});
  }
}

Deno.test("deno task start: a relative --data-dir is in the directory the task was typed in, also for export", () =>
  withUserDirectory(async (home, data) => {
    await using server = taskStart(home, [...SERVE, "--data-dir", `./${data}`]);
    const port = await listeningPort(server);
    {
      await using ana = await NativeClient.connect(port, "ana");
      await ana.send({ type: "msg", text: "kept in the user's directory" });
      await ana.next("msg", (e) => e.text === "kept in the user's directory");
    }
    await stop(server);
    assert.ok(await exists(`${home}/${data}/history.db`), `no ${home}/${data}/history.db`);
    assert.ok(!await exists(`${ROOT}${data}`), `the server wrote ${ROOT}${data}`);

    await using exporter = taskStart(home, [
      "export",
      ...["--room", "#lobby", "--format", "text", "--data-dir", data],
    ]);
    assert.equal((await exporter.finished()).code, 0, exporter.stderr.join("\n"));
    assert.match(exporter.stdout.join("\n"), /<ana> kept in the user's directory$/);
    assert.ok(!await exists(`${ROOT}${data}`), `export made ${ROOT}${data}`);
  }));

Deno.test("deno run server.ts reads a relative --data-dir where it runs, whatever INIT_CWD says", () =>
  withUserDirectory(async (home, data) => {
    const elsewhere = await Deno.makeTempDir({ prefix: "lanchat-elsewhere-" });
    try {
      // An INIT_CWD inherited from an outer `deno task` or `npm run` is not this run's.
      await using server = deno(
        home,
        [
          "run",
          "-q",
          "--config",
          `${ROOT}deno.json`,
          "-P=server",
          `${ROOT}server.ts`,
          ...SERVE,
          "--data-dir",
          data,
        ],
        environment({ INIT_CWD: elsewhere }),
      );
      await listeningPort(server);
      await stop(server);
      assert.ok(await exists(`${home}/${data}/history.db`), `no ${home}/${data}/history.db`);
      assert.ok(!await exists(`${elsewhere}/${data}`), `the server wrote ${elsewhere}/${data}`);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  }));
