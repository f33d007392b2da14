/**
 * Private servers and identities over real sockets: the password (native
 * and text), key proofs, registered nicks, ghosts, and the operators'
 * /kick, /ban and /mute.
 */

import assert from "node:assert/strict";
import { ReconnectingSession } from "../lib/client/reconnecting_session.ts";
import type { SessionEvent } from "../lib/client/session_events.ts";
import { FreezableProxy } from "./_freezable_proxy.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { delay, within } from "./_waiting.ts";

Deno.test("a wrong password is refused with access_denied and bye denied, and the connection closes", async () => {
  await using server = await startServer({ password: "hunter2" });
  await using bad = await NativeClient.connect(server.addr.port);
  await bad.hello("ana", { password: "hunter3" });
  const error = await bad.next("error");
  assert.deepEqual(error, {
    type: "error",
    code: "access_denied",
    message: "Access denied: wrong password",
  });
  const bye = await bad.next("bye");
  assert.equal(bye.reason, "denied");
  await bad.waitEnd();
  assert.equal(server.hub.size, 0);
});

Deno.test("a missing password gets password_required; the right one gets the welcome", async () => {
  await using server = await startServer({ password: "hunter2" });
  await using none = await NativeClient.connect(server.addr.port);
  await none.hello("ana");
  assert.equal((await none.next("error")).code, "password_required");
  await none.waitEnd();
  await using good = await NativeClient.connect(server.addr.port, "ana", { password: "hunter2" });
  assert.equal(good.events.find((e) => e.type === "welcome")?.nick, "ana");
});

Deno.test("a private server answers nothing about nicks before the password is right", async () => {
  await using server = await startServer({ password: "pw" });
  await using _ana = await NativeClient.connect(server.addr.port, "ana", { password: "pw" });
  await using probe = await NativeClient.connect(server.addr.port);
  await probe.hello("ana", { password: "guess" }); // the nick is taken, but that must not show
  assert.equal((await probe.next("error")).code, "access_denied");
});

Deno.test("a server without a password never asks for one, and ignores one given", async () => {
  await using server = await startServer();
  await using _ana = await NativeClient.connect(server.addr.port, "ana");
  await using _bo = await NativeClient.connect(server.addr.port, "bo", { password: "anything" });
  await using text = await TextClient.connect(server.addr.port);
  await text.waitLine((line) => line.includes("Pick a nick."));
  assert.ok(!text.lines.some((line) => line.includes("Password")));
});

Deno.test("a text client is asked for the password first and told at once whether it was right, before the nick", async () => {
  await using server = await startServer({ password: "open sesame", textPromptDelayMs: 50 });
  await using bad = await TextClient.connect(server.addr.port);
  await bad.waitLine((line) => line === "Welcome to lanchat. This server is private.");
  await bad.waitLine((line) => line === "Type its password (it shows on your screen as you type).");
  await bad.sendLine("open says me");
  await bad.waitLine((line) => line === "! Access denied: wrong password");
  await bad.waitEnd();
  // Said once, not again as the goodbye, and never asked for a nick.
  assert.deepEqual(bad.lines.filter((line) => line.includes("Access denied")), [
    "! Access denied: wrong password",
  ]);
  assert.ok(!bad.lines.some((line) => line.includes("Nick?") || line.includes("Pick a nick")));
  // After one failure, the next answer from this IP is held back (1 s by default).
  const started = performance.now();
  await using good = await TextClient.connect(server.addr.port);
  await good.sendLine("open sesame");
  await good.waitLine((line) => line === "Password accepted. Pick a nick.");
  assert.ok(performance.now() - started >= 900, "the answer after a failure waits");
  await good.sendLine("ana");
  await good.waitLine((line) => line === "Welcome to lanchat, ana!");
  // A script may still send both lines at once.
  await using piped = await TextClient.connect(server.addr.port, "bo", "open sesame");
  const order = [
    "This server is private.",
    "Password accepted. Pick a nick.",
    "Welcome to lanchat, bo!",
  ]
    .map((text) => piped.lines.findIndex((line) => line.endsWith(text)));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.ok(order.every((index) => index >= 0), piped.lines.join("\n"));
});

