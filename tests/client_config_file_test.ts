/**
 * The client's config file with the real programs: its defaults are used,
 * flags override them, and a bad line stops chat-client with the file, the
 * line and the key (exit status 2) before it connects anywhere.
 */

import assert from "node:assert/strict";
import { runEntry, runServer } from "./_entry_process.ts";
import { CONFIG_FILE, CONFIG_TEMPLATE } from "../lib/client/config_file.ts";

function configDir(text?: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-client-" });
  if (text !== undefined) Deno.writeTextFileSync(`${dir}/${CONFIG_FILE}`, text);
  return dir;
}

Deno.test("chat-client: the config file's host, port and nick are used, and a flag overrides the nick", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const dir = configDir(`# mine\n\nhost = 127.0.0.1\nport = ${port}\nnick = fromfile\n`);
  {
    await using cli = runEntry("client", ["--config-dir", dir], { stdin: "piped" });
    await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, fromfile!"));
    await cli.closeStdin();
    assert.equal((await cli.finished()).code, 0, cli.stderr.join("\n"));
  }
  await using cli = runEntry("client", ["--config-dir", dir, "--nick", "fromflag"], {
    stdin: "piped",
  });
  await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, fromflag!"));
  await cli.closeStdin();
  assert.equal((await cli.finished()).code, 0, cli.stderr.join("\n"));
});

Deno.test("chat-client: a bad config line exits 2 with file:line and the key; a first run that connects creates the commented file", async () => {
  const dir = configDir("nick = ana\n# fine\ncolour = no\n");
  await using bad = runEntry("client", ["--config-dir", dir, "--host", "127.0.0.1"]);
  assert.equal((await bad.finished()).code, 2);
  assert.equal(bad.stderr.length, 1, bad.stderr.join("\n"));
  assert.match(
    bad.stderr[0],
    new RegExp(`^chat-client: ${dir}/${CONFIG_FILE}:3: unknown key "colour"`),
  );

  // Nothing written on a usage error.
  const fresh = configDir();
  // (A usage error that needs no network: without --host, chat-client would look on the LAN.)
  await using nowhere = runEntry("client", ["--config-dir", fresh, "--port", "7001"]);
  assert.equal((await nowhere.finished()).code, 2);
  assert.match(nowhere.stderr.join("\n"), /--port goes with --host/);
  assert.deepEqual([...Deno.readDirSync(fresh)], []);
  // A first run that gets going creates it, every key commented out.
  const { server, port } = await runServer();
  await using _server = server;
  await using first = runEntry("client", [
    "--config-dir",
    fresh,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
  ]);
  assert.equal((await first.finished()).code, 0, first.stderr.join("\n"));
  assert.equal(Deno.readTextFileSync(`${fresh}/${CONFIG_FILE}`), CONFIG_TEMPLATE);
});
