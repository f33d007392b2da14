/**
 * End-to-end: the real entry points under `deno run` with the permission
 * sets the compiled binaries get, talking over real sockets.
 */

import assert from "node:assert/strict";
import { runClient, runEntry, runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { NetNamespace } from "./_net_namespace.ts";
import { TextClient } from "./_text_client.ts";
import { within } from "./_waiting.ts";

Deno.test("chat-server listens on IPv4 and IPv6 by default and prints every address, loopback last, before accepting", async () => {
  // Every interface of a namespace of the test's own: its loopback, nothing else.
  await using netns = await NetNamespace.create();
  const server = runEntry("server", ["--port", "0"], { netns });
  await using _ = server;
  const line = await server.waitStdout((line) => line.startsWith("listening on [::1]:"));
  const port = Number(line.split(":").at(-1));
  assert.ok(port > 0);
  await server.waitStdout((line) => line.startsWith("open "));
  assert.deepEqual(server.stdout, [
    `listening on 127.0.0.1:${port}`,
    `listening on [::1]:${port}`,
    `open http://127.0.0.1:${port}/ in a browser`,
  ]);
  // One port, both families: a client over each joins and sees the other.
  await using ana = runEntry("client", [
    "--host",
    "127.0.0.1",
    "--port",
    `${port}`,
    "--nick",
    "ana",
  ], {
    netns,
    stdin: "piped",
  });
  await ana.waitStdout((line) => line === "Welcome to lanchat, ana!");
  await using bob = runEntry("client", ["--host", "::1", "--port", `${port}`, "--nick", "bob"], {
    netns,
    stdin: "piped",
  });
  await bob.waitStdout((line) => line === "Welcome to lanchat, bob!");
  await ana.waitStdout((line) => line.endsWith("-> bob joined #lobby"));
  await bob.write("hello over IPv6\n");
  await ana.waitStdout((line) => line.endsWith("<bob> hello over IPv6"));
});

Deno.test("line mode: a piped message reaches a client that stays connected", async () => {
  const { server, port } = await runServer(["--name", "e2e", "--motd", "be kind"]);
  await using _server = server;
  const watcher = runClient(port, "watch", [], {
    stdin: "piped",
  });
  await using _watcher = watcher;
  await watcher.waitStdout((line) => line === "Welcome to e2e, watch!");
  await watcher.waitStdout((line) => line === "motd: be kind");

  const ci = runClient(port, "ci", [], {
    stdin: "piped",
  });
  await ci.write("build done\n/me ships it\n/msg watch psst\n/nope\n");
  await ci.closeStdin();
  const status = await ci.finished();
  // The server refused "/nope": the script is told with exit status 3.
  assert.equal(status.code, 3, ci.stderr.join("\n"));
  assert.deepEqual(ci.stderr, [
    'chat-client: not everything was delivered: 1 line(s) refused by the server (the "!" lines)',
  ]);
  assert.ok(ci.stdout.some((l) => /^\[\d\d:\d\d\] <ci> build done$/.test(l)), ci.stdout.join("\n"));
  assert.ok(ci.stdout.includes('! Unknown command "/nope"; type /help for a list'));
  assert.ok(ci.stdout.includes("* Goodbye"));

  await watcher.waitStdout((l) => /^\[\d\d:\d\d\] <ci> build done$/.test(l));
  await watcher.waitStdout((l) => /^\[\d\d:\d\d\] \* ci ships it$/.test(l));
  await watcher.waitStdout((l) => /^\[\d\d:\d\d\] \[ci -> watch\] psst$/.test(l));
  await watcher.waitStdout((l) => /<- ci quit$/.test(l));
  assert.ok(
    !watcher.stdout.some((l) => l.includes("nope")),
    "a failed command answers only its sender",
  );

  await watcher.closeStdin();
  assert.equal((await watcher.finished()).code, 0);
});

Deno.test("line mode: a text client (like nc) and a line-mode client talk both ways", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using nc = await TextClient.connect(port, "nc_user");
  const cli = runClient(port, "cli", [], {
    stdin: "piped",
  });
  await using _cli = cli;
  await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, cli!"));
  await nc.sendLine("hello from nc");
  await cli.waitStdout((l) => /<nc_user> hello from nc$/.test(l));
  await cli.write("hello from the client\n");
  await nc.waitLine((l) => /^\[\d\d:\d\d\] <cli> hello from the client$/.test(l));
  await cli.closeStdin();
  assert.equal((await cli.finished()).code, 0);
});