Deno.test("failed passwords slow down the next answers from that IP, without holding up anyone else", async () => {
  await using server = await startServer({
    password: "pw",
    passwordGate: { baseDelayMs: 300 },
    handshakeTimeoutMs: 200, // shorter than the delay: a held answer still arrives
  });
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana", { password: "pw" });
  const timeWrong = async () => {
    await using guess = await NativeClient.connect(port);
    const started = performance.now();
    await guess.hello("x", { password: "nope" });
    await guess.next("error", (e) => e.code === "access_denied");
    return performance.now() - started;
  };
  assert.ok((await timeWrong()) < 250, "the first failure is answered at once");
  const held = timeWrong();
  // While that answer is held back (300 ms), a member chats without delay.
  await delay(50);
  const sent = performance.now();
  await ana.send({ type: "msg", text: "still quick" });
  await ana.next("msg", (e) => e.text === "still quick");
  assert.ok(performance.now() - sent < 150, "others are not held up");
  assert.ok((await held) >= 280, "the second failure waits the base delay");
  assert.ok((await timeWrong()) >= 580, "the third waits twice as long");
});

Deno.test("parallel password guesses from one address take turns, each waiting longer", async () => {
  await using server = await startServer({ password: "pw", passwordGate: { baseDelayMs: 100 } });
  const port = server.addr.port;
  const guess = async () => {
    await using client = await NativeClient.connect(port);
    await client.hello("x", { password: "nope" });
    await client.next("error", (e) => e.code === "access_denied");
    return performance.now();
  };
  await guess(); // One failure: from now on answers wait.
  const started = performance.now();
  const answered = (await Promise.all([guess(), guess(), guess()])).map((t) => t - started).sort((
    a,
    b,
  ) => a - b);
  // 100, then 100 + 200, then 100 + 200 + 400 ms: not all three after 100 ms.
  assert.ok(answered[0] >= 90, `first at ${answered[0]} ms`);
  assert.ok(answered[1] >= 280, `second at ${answered[1]} ms`);
  assert.ok(answered[2] >= 680, `third at ${answered[2]} ms`);
});

Deno.test("after a held-back answer the rest of the handshake gets a fresh deadline", async () => {
  await using server = await startServer({
    password: "pw",
    passwordGate: { baseDelayMs: 400 },
    handshakeTimeoutMs: 300,
  });
  const port = server.addr.port;
  await using _ana = await NativeClient.connect(port, "ana", { password: "pw" }); // Holds the nick.
  await using wrong = await NativeClient.connect(port);
  await wrong.hello("x", { password: "nope" });
  await wrong.next("error", (e) => e.code === "access_denied");
  // The right password, held 400 ms, then a taken nick: the retry comes 200 ms later.
  await using late = await TextClient.connect(port);
  await late.write("pw\r\nana\r\n");
  await late.waitLine((l) => l.includes('Nick "ana" is taken'));
  await delay(200);
  await late.write("ana2\r\n");
  await late.waitLine((l) => l.startsWith("Welcome to") && l.includes("ana2"));
  assert.ok(!late.lines.some((l) => l.includes("Did not join within")), late.lines.join("\n"));
});

Deno.test("a hello with a key gets a challenge; a bad signature is refused, a good one joins with the key", async () => {
  const key = await testKey();
  await using server = await startServer();
  await using forger = await NativeClient.connect(server.addr.port);
  await forger.send({ type: "hello", protocol: 1, nick: "ana", client: "t", key: key.publicKey });
  const challenge = await forger.next("challenge");
  assert.match(challenge.nonce, /^[A-Za-z0-9_-]{43}$/);
  await forger.send({ type: "ping", token: "meanwhile" });
  assert.equal((await forger.next("pong")).token, "meanwhile");
  await forger.send({ type: "msg", text: "too early" });
  assert.equal((await forger.next("error")).code, "not_ready");
  const other = await testKey();
  await forger.send({ type: "auth", signature: await other.sign(challenge.nonce, "plain") });
  assert.deepEqual(await forger.next("error", (e) => e.code === "access_denied"), {
    type: "error",
    code: "access_denied",
    message: "Access denied: the key proof did not verify",
  });
  await forger.waitEnd();

  await using _ana = await NativeClient.connect(server.addr.port, "ana", { key });
  assert.equal(server.hub.member("ana")?.fingerprint, key.fingerprint);
  await using bo = await NativeClient.connect(server.addr.port, "bo");
  await bo.send({ type: "cmd", name: "whois", args: "ana" });
  assert.equal((await bo.next("whois")).fingerprint, key.fingerprint);
});

