/**
 * Line mode as a script sees it: the real `client.ts` with stdin from a
 * pipe, against the real `server.ts`. Its exit status tells what happened,
 * and its output splits into events line by line.
 */

import assert from "node:assert/strict";
import { ROOT, runClient, runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { within } from "./_waiting.ts";

/**
 * A line-mode client (`--give-up-after 1`) whose server was killed after
 * its welcome: it is reconnecting, its stdin still open.
 */
async function clientOfVanishedServer() {
  const { server, port } = await runServer();
  const cli = runClient(port, "ci", ["--give-up-after", "1"], { stdin: "piped" });
  await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, ci!"));
  server.kill("SIGKILL");
  await server.finished();
  await cli.waitStdout((l) => l.startsWith("* Disconnected; reconnecting in"));
  return cli;
}

Deno.test("line mode: a server that went away for good ends the client with status 1, after --give-up-after", async () => {
  // Nothing to deliver but the quit (a line might still wait for its confirmation).
  await using cli = await clientOfVanishedServer();
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
  await using cli = await clientOfVanishedServer();
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

Deno.test("line mode: replaced by a new connection with the same key, the client says so once and exits 4", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const configDir = await Deno.makeTempDir({ prefix: "lanchat-same-key-" });
  try {
    await using watcher = await NativeClient.connect(port, "watcher");
    await using first = runClient(port, "ana", ["--config-dir", configDir], { stdin: "piped" });
    await first.write("before the other one\n");
    await first.waitStdout((l) => l.endsWith("<ana> before the other one"));
    await using second = runClient(port, "ana", ["--config-dir", configDir], { stdin: "piped" });
    await second.waitStdout((l) => l === "Welcome to lanchat, ana!");
    const status = await first.finished();
    assert.equal(status.code, 4, first.stderr.join("\n"));
    assert.deepEqual(
      first.stdout.filter((l) => l.includes("Replaced by a new connection")),
      ["* Replaced by a new connection with your key"],
    );
    assert.deepEqual(first.stderr, [
      "chat-client: replaced by a new connection with your key; every line read was delivered; the rest of the input was not read",
    ]);
    await watcher.next("msg", (e) => e.text === "before the other one");
  } finally {
    await Deno.remove(configDir, { recursive: true });
  }
});

Deno.test("line mode: lines after /quit are not sent, and said so, with status 3", async () => {
  await using server = await startServer();
  await using watcher = await NativeClient.connect(server.addr.port, "watcher");
  await using cli = runClient(server.addr.port, "ci", [], { stdin: "piped" });
  // One write: the lines after /quit are there before the goodbye is.
  await cli.write("hi\n/quit bye\nafter quit\nand more\n");
  const status = await cli.finished();
  assert.equal(status.code, 3, cli.stderr.join("\n"));
  assert.deepEqual(cli.stderr, [
    "chat-client: not everything was delivered: 2 line(s) after /quit not sent",
  ]);
  assert.equal(cli.stdout.at(-1), "* Goodbye");
  const leave = await watcher.next("leave", (e) => e.nick === "ci");
  assert.deepEqual([leave.reason, leave.message], ["quit", "bye"]);
  assert.deepEqual(watcher.events.flatMap((e) => e.type === "msg" ? [e.text] : []), ["hi"]);
});

Deno.test("line mode: /exit and /bye end it like /quit: what follows is not sent", async () => {
  await using server = await startServer();
  for (const quit of ["/EXIT", "/bye see you"]) {
    await using cli = runClient(server.addr.port, "ci", [], { stdin: "piped" });
    await cli.write(`hi\n${quit}\nlate\n`);
    assert.equal((await cli.finished()).code, 3, quit);
    assert.deepEqual(cli.stderr, [
      "chat-client: not everything was delivered: 1 line(s) after /quit not sent",
    ]);
  }
});

Deno.test("line mode: when nobody reads its output any more (| head), it leaves quietly with status 0", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using watcher = await NativeClient.connect(port, "watcher");
  const configDir = Deno.makeTempDirSync({ prefix: "lanchat-client-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-q", "-P=client", "client.ts", "--host", "127.0.0.1", "--port", String(port)],
      ...["--nick", "ci", "--plain", "--config-dir", configDir],
    ],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let errors = "";
  const readingErrors = (async () => {
    while (true) {
      const { value, done } = await stderr.read();
      if (done) return;
      errors += value;
    }
  })();
  try {
    // Like `| head -1`: read the first line, then close the pipe.
    const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) first += (await stdout.read()).value ?? "";
    assert.match(first, /^Welcome to lanchat, ci!/);
    await stdout.cancel();
    await watcher.next("join", (e) => e.nick === "ci");
    // Something to print, into the closed pipe.
    await watcher.send({ type: "msg", text: "anyone reading?" });
    const status = await within(10_000, child.status, "the client to exit");
    await readingErrors;
    assert.deepEqual([status.code, errors], [0, ""]);
    const leave = await watcher.next("leave", (e) => e.nick === "ci");
    assert.equal(leave.reason, "quit", "it left cleanly");
  } finally {
    await child.stdin.close().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await child.status;
    await readingErrors;
    await Deno.remove(configDir, { recursive: true });
  }
});

Deno.test("line mode: a reconnect the server refuses (the nick was taken meanwhile) is shown as a refusal, and the give-up line names it", async () => {
  const first = await startServer();
  const port = first.addr.port;
  await using cli = runClient(port, "grab2", ["--give-up-after", "2"], { stdin: "piped" });
  await cli.waitStdout((l) => l === "Welcome to lanchat, grab2!");
  await first.shutdown();
  // After the second failed attempt the next one is a second or more away:
  // time for someone else to take the nick on the restarted server.
  await cli.waitStdout((l) => /^\* Still offline \(attempt 2: /.test(l));
  await using second = await startServer({ port });
  await using thief = await TextClient.connect(port, "grab2");
  const refused = await cli.waitStdout((l) => l.startsWith("* Refused: "), 15_000);
  assert.match(
    refused,
    /^\* Refused: Nick "grab2" is taken; try "grab2_"; retrying in \d+\.\d s \(or \/nick <nick> to come back under another nick\)$/,
  );
  assert.ok(!cli.stdout.some((l) => /attempt [3-9]/.test(l)), cli.stdout.join("\n"));
  await cli.write("never delivered\n");
  await cli.closeStdin();
  assert.equal((await cli.finished(20_000)).code, 1, cli.stderr.join("\n"));
  assert.deepEqual(cli.stderr, [
    'chat-client: gave up: the server refused to take the client back within 2 s (Nick "grab2" is taken; try "grab2_"); 1 line(s) were not sent',
  ]);
  // The nick stayed with the one who took it; the client never switched to another.
  assert.ok(!thief.ended);
  assert.doesNotMatch(second.hub.member("grab2")?.client ?? "", /chat-client/);
  assert.equal(second.hub.size, 1);
});