Deno.test("SIGTERM: clients are told the server is shutting down, and it exits 0 within 2 s", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const cli = runClient(port, "cli", ["--no-reconnect"], { stdin: "piped" });
  await using _cli = cli;
  await cli.waitStdout((l) => l.startsWith("Welcome to"));
  await using nc = await TextClient.connect(port, "nc_user");
  const started = performance.now();
  server.kill("SIGTERM");
  const status = await within(2000, server.status, "server exit");
  assert.equal(status.code, 0);
  assert.ok(performance.now() - started < 2000);
  await nc.waitLine((l) => l === "* Server shutting down");
  const clientStatus = await cli.finished();
  assert.equal(clientStatus.code, 1);
  assert.ok(cli.stdout.includes("* Server shutting down"));
  assert.deepEqual(cli.stderr, ["chat-client: disconnected: Server shutting down"]);
});

Deno.test("chat-client explains an unreachable server in one line and exits 1", async () => {
  // Find a port with nothing listening: bind one, then free it.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const cli = runClient(port, "x");
  const status = await cli.finished();
  assert.equal(status.code, 1);
  assert.deepEqual(cli.stderr, [`chat-client: cannot reach 127.0.0.1:${port}: connection refused`]);
});

Deno.test("chat-client reports a taken nick in one line and exits 1", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using _ana = await NativeClient.connect(port, "ana");
  const cli = runClient(port, "ANA");
  const status = await cli.finished();
  assert.equal(status.code, 1);
  assert.deepEqual(cli.stderr, [
    `chat-client: cannot join 127.0.0.1:${port}: Nick "ANA" is taken; try "ANA_"`,
  ]);
});

Deno.test("both programs reject unknown flags and bad values with one line and exit 2", async () => {
  const cases: [("server" | "client"), string[], RegExp][] = [
    ["server", ["--bogus"], /^chat-server: unknown flag "--bogus"; see --help$/],
    [
      "server",
      ["--port", "70000"],
      /^chat-server: --port must be a whole number from 0 to 65535, got "70000"$/,
    ],
    ["server", ["--history", "-1"], /^chat-server: /],
    ["server", ["--max-clients", "0"], /^chat-server: --max-clients must be/],
    ["client", ["--json"], /^chat-client: --json goes with --list$/],
    ["client", ["--port", "7000"], /^chat-client: --port goes with --host/],
    ["client", ["--server", "office", "--host", "x"], /^chat-client: --server finds the server/],
    ["client", ["--host", "x", "--port", "abc"], /^chat-client: --port must be a whole number/],
    ["client", ["--host", "x", "extra"], /^chat-client: unexpected argument "extra"/],
    // TLS flags (these runs keep TLS on, the programs' default).
    ["server", ["--plain", "--cert", "c.pem"], /^chat-server: --plain turns TLS off; it cannot/],
    ["server", ["--cert", "c.pem"], /^chat-server: --cert and --key go together/],
    ["client", ["--host", "x", "--plain", "--accept-new"], /^chat-client: --plain turns TLS off/],
    ["client", ["--host", "x", "--fingerprint", "SHA256:x"], /^chat-client: --fingerprint must/],
    [
      "client",
      ["--forget-host", "x:99999"],
      /^chat-client: --forget-host: "99999" in "x:99999" is not a port/,
    ],
    ["client", ["--host", "[::1"], /^chat-client: --host: "\[::1" has an unclosed "\["$/],
    [
      "client",
      ["--host", "x:80", "--port", "81"],
      /^chat-client: --host names port 80 but --port says 81$/,
    ],
    ["server", ["--host", "300.1.1.1"], /^chat-server: --host "300.1.1.1" is not an IPv4 address/],
    ["server", ["--host", "[::1"], /^chat-server: --host "\[::1" is not an address: brackets go/],
    ["server", ["--host", "a b"], /^chat-server: --host "a b" is neither an IP address nor a host/],
    // npm users write flags after "--"; it is accepted, so the bad value is what is reported.
    ["server", ["--", "--port", "70000"], /^chat-server: --port must be a whole number/],
    ["client", ["--", "--host", "x", "--port", "abc"], /^chat-client: --port must be a whole/],
    // A bad value quoted back shows its controls as escapes: it cannot drive the terminal.
    ["server", ["--name", "a\x1b[2Jb"], /^chat-server: --name must .*got "a\\x1b\[2Jb"$/],
    ["client", ["--bogus\x1b]0;x\x07"], /^chat-client: unknown flag "--bogus\\x1b\]0;x\\x07"/],
  ];
  for (const [entry, args, expected] of cases) {
    const process = runEntry(entry, args, { tls: true });
    const status = await process.finished();
    assert.equal(status.code, 2, `${entry} ${args.join(" ")}`);
    assert.equal(process.stderr.length, 1, process.stderr.join("\n"));
    assert.match(process.stderr[0], expected);
  }
});