Deno.test("a key of small order, which anyone could prove, is refused with bad_frame", async () => {
  await using server = await startServer();
  await using client = await NativeClient.connect(server.addr.port);
  const zeroKey = "A".repeat(43); // 32 zero bytes: a point of order 4
  await client.send({ type: "hello", protocol: 1, nick: "ana", client: "t", key: zeroKey });
  assert.deepEqual(await client.next("error"), {
    type: "error",
    code: "bad_frame",
    message: 'Field "key" of "hello" is a point of small order, a key anyone can prove; ' +
      "make a real Ed25519 key",
  });
  assert.ok(!client.events.some((e) => e.type === "challenge"));
  await client.hello("ana");
  await client.next("welcome");
});

Deno.test("a malformed key is refused with bad_frame, and the hello may be sent again", async () => {
  await using server = await startServer();
  await using client = await NativeClient.connect(server.addr.port);
  await client.send({ type: "hello", protocol: 1, nick: "ana", client: "t", key: "AAAA" });
  assert.match((await client.next("error")).message, /raw 32-byte Ed25519 public key/);
  await client.send({ type: "auth", signature: "AAAA" });
  assert.match((await client.next("error", () => true, 1)).message, /No challenge to answer/);
  await client.hello("ana");
  await client.next("welcome");
});

Deno.test("a registered nick is refused to another key and to a keyless hello, and given back to its owner's key", async () => {
  const anaKey = await testKey();
  await using server = await startServer();
  const port = server.addr.port;
  {
    await using ana = await NativeClient.connect(port, "ana", { key: anaKey });
    await ana.send({ type: "cmd", name: "register", args: "" });
    assert.match((await ana.next("notice")).message, /Nick "ana" is now registered to your key/);
    await ana.send({ type: "cmd", name: "quit", args: "" });
    await ana.waitEnd();
  }
  await using thief = await NativeClient.connect(port);
  await thief.hello("ANA", { key: await testKey() });
  const refused = await thief.next("error");
  assert.equal(refused.code, "nick_registered");
  assert.equal(refused.message, 'Nick "ANA" is registered to another key; try "ANA_"');
  await thief.hello("ana2", { key: await testKey() }); // the connection stays open for a retry
  await thief.next("welcome");
  await using text = await TextClient.connect(port);
  await text.sendLine("ana");
  await text.waitLine((line) => line.startsWith('! Nick "ana" is registered; only its owner'));
  await text.sendLine("nc_user");
  await text.waitLine((line) => line.startsWith("Welcome to lanchat, nc_user"));
  await using _back = await NativeClient.connect(port, "ana", { key: anaKey });
});

Deno.test("the same key reconnecting replaces its ghost: the old connection gets bye, the new one works", async () => {
  const key = await testKey();
  await using server = await startServer();
  const port = server.addr.port;
  await using bo = await NativeClient.connect(port, "bo");
  await using ghost = await NativeClient.connect(port, "ana", { key });
  await using fresh = await NativeClient.connect(port, "ana", { key });
  assert.deepEqual(await ghost.next("bye"), {
    type: "bye",
    reason: "dropped",
    code: "session_replaced",
    message: "Replaced by a new connection with your key",
  });
  await ghost.waitEnd();
  const leave = await bo.next("leave", (e) => e.nick === "ana");
  assert.equal(leave.message, "replaced by a new connection");
  await bo.next("join", (e) => e.nick === "ana", 1);
  await fresh.send({ type: "msg", text: "I am back" });
  await bo.next("msg", (e) => e.from === "ana" && e.text === "I am back");
  // Without the key, the nick is simply taken.
  await using other = await NativeClient.connect(port);
  await other.hello("ana");
  assert.equal((await other.next("error")).code, "nick_taken");
});

Deno.test("a reconnecting client whose old link died silently takes its nick and rooms back at once", async () => {
  const key = await testKey();
  await using server = await startServer();
  await using proxy = new FreezableProxy(server.addr.port);
  await using bo = await NativeClient.connect(server.addr.port, "bo");
  await bo.send({ type: "cmd", name: "join", args: "#dev" });
  await bo.next("joined");
  const session = await ReconnectingSession.connect({
    host: "127.0.0.1",
    port: proxy.port,
    nick: "ana",
    client: "test",
    identity: key,
    initialDelayMs: 50,
    random: () => 0.5,
  });
  const events: SessionEvent[] = [];
  const loop = (async () => {
    for await (const event of session.events()) events.push(event);
  })();
  try {
    await session.sendLine("/join #dev");
    await bo.next("join", (e) => e.nick === "ana" && e.room === "#dev");
    proxy.cut(); // the server still holds the old connection: a ghost
    await bo.next("leave", (e) => e.nick === "ana" && e.message === "replaced by a new connection");
    await bo.next("join", (e) => e.nick === "ana" && e.room === "#dev", 2);
    await session.sendLine("back in #dev");
    const msg = await bo.next("msg", (e) => e.text === "back in #dev");
    assert.equal(msg.room, "#dev");
    assert.ok(events.some((e) => e.type === "status" && e.state === "connected"));
  } finally {
    session.close();
    await loop;
  }
});

