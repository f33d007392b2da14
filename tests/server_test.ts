import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { connectStalled, NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { delay, until, within } from "./_waiting.ts";

Deno.test("two native clients chat in #lobby and see the same ids in the same order", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using bob = await NativeClient.connect(port, "bob");
  await ana.next("join", (e) => e.nick === "bob");
  for (let i = 0; i < 20; i++) {
    await (i % 2 ? ana : bob).send({ type: "msg", text: `m${i}` });
  }
  // The two send on two connections, so m18 may reach the server after m19:
  // wait for all twenty on both sides, not for the last one sent.
  const messages = (c: NativeClient) => c.events.filter((e) => e.type === "msg").length;
  await until(() => messages(ana) === 20 && messages(bob) === 20);
  const seen = (c: NativeClient) =>
    c.events.filter((e) => e.type === "msg").map((e) => e.type === "msg" && `${e.id}:${e.text}`);
  assert.deepEqual(seen(ana), seen(bob));
  const ids = ana.events.flatMap((e) => e.type === "msg" ? [e.id] : []);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(new Set(ids).size, 20);
});

Deno.test("a private message reaches only its sender and recipient", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using bob = await NativeClient.connect(port, "bob");
  await using eve = await NativeClient.connect(port, "eve");
  await ana.send({ type: "cmd", name: "msg", args: "BOB psst, secret" });
  const got = await bob.next("dm");
  assert.deepEqual([got.from, got.to, got.text], ["ana", "bob", "psst, secret"]);
  await ana.next("dm", (e) => e.text === "psst, secret");
  // A later public message proves eve's stream got past the DM's moment.
  await ana.send({ type: "msg", text: "public" });
  await eve.next("msg", (e) => e.text === "public");
  assert.ok(!eve.lines.some((line) => line.includes("secret")));
});

Deno.test("a nick clash is refused with a suggestion, and the same connection may retry", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using _ana = await NativeClient.connect(port, "Ana");
  await using other = await NativeClient.connect(port);
  await other.send({ type: "hello", protocol: 1, nick: "ana", client: "test" });
  const error = await other.next("error");
  assert.equal(error.code, "nick_taken");
  assert.match(error.message, /Nick "ana" is taken; try "ana_"/);
  await other.send({ type: "hello", protocol: 1, nick: "ana_", client: "test" });
  const welcome = await other.next("welcome");
  assert.equal(welcome.nick, "ana_");
  assert.deepEqual(welcome.members, ["Ana", "ana_"]);
});

Deno.test("a joiner gets the last N messages of the room as history", async () => {
  await using server = await startServer({ historySize: 3 });
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  for (const text of ["one", "two", "three", "four"]) await ana.send({ type: "msg", text });
  await ana.next("msg", (e) => e.text === "four");
  await using bob = await NativeClient.connect(port);
  await bob.send({ type: "hello", protocol: 1, nick: "bob", client: "test" });
  const welcome = await bob.next("welcome");
  assert.deepEqual(welcome.history.map((m) => m.text), ["two", "three", "four"]);
  assert.equal(welcome.server, "lanchat");
  assert.equal(welcome.room, "#lobby");
});

Deno.test("a raw TCP text client joins, chats with a native client, and gets readable lines", async () => {
  await using server = await startServer({ serverName: "office" });
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using text = await TextClient.connect(port);
  await text.waitLine((line) => line === "Welcome to office, a lanchat server. Pick a nick.");
  // Telnet negotiation bytes (IAC DO ECHO, IAC WILL NAWS) before the nick are ignored.
  await text.write(new Uint8Array([0xff, 0xfd, 0x01, 0xff, 0xfb, 0x1f]));
  await text.sendLine("tex");
  await text.waitLine((line) => line === "Welcome to office, tex!");
  await ana.next("join", (e) => e.nick === "tex");
  await ana.send({ type: "msg", text: "hello \x1b[31mred\x1b[0m text" });
  const line = await text.waitLine((line) => line.includes("<ana>"));
  assert.match(line, /^\[\d\d:\d\d\] <ana> hello red text$/);
  assert.ok(!text.lines.some((l) => /[\x00-\x08\x0b-\x1f]/.test(l)), "no control characters");
  await text.sendLine("hi from nc");
  const got = await ana.next("msg", (e) => e.from === "tex");
  assert.equal(got.text, "hi from nc");
  await text.sendLine("/who");
  await text.waitLine((line) => line === "#lobby (2): ana, tex");
  await text.sendLine("/quit gone");
  await text.waitEnd();
  const leave = await ana.next("leave", (e) => e.nick === "tex");
  assert.deepEqual([leave.reason, leave.message], ["quit", "gone"]);
});

