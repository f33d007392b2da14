/**
 * The paths typed to `/send` in chat-client started as the README says, with
 * `deno task client` from a directory of the user's: read there, not in the
 * checkout `deno task` runs the client in; and a path its permissions do
 * not cover is refused in words that say so.
 */

import assert from "node:assert/strict";
import { EntryProcess, ROOT, runServer } from "./_entry_process.ts";

/**
 * This environment without `INIT_CWD`: a test run by `deno task test` has it, and `deno task`
 * keeps one it inherits; the client must see the one its own `deno task` sets.
 */
function environment(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  return { ...env, NO_COLOR: "1" };
}

/** `deno task client` typed in `directory`, to the server on `port`, its stdin a pipe. */
function taskClient(directory: string, port: number, nick: string): EntryProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "-q",
      "--config",
      `${ROOT}deno.json`,
      "client",
      ...["--host", "127.0.0.1", "--port", String(port), "--plain", "--nick", nick],
      ...["--config-dir", Deno.makeTempDirSync({ prefix: "lanchat-client-" })],
    ],
    cwd: directory,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: environment(),
  }).spawn();
  return new EntryProcess(child, true);
}

Deno.test("deno task client: /send of a relative path reads it in the directory the task was typed in", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const home = await Deno.makeTempDir({ prefix: "lanchat-user-" });
  try {
    await Deno.writeTextFile(`${home}/notes.txt`, "from the user's directory\n");
    await using ana = taskClient(home, port, "ana");
    await ana.waitStdout((l) => l === "Welcome to lanchat, ana!");
    // deno.json is the checkout's, not the user's: never sent in place of theirs.
    await ana.write("/send notes.txt\n/send ./notes.txt\n/send deno.json\n");
    await ana.closeStdin();
    assert.equal((await ana.finished()).code, 5, ana.stderr.join("\n"));
    assert.equal(ana.stdout.filter((l) => l === "* sent notes.txt (26 B) to #lobby").length, 2);
    assert.ok(!ana.stdout.some((l) => l.includes("deno.json")), ana.stdout.join("\n"));
    assert.ok(
      ana.stderr.includes(
        `chat-client: sending deno.json failed: cannot read deno.json (${home}/deno.json): ` +
          "no such file or directory",
      ),
      ana.stderr.join("\n"),
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("chat-client: /send of a path its read permission does not cover is refused, saying so", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const home = await Deno.makeTempDir({ prefix: "lanchat-user-" });
  const config = await Deno.makeTempDir({ prefix: "lanchat-client-" });
  try {
    await Deno.writeTextFile(`${home}/notes.txt`, "outside\n");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--allow-sys",
        `--allow-read=${ROOT},${config}`,
        `--allow-write=${config}`,
        "client.ts",
        ...["--host", "127.0.0.1", "--port", String(port), "--plain", "--nick", "ana"],
        ...["--config-dir", config],
      ],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: environment(),
    }).spawn();
    await using ana = new EntryProcess(child, true);
    await ana.waitStdout((l) => l === "Welcome to lanchat, ana!");
    await ana.write(`/send ${home}/notes.txt\n`);
    await ana.closeStdin();
    assert.equal((await ana.finished()).code, 5, ana.stderr.join("\n"));
    assert.ok(
      ana.stderr.includes(
        `chat-client: sending notes.txt failed: cannot read ${home}/notes.txt: ` +
          "chat-client's read permission does not cover it (deno run --allow-read, or -P=client)",
      ),
      ana.stderr.join("\n"),
    );
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(config, { recursive: true });
  }
});