Deno.test("a client replaced by its own key elsewhere stops instead of taking the nick back", async () => {
  const key = await testKey();
  await using server = await startServer();
  const session = await ReconnectingSession.connect({
    host: "127.0.0.1",
    port: server.addr.port,
    nick: "ana",
    client: "test",
    identity: key,
    initialDelayMs: 20,
  });
  const events: SessionEvent[] = [];
  const loop = (async () => {
    for await (const event of session.events()) events.push(event);
  })();
  await using other = await NativeClient.connect(server.addr.port, "ana", { key });
  await within(5000, loop, "the replaced session to end");
  const failed = events.find((e) => e.type === "status" && e.state === "failed");
  assert.equal(
    failed?.type === "status" && failed.message,
    "Replaced by a new connection with your key",
  );
  const holder = server.hub.member("ana");
  await delay(200); // time for a reconnect, had it tried one
  assert.equal(server.hub.member("ana"), holder);
  assert.equal(server.hub.size, 1);
  assert.equal(other.ended, false, "the newer connection keeps the nick");
  session.close();
});

Deno.test("operators kick, mute and ban; a kicked client is told who and why; others get not_operator", async () => {
  const opKey = await testKey();
  await using server = await startServer({ operators: [opKey.fingerprint] });
  const port = server.addr.port;
  await using mod = await NativeClient.connect(port, "mod", { key: opKey });
  await using bo = await NativeClient.connect(port, "bo", { key: await testKey() });
  await using cy = await TextClient.connect(port, "cy");

  await bo.send({ type: "cmd", name: "kick", args: "cy" });
  assert.deepEqual(await bo.next("error"), {
    type: "error",
    code: "not_operator",
    message: "/kick is for operators only (the server names them with --op)",
  });
  await cy.sendLine("/ban bo");
  await cy.waitLine((line) =>
    line === "! /ban is for operators only (the server names them with --op)"
  );

  await mod.send({ type: "cmd", name: "mute", args: "bo 5" });
  assert.equal((await bo.next("notice")).message, "You were muted by mod for 5 minute(s)");
  await bo.send({ type: "msg", text: "can you hear me" });
  const muted = await bo.next("error", (e) => e.code === "muted");
  assert.match(muted.message, /You are muted for 5 more minute\(s\); your message was not sent/);
  await mod.send({ type: "cmd", name: "unmute", args: "bo" });
  await bo.next("notice", (e) => e.message === "You were unmuted by mod");
  await bo.send({ type: "msg", text: "thanks" });
  await mod.next("msg", (e) => e.text === "thanks");

  await mod.send({ type: "input", line: "/kick cy enough for today" });
  await cy.waitLine((line) => line === "* You were kicked by mod: enough for today");
  await cy.waitEnd();
  const leave = await bo.next("leave", (e) => e.nick === "cy");
  assert.equal(leave.reason, "kicked");
  assert.equal(leave.message, "by mod: enough for today");
  await mod.next("notice", (e) => e.message === "Kicked cy");
});

Deno.test("a kicked native client is told why and does not reconnect by itself", async () => {
  const opKey = await testKey();
  await using server = await startServer({ operators: [opKey.fingerprint] });
  await using mod = await NativeClient.connect(server.addr.port, "mod", { key: opKey });
  const session = await ReconnectingSession.connect({
    host: "127.0.0.1",
    port: server.addr.port,
    nick: "bo",
    client: "test",
    initialDelayMs: 20,
  });
  const events: SessionEvent[] = [];
  const loop = (async () => {
    for await (const event of session.events()) events.push(event);
  })();
  await mod.send({ type: "cmd", name: "kick", args: "bo spamming" });
  await within(5000, loop, "the kicked session to end");
  const bye = events.find((e) => e.type === "bye");
  assert.deepEqual(bye, {
    type: "bye",
    reason: "kicked",
    message: "You were kicked by mod: spamming",
  });
  await delay(100);
  assert.equal(server.hub.member("bo"), undefined, "it did not come back");
  session.close();
});