Deno.test("a silent peer is greeted as a text client before it sends anything", async () => {
  await using server = await startServer({ textPromptDelayMs: 50 });
  await using text = await TextClient.connect(server.addr.port);
  const greeting = await text.waitLine((line) => line.startsWith("Welcome to lanchat"));
  // The default name is not said twice ("Welcome to lanchat (lanchat)").
  assert.equal(greeting, "Welcome to lanchat. Pick a nick.");
});

Deno.test("a native client greeted as a text client (slow link) still gets its welcome on a line of its own", async () => {
  await using server = await startServer({ textPromptDelayMs: 20 });
  await using ana = await NativeClient.connect(server.addr.port);
  await ana.waitLine((line) => line.startsWith("Welcome to lanchat"));
  await ana.send({ type: "hello", protocol: 1, nick: "ana", client: "slow" });
  const welcome = await ana.next("welcome");
  assert.equal(welcome.nick, "ana");
});

Deno.test("a client that never reads is dropped with a reason while the others keep chatting", async () => {
  const sendQueueBytes = 256 * 1024;
  await using server = await startServer({ sendQueueBytes, rateLimit: false });
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  // The stalled member joins between the two readers, so a broadcast reaches
  // it before bob: that is where a premature leave notice would overtake.
  const stalled = await connectStalled(port, "stuck");
  await ana.next("join", (e) => e.nick === "stuck");
  await using bob = await NativeClient.connect(port, "bob");
  try {
    // 3 KiB messages: the stalled socket's kernel buffers fill, then its
    // queue. Sent in batches that the readers confirm, as people chat (a
    // sender flooding faster than it reads its own echoes would be dropped too).
    const text = "x".repeat(3000);
    const count = 4000;
    for (let i = 0; i < count; i++) {
      await ana.send({ type: "msg", text: `${i} ${text}` });
      if (i % 50 === 49) await bob.next("msg", (e) => e.text.startsWith(`${i} `), i);
    }
    await ana.send({ type: "msg", text: "last" });
    const leave = await bob.next("leave", (e) => e.nick === "stuck");
    assert.equal(leave.reason, "dropped");
    assert.match(leave.message ?? "", /send queue exceeded/);
    await bob.next("msg", (e) => e.text === "last", 0);
    const received = bob.events.filter((e) => e.type === "msg").length;
    assert.equal(received, count + 1, "bob got every message");
    // The drop happens inside a broadcast; its leave notice must not overtake it.
    const ids = bob.events.flatMap((e) => (e.type === "msg" || e.type === "leave") ? [e.id] : []);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "room ids arrive in order");
    assert.equal(server.hub.member("stuck"), undefined);
  } finally {
    stalled.close();
  }
});

Deno.test("an oversized line gets a line_too_long error, then the connection closes", async () => {
  await using server = await startServer({ maxLineBytes: 1024 });
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using bob = await NativeClient.connect(port, "bob");
  // Sent without a newline: the cap must apply before the line ends.
  await ana.write(`{"type":"msg","text":"${"a".repeat(4000)}`);
  const error = await ana.next("error");
  assert.equal(error.code, "line_too_long");
  await ana.waitEnd();
  const leave = await bob.next("leave", (e) => e.nick === "ana");
  assert.equal(leave.reason, "dropped");
});

