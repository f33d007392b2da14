/** Server limits over real TCP: per-IP, handshake timeout, keepalive, rate limit. */

import assert from "node:assert/strict";
import { ChatSession } from "../lib/client/chat_session.ts";
import type { LogRecord } from "../lib/server/chat_server.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { delay, until } from "./_waiting.ts";

Deno.test("connections past --max-per-ip are refused at once with a readable line", async () => {
  await using server = await startServer({ maxPerIp: 2 });
  await using _a = await NativeClient.connect(server.addr.port, "a");
  await using _b = await NativeClient.connect(server.addr.port, "b");
  await using third = await NativeClient.connect(server.addr.port);
  await third.waitEnd();
  assert.deepEqual(third.lines, ["! Too many connections from 127.0.0.1 (the limit is 2)"]);
});

Deno.test("ChatSession reports the server's refusal line when it closes before the welcome", async () => {
  await using server = await startServer({ maxPerIp: 1 });
  await using _a = await NativeClient.connect(server.addr.port, "a");
  await assert.rejects(
    ChatSession.connect({ host: "127.0.0.1", port: server.addr.port, nick: "b", client: "t" }),
    /Too many connections from 127\.0\.0\.1 \(the limit is 1\)/,
  );
});

Deno.test("a native connection that never says hello is closed after the handshake timeout", async () => {
  await using server = await startServer({ handshakeTimeoutMs: 200 });
  await using silent = await NativeClient.connect(server.addr.port);
  await silent.send({ type: "ping" });
  await silent.next("pong");
  const error = await silent.next("error");
  assert.equal(error.code, "handshake_timeout");
  await silent.waitEnd();
  assert.equal(server.connectionCount, 0);
});

Deno.test("a text client that never gives a nick is closed after the prompt timeout", async () => {
  await using server = await startServer({ promptTimeoutMs: 200, textPromptDelayMs: 20 });
  await using text = await TextClient.connect(server.addr.port);
  await text.waitEnd();
  assert.ok(
    text.lines.some((l) => l.includes("Did not join within 0.2 s; closing")),
    text.lines.join("\n"),
  );
});

Deno.test("keepalive: a client that answers pings stays, one that does not is dropped as timed out", async () => {
  // The timeout leaves the watcher's hand-written answers (polled every 20 ms) a wide margin even
  // on a loaded machine: at 150 ms, a CI run once timed the watcher out too.
  await using server = await startServer({ pingIntervalMs: 100, pingTimeoutMs: 1000 });
  const port = server.addr.port;
  await using watcher = await NativeClient.connect(port, "watcher");
  await using session = await ChatSession.connect({
    host: "127.0.0.1",
    port,
    nick: "alive",
    client: "t",
  });
  const events = (async () => {
    for await (const _ of session.events()) { /* ChatSession answers pings by itself */ }
  })();
  await using dead = await NativeClient.connect(port, "dead");
  // The watcher answers by hand, like any native client must.
  let answered = 0;
  let done = false;
  const answering = (async () => {
    while (!done) {
      const pings = watcher.events.filter((e) => e.type === "ping");
      for (const ping of pings.slice(answered)) {
        await watcher.send({ type: "pong", token: ping.type === "ping" ? ping.token : "" });
        answered++;
      }
      await delay(20);
    }
  })();
  const leave = await watcher.next("leave", (e) => e.nick === "dead");
  assert.equal(leave.reason, "timeout");
  assert.match(leave.message ?? "", /no answer to a ping/);
  const bye = await dead.next("bye");
  assert.deepEqual([bye.reason, bye.code], ["timeout", "timed_out"]);
  await delay(300);
  assert.ok(answered >= 2, `the watcher answered ${answered} pings`);
  assert.ok(server.hub.member("alive"), "the ChatSession answered its pings and stayed");
  assert.ok(server.hub.member("watcher"));
  done = true;
  watcher.close();
  await answering;
  session.close();
  await events;
});