Deno.test("--help and --version answer without starting anything", async () => {
  for (const entry of ["server", "client"] as const) {
    const help = runEntry(entry, ["--help"]);
    assert.equal((await help.finished()).code, 0);
    assert.match(help.stdout.join("\n"), /--port <n>/);
    const version = runEntry(entry, ["--version"]);
    assert.equal((await version.finished()).code, 0);
    assert.match(version.stdout[0], new RegExp(`^chat-${entry} \\d+\\.\\d+\\.\\d+$`));
  }
});

Deno.test("line mode reconnects after a server restart, keeps nick and room, and sends what was typed meanwhile", async () => {
  const first = await runServer();
  const port = first.port;
  const cli = runClient(port, "keeper", [], {
    stdin: "piped",
  });
  await using _cli = cli;
  await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, keeper!"));
  await cli.write("/join #ops\n");
  await cli.waitStdout((l) => l.startsWith("You are in #ops"));
  first.server.kill("SIGTERM");
  await first.server.finished();
  await cli.waitStdout((l) => l === "* Server shutting down");
  await cli.waitStdout((l) => l.startsWith("* Disconnected; reconnecting in"));
  // Typed while the server is down.
  await cli.write("written while offline\n");

  const second = runEntry("server", ["--host", "127.0.0.1", "--port", String(port)]);
  await using _second = second;
  await second.waitStdout((l) => l.startsWith("listening on 127.0.0.1:"));
  await using watcher = await NativeClient.connect(port, "watcher");
  await watcher.send({ type: "cmd", name: "join", args: "#ops" });
  const got = await watcher.next("msg", (e) => e.from === "keeper", 0);
  assert.deepEqual([got.room, got.text], ["#ops", "written while offline"]);
  await cli.waitStdout((l) => l === "* Reconnected");
  await cli.closeStdin();
  assert.equal((await cli.finished(20_000)).code, 0, cli.stderr.join("\n"));
});

Deno.test("line mode: a too-long input line is skipped with a notice and the rest is still sent", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using watcher = await NativeClient.connect(port, "watcher");
  const cli = runClient(port, "piper", [], { stdin: "piped" });
  await cli.write(`before\n${"x".repeat(70_000)}\nafter\n`);
  await cli.closeStdin();
  assert.equal((await cli.finished()).code, 3, cli.stderr.join("\n"));
  assert.deepEqual(cli.stderr, [
    "chat-client: skipped an input line longer than 65536 bytes",
    "chat-client: not everything was delivered: 1 line(s) skipped",
  ]);
  await watcher.next("msg", (e) => e.text === "after");
  assert.deepEqual(
    watcher.events.flatMap((e) => e.type === "msg" ? [e.text] : []),
    ["before", "after"],
  );
});

Deno.test("line mode: a piped burst is paced under the rate limit and fully delivered", async () => {
  const { server, port } = await runServer(["--rate", "20", "--burst", "5"]);
  await using _server = server;
  await using watcher = await NativeClient.connect(port, "watcher");
  const cli = runClient(port, "burst", [], { stdin: "piped" });
  const lines = Array.from({ length: 40 }, (_, i) => `burst ${i}`);
  await cli.write(lines.join("\n") + "\n");
  await cli.closeStdin();
  assert.equal((await cli.finished(20_000)).code, 0, cli.stderr.join("\n"));
  await watcher.next("msg", (e) => e.text === "burst 39");
  assert.deepEqual(watcher.events.flatMap((e) => e.type === "msg" ? [e.text] : []), lines);
  assert.ok(!cli.stdout.some((l) => l.startsWith("! Slow down")), cli.stdout.join("\n"));
});

Deno.test("/help of a command that does not exist says so and points to /help, in line mode and over nc", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const cli = runClient(port, "cli", [], { stdin: "piped" });
  await using _cli = cli;
  await cli.waitStdout((l) => l.startsWith("Welcome to lanchat, cli!"));
  await cli.write("/help nope\n/help jion\n/help send\n");
  await cli.closeStdin();
  assert.equal((await cli.finished()).code, 3, cli.stderr.join("\n"));
  const refused = cli.stdout.filter((l) => l.startsWith("! "));
  assert.deepEqual(refused, [
    '! No command "/nope" to explain; type /help alone for the list of commands',
    '! No command "/jion" to explain (did you mean /join?); type /help alone for the list of commands',
  ]);
  // /send is the client's own verb: its row, not the server's refusal.
  assert.ok(cli.stdout.some((l) => /^\/send .*share a file/.test(l)), cli.stdout.join("\n"));
  await using nc = await TextClient.connect(port, "nc_user");
  await nc.sendLine("/help nope");
  await nc.waitLine((l) =>
    l === '! No command "/nope" to explain; type /help alone for the list of commands'
  );
});