Deno.test("invalid JSON, invalid UTF-8 and unknown frames get errors and the connection stays", async () => {
  await using server = await startServer();
  await using ana = await NativeClient.connect(server.addr.port, "ana");
  await ana.write("{not json\n");
  assert.equal((await ana.next("error")).code, "bad_json");
  await ana.write(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
  assert.equal((await ana.next("error", (e) => e.code !== "bad_json")).code, "bad_utf8");
  await ana.send({ type: "teleport" });
  const unknown = await ana.next("error", (e) => e.code === "unknown_type");
  assert.match(unknown.message, /"teleport"/);
  await ana.send({ type: "msg", text: 42 });
  await ana.next("error", (e) => e.code === "bad_frame");
  await ana.send({ type: "ping", token: "still-here" });
  assert.equal((await ana.next("pong")).token, "still-here");
});

Deno.test("invalid UTF-8 in lines of every length gets bad_utf8 and the connection stays; valid text, a character cut by reads included, arrives whole", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using bob = await NativeClient.connect(port, "bob");
  await ana.next("join", (e) => e.nick === "bob");
  const encoder = new TextEncoder();
  const head = (pad: number) => encoder.encode(`{"type":"msg","text":"${"x".repeat(pad)}`);
  const tail = encoder.encode(`"}\n`);
  const line = (pad: number, bytes: number[]) => new Uint8Array([...head(pad), ...bytes, ...tail]);
  // Short and long lines (the decoder takes two paths), a real U+FFFD beside a bad byte,
  // an overlong slash, a surrogate, a character cut short before the line ends.
  const bad = [[0xff], [0xef, 0xbf, 0xbd, 0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe4, 0xb8]];
  let errors = 0;
  for (const pad of [0, 5, 60, 2000]) {
    for (const bytes of bad) {
      await ana.write(line(pad, bytes));
      errors++;
      await until(() => ana.events.filter((e) => e.type === "error").length === errors);
    }
  }
  const got = ana.events.flatMap((e) => e.type === "error" ? [[e.code, e.message]] : []);
  assert.deepEqual(new Set(got.map(String)), new Set(["bad_utf8,Line is not valid UTF-8"]));
  // Valid text after all that, long and short, with a character split between two writes.
  const text = `caf\u00e9 \u4e2d\u6587 \u{1f600} ${"y".repeat(40)} \u00e9`;
  const bytes = encoder.encode(JSON.stringify({ type: "msg", text }) + "\n");
  const cut = bytes.lastIndexOf(0xc3) + 1; // inside the last \u00e9
  await ana.write(bytes.subarray(0, cut));
  await delay(50);
  await ana.write(bytes.subarray(cut));
  assert.equal((await bob.next("msg")).text, text);
  assert.equal((await ana.next("msg")).text, text);
  assert.ok(!bob.events.some((e) => e.type === "msg" && e.text.includes("x")));
});

Deno.test("frames before hello are refused, and a second hello is an error", async () => {
  await using server = await startServer();
  await using ana = await NativeClient.connect(server.addr.port);
  await ana.send({ type: "msg", text: "too early" });
  assert.equal((await ana.next("error")).code, "not_ready");
  await ana.send({ type: "hello", protocol: 1, nick: "ana", client: "t" });
  await ana.next("welcome");
  await ana.send({ type: "hello", protocol: 1, nick: "ana", client: "t" });
  assert.equal((await ana.next("error", (e) => e.code !== "not_ready")).code, "already_hello");
});

Deno.test("a wrong protocol version is refused and the connection closes", async () => {
  await using server = await startServer();
  await using ana = await NativeClient.connect(server.addr.port);
  await ana.send({ type: "hello", protocol: 99, nick: "ana", client: "t" });
  const error = await ana.next("error");
  assert.equal(error.code, "protocol_version");
  await ana.waitEnd();
});

Deno.test("the server refuses clients past --max-clients", async () => {
  await using server = await startServer({ maxClients: 1 });
  await using _ana = await NativeClient.connect(server.addr.port, "ana");
  await using bob = await NativeClient.connect(server.addr.port);
  await bob.send({ type: "hello", protocol: 1, nick: "bob", client: "t" });
  assert.equal((await bob.next("error")).code, "server_full");
  await bob.waitEnd();
});

Deno.test("rooms: join creates on demand, messages stay in their room, part tells the room", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using bob = await NativeClient.connect(port, "bob");
  await ana.send({ type: "cmd", name: "join", args: "#dev" });
  const joined = await ana.next("joined");
  assert.deepEqual([joined.room, joined.members], ["#dev", ["ana"]]);
  await ana.send({ type: "msg", text: "dev only" });
  await ana.send({ type: "msg", text: "lobby too", room: "#lobby" });
  await bob.next("msg", (e) => e.text === "lobby too");
  assert.ok(!bob.events.some((e) => e.type === "msg" && e.text === "dev only"));
  await bob.send({ type: "cmd", name: "rooms" });
  const rooms = await bob.next("rooms");
  assert.deepEqual(rooms.rooms, [{ room: "#lobby", members: 2 }, { room: "#dev", members: 1 }]);
  await bob.send({ type: "cmd", name: "join", args: "dev" });
  await ana.next("join", (e) => e.nick === "bob" && e.room === "#dev");
  await bob.send({ type: "cmd", name: "part", args: "see you" });
  const leave = await ana.next("leave", (e) => e.nick === "bob");
  assert.deepEqual([leave.room, leave.reason, leave.message], ["#dev", "part", "see you"]);
  assert.equal((await bob.next("parted")).current, "#lobby");
});

