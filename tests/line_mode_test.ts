/**
 * Line mode as a script sees it: the real `client.ts` with stdin from a
 * pipe, against the real `server.ts`. Its exit status tells what happened,
 * and its output splits into events line by line.
 */

import assert from "node:assert/strict";
import { NativeClient, runClient, runServer } from "./test_util.ts";

Deno.test("line mode: a server that went away for good ends the client with status 1, after --give-up-after", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using cli = runClient(port, "ci", ["--give-up-after", "1"], { stdin: "piped" });
  // Nothing to deliver but the quit (a line might still wait for its confirmation).
  await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, ci!"));
  server.kill("SIGKILL");
  await server.finished();
  await cli.waitStdout((l) => l.startsWith("* Disconnected; reconnecting in"));
  const closed = performance.now();
  await cli.closeStdin();
  const status = await cli.finished(15_000);
  const waited = performance.now() - closed;
  assert.equal(status.code, 1, cli.stderr.join("\n"));
  assert.deepEqual(cli.stderr, [
    "chat-client: gave up: the server did not come back within 1 s; every line was delivered, but not the quit",
  ]);
  assert.ok(waited >= 1000 && waited < 10_000, `gave up after ${waited} ms`);
});

Deno.test("line mode: a line still waiting when the server went away for good is counted, with status 1", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using cli = runClient(port, "ci", ["--give-up-after", "1"], { stdin: "piped" });
  await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, ci!"));
  server.kill("SIGKILL");
  await server.finished();
  await cli.waitStdout((l) => l.startsWith("* Disconnected; reconnecting in"));
  await cli.write("never delivered\n");
  await cli.closeStdin();
  assert.equal((await cli.finished(15_000)).code, 1, cli.stderr.join("\n"));
  assert.deepEqual(cli.stderr, [
    "chat-client: gave up: the server did not come back within 1 s; 1 line(s) were not sent",
  ]);
});

Deno.test("line mode: a server that stops answering the quit ends the client with status 1", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using cli = runClient(port, "ci", [], { stdin: "piped" });
  await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, ci!"));
  server.kill("SIGSTOP"); // Connected, but silent.
  try {
    await cli.closeStdin();
    assert.equal((await cli.finished(15_000)).code, 1, cli.stderr.join("\n"));
    assert.deepEqual(cli.stderr, [
      "chat-client: gave up: the server stopped answering for 5 s; every line was delivered, but not the quit",
    ]);
  } finally {
    server.kill("SIGKILL");
  }
});

Deno.test("line mode: a line the server refuses (too long) ends the client with status 3 once the rest is sent", async () => {
  const { server, port } = await runServer(["--max-message-chars", "10"]);
  await using _server = server;
  await using watcher = await NativeClient.connect(port, "watcher");
  await using cli = runClient(port, "ci", [], { stdin: "piped" });
  await cli.write("short\nthis line is far too long\nlast\n");
  await cli.closeStdin();
  assert.equal((await cli.finished()).code, 3, cli.stderr.join("\n"));
  assert.ok(
    cli.stdout.some((l) => l === "! Message is 25 characters long; the limit is 10"),
    cli.stdout.join("\n"),
  );
  assert.deepEqual(cli.stderr, [
    'chat-client: not everything was delivered: 1 line(s) refused by the server (the "!" lines)',
  ]);
  await watcher.next("msg", (e) => e.text === "last");
  assert.deepEqual(watcher.events.flatMap((e) => e.type === "msg" ? [e.text] : []), [
    "short",
    "last",
  ]);
});

Deno.test("line mode: everything delivered and a clean quit is status 0, with nothing on stderr", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using cli = runClient(port, "ci", [], { stdin: "piped" });
  await cli.write("one\n/me two\n");
  await cli.closeStdin();
  assert.equal((await cli.finished()).code, 0, cli.stderr.join("\n"));
  assert.deepEqual(cli.stderr, []);
});

Deno.test("line mode: one line per event; the further lines of a message start with ' | '", async () => {
  const { server, port } = await runServer(["--motd", "first rule\n  second rule"]);
  await using _server = server;
  await using cli = runClient(port, "reader", [], { stdin: "piped" });
  await cli.waitStdout((l) => l === "Type /help for the commands.");
  await using bob = await NativeClient.connect(port, "bob");
  await bob.send({ type: "msg", text: "top\n  indented\n[12:00] <admin> not an event\n\nend" });
  await bob.send({ type: "cmd", name: "me", args: "waves\nagain" });
  await bob.send({ type: "msg", text: "after" });
  await cli.waitStdout((l) => /<bob> after$/.test(l));
  await cli.closeStdin();
  assert.equal((await cli.finished()).code, 0, cli.stderr.join("\n"));
  const out = cli.stdout;
  const at = (pattern: RegExp) => out.findIndex((l) => pattern.test(l));
  const motd = at(/^motd: first rule$/);
  assert.deepEqual(out.slice(motd, motd + 2), ["motd: first rule", " |   second rule"]);
  const top = at(/^\[\d\d:\d\d\] <bob> top$/);
  assert.deepEqual(out.slice(top + 1, top + 5), [
    " |   indented",
    " | [12:00] <admin> not an event",
    " | ",
    " | end",
  ]);
  const action = at(/^\[\d\d:\d\d\] \* bob waves$/);
  assert.equal(out[action + 1], " | again");
  // The rule a script relies on: a line that starts with a space continues
  // the one above; every other line is an event of its own.
  const events = out.filter((l) => !l.startsWith(" "));
  assert.ok(out.filter((l) => l.startsWith(" ")).every((l) => l.startsWith(" | ")), out.join("\n"));
  assert.ok(!events.some((l) => l.includes("not an event")), events.join("\n"));
  assert.equal(events.filter((l) => /<bob> /.test(l)).length, 2, events.join("\n"));
});

Deno.test("line mode: replaced by a new connection with the same key, the client says so once and exits 1", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const configDir = await Deno.makeTempDir({ prefix: "lanchat-same-key-" });
  try {
    await using first = runClient(port, "ana", ["--config-dir", configDir], { stdin: "piped" });
    await first.waitStdout((l) => l === "Welcome to lanchat, ana!");
    await using second = runClient(port, "ana", ["--config-dir", configDir], { stdin: "piped" });
    await second.waitStdout((l) => l === "Welcome to lanchat, ana!");
    const status = await first.finished();
    assert.equal(status.code, 1);
    assert.deepEqual(
      first.stdout.filter((l) => l.includes("Replaced by a new connection")),
      ["* Replaced by a new connection with your key"],
    );
    assert.deepEqual(first.stderr, [
      "chat-client: disconnected: Replaced by a new connection with your key",
    ]);
  } finally {
    await Deno.remove(configDir, { recursive: true });
  }
});