Deno.test("the rate limit answers the flooder only, and the others keep chatting", async () => {
  await using server = await startServer({ rateLimit: { rate: 5, burst: 5, floodLimit: 1000 } });
  await using ana = await NativeClient.connect(server.addr.port, "ana");
  await using bob = await NativeClient.connect(server.addr.port, "bob");
  for (let i = 0; i < 12; i++) await ana.send({ type: "msg", text: `m${i}` });
  await ana.next("error", (e) => e.code === "rate_limited");
  await bob.send({ type: "msg", text: "bob still talks" });
  await ana.next("msg", (e) => e.text === "bob still talks");
  const got = bob.events.filter((e) => e.type === "msg" && e.from === "ana").length;
  assert.ok(got >= 5 && got < 12, `bob got ${got} of ana's 12`);
  assert.ok(!bob.events.some((e) => e.type === "error"));
});

Deno.test("joining and quitting in a loop: past 30 joins an address waits its turn, and the log sums the rest up", async () => {
  const records: LogRecord[] = [];
  await using server = await startServer({ log: (record) => records.push(record) });
  const port = server.addr.port;
  const times: number[] = [];
  /** When each join was welcomed, from the loop's start. */
  const inAt: number[] = [];
  const loopStart = performance.now();
  for (let i = 0; i < 34; i++) {
    const started = performance.now();
    await using client = await NativeClient.connect(port, `loop${i}`);
    times.push(performance.now() - started);
    inAt.push(performance.now() - loopStart);
    await client.send({ type: "cmd", name: "quit", args: "" });
    await client.waitEnd();
  }
  // 30 at once, then one a second: the 31st is in once a token came back, a second after the
  // first join (however long the first 30 took), and each after it a second later; none was
  // refused, and none waited much more than its turn.
  assert.ok(times.slice(0, 30).every((ms) => ms < 900), times.slice(0, 30).join(", "));
  const late = inAt.slice(30).map((ms) => Math.round(ms)).join(", ");
  for (let k = 30; k < 34; k++) {
    assert.ok(inAt[k] >= (k - 29) * 1000 - 150, `in at ${late} ms`);
    assert.ok(times[k] < 3000, times.slice(30).join(", "));
  }
  await server.shutdown();
  const joins = records.filter((r) => r.event === "join");
  assert.equal(joins.filter((r) => r.suppressed === undefined).length, 5);
  assert.equal(joins.find((r) => r.suppressed !== undefined)?.suppressed, 29);
});

Deno.test("a full server tells a text client so at once, instead of asking for a nick it cannot use, and logs it", async () => {
  const records: LogRecord[] = [];
  await using server = await startServer({
    maxClients: 1,
    textPromptDelayMs: 20,
    log: (record) => records.push(record),
  });
  await using _ana = await NativeClient.connect(server.addr.port, "ana");
  await using late = await TextClient.connect(server.addr.port);
  await late.waitEnd();
  assert.deepEqual(late.lines, ["! Server is full (1 clients); try again later"]);
  await using native = await NativeClient.connect(server.addr.port);
  await native.hello("bo");
  assert.equal((await native.next("error")).code, "server_full");
  const refusals = records.filter((r) => r.event === "refused" && r.reason === "server_full");
  assert.equal(refusals.length, 2);
  assert.ok(refusals.every((r) => r.level === "warn"));
});

Deno.test("someone joining and quitting in two loops cannot keep another person behind the same address out", async () => {
  await using server = await startServer({ joinRate: { rate: 2, burst: 3 } });
  const port = server.addr.port;
  let stop = false;
  let joins = 0;
  const loop = async (name: string) => {
    for (let i = 0; !stop; i++) {
      await using client = await NativeClient.connect(port, `${name}${i}`).catch(() => undefined) ??
        { [Symbol.asyncDispose]: async () => {} };
      if ("send" in client) {
        joins++;
        await client.send({ type: "cmd", name: "quit", args: "" }).catch(() => {});
        await client.waitEnd().catch(() => {});
      }
    }
  };
  const loops = [loop("a"), loop("b")];
  // The loops have used the burst (3) up and take every token as it comes (2 more, 1 s).
  await until(() => joins >= 5, 10_000);
  const started = performance.now();
  await using person = await NativeClient.connect(port, "person");
  const waited = performance.now() - started;
  stop = true;
  await Promise.all(loops);
  assert.equal(person.events.find((event) => event.type === "welcome")?.type, "welcome");
  // In turn: behind at most the loops' two waiting joins, at 2 a second.
  assert.ok(waited < 3000, `waited ${waited} ms`);
});