Deno.test("shutdown sends every client a goodbye and closes the sockets", async () => {
  const server = await startServer();
  await using ana = await NativeClient.connect(server.addr.port, "ana");
  await using text = await TextClient.connect(server.addr.port, "tex");
  await within(2000, server.shutdown(), "shutdown");
  const bye = await ana.next("bye");
  assert.equal(bye.reason, "shutdown");
  await ana.waitEnd();
  await text.waitLine((line) => line === "* Server shutting down");
  await text.waitEnd();
  assert.equal(server.connectionCount, 0);
});

Deno.test("a client that disconnects abruptly is announced as having left", async () => {
  await using server = await startServer();
  await using ana = await NativeClient.connect(server.addr.port, "ana");
  const bob = await NativeClient.connect(server.addr.port, "bob");
  await bob[Symbol.asyncDispose]();
  const leave = await ana.next("leave", (e) => e.nick === "bob");
  assert.equal(leave.reason, "quit");
  await delay(10);
  assert.equal(server.hub.size, 1);
});

Deno.test("lines in the same read before an oversized line are still answered", async () => {
  await using server = await startServer({ maxLineBytes: 1024 });
  await using ana = await NativeClient.connect(server.addr.port);
  await ana.write(`{bad json\n{"type":"ping","token":"t"}\n${"a".repeat(2000)}`);
  assert.equal((await ana.next("error")).code, "bad_json");
  assert.equal((await ana.next("pong")).token, "t");
  assert.equal((await ana.next("error", (e) => e.code !== "bad_json")).code, "line_too_long");
  await ana.waitEnd();
});

Deno.test("a text client typing a command at the nick prompt: /quit leaves politely, others are explained", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using nc = await TextClient.connect(port);
  await nc.waitLine((line) => line === "Welcome to lanchat. Pick a nick.");
  for (const command of ["/help", "/nick ana", "/join #dev", "/"]) {
    const from = nc.lines.length;
    await nc.sendLine(command);
    await nc.waitLine(
      (line) => line === "! Pick a nick first (commands work once you have joined)",
      from,
    );
  }
  await nc.sendLine("/QUIT");
  await nc.waitLine((line) => line === "* Goodbye");
  await nc.waitEnd();
  assert.ok(!nc.lines.some((line) => line.includes('Nick "/')), nc.lines.join("\n"));

  // The aliases, after a refused nick and with a reason, from another connection.
  for (const quit of ["/exit", "/bye see you"]) {
    await using again = await TextClient.connect(port);
    await again.sendLine("no spaces");
    await again.waitLine((line) => line === '! Nick "no spaces" contains a space');
    await again.sendLine(quit);
    await again.waitLine((line) => line === "* Goodbye");
    await again.waitEnd();
  }
  // Sent in one go after a refused nick, a command is still no nick, and says why.
  await using batch = await TextClient.connect(port);
  await batch.write("no spaces\r\n/quit\r\n");
  await batch.waitLine((line) =>
    line === '! Nick "/quit" cannot start with "/": a line that starts with "/" is a command'
  );
  await batch.sendLine("ana");
  await batch.waitLine((line) => line === "Welcome to lanchat, ana!");
  // Two commands in one read are both answered, in order.
  await using both = await TextClient.connect(port);
  await both.write("/help\r\n/quit\r\n");
  await both.waitEnd();
  const answers = both.lines.filter((line) => /^[!*]/.test(line));
  assert.deepEqual(answers, [
    "! Pick a nick first (commands work once you have joined)",
    "* Goodbye",
  ]);
});

Deno.test("on a private server, /quit at the nick prompt (after the password) leaves too", async () => {
  await using server = await startServer({ password: "pw" });
  await using nc = await TextClient.connect(server.addr.port);
  // A command sent with the password waits for its answer.
  await nc.write("pw\r\n/join #dev\r\n");
  await nc.waitLine((line) => line === "! Pick a nick first (commands work once you have joined)");
  assert.ok(
    nc.lines.indexOf("Password accepted. Pick a nick.") <
      nc.lines.indexOf("! Pick a nick first (commands work once you have joined)"),
    nc.lines.join("\n"),
  );
  await nc.sendLine("/quit");
  await nc.waitLine((line) => line === "* Goodbye");
  await nc.waitEnd();
  assert.equal(server.hub.size, 0);
});
