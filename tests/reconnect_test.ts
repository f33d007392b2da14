/** ReconnectingSession against a real in-process server: nothing typed is silently lost. */

import assert from "node:assert/strict";
import { ReconnectingSession } from "../lib/client/reconnecting_session.ts";
import type { SessionEvent } from "../lib/client/session_events.ts";
import { FreezableProxy } from "./_freezable_proxy.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { until } from "./_waiting.ts";

/** A session plus everything it yields, collected in the background. */
async function connect(port: number, nick: string, options: Record<string, unknown> = {}) {
  const session = await ReconnectingSession.connect({
    host: "127.0.0.1",
    port,
    nick,
    client: "test",
    initialDelayMs: 50,
    random: () => 0.5,
    ...options,
  });
  const events: SessionEvent[] = [];
  const loop = (async () => {
    for await (const event of session.events()) events.push(event);
  })();
  return {
    session,
    events,
    texts: () => events.flatMap((e) => e.type === "msg" ? [e.text] : []),
    async [Symbol.asyncDispose]() {
      session.close();
      await loop;
    },
  };
}

Deno.test("a burst of lines is paced under the server's rate limit: all arrive, nobody is dropped", async () => {
  await using server = await startServer({ rateLimit: { rate: 20, burst: 5, floodLimit: 3 } });
  await using bob = await connect(server.addr.port, "bob");
  await using ana = await connect(server.addr.port, "ana");
  const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
  for (const line of lines) await ana.session.sendLine(line);
  await until(() => bob.texts().length === 30);
  assert.deepEqual(bob.texts(), lines);
  assert.ok(!ana.events.some((e) => e.type === "error" || e.type === "bye"));
});

Deno.test("lines queued offline are sent in order after a restart, paced, into the room they were typed in", async () => {
  const first = await startServer({ rateLimit: { rate: 20, burst: 5, floodLimit: 3 } });
  const port = first.addr.port;
  await using ana = await connect(port, "ana");
  await ana.session.sendLine("/join #ops");
  await until(() => ana.events.some((e) => e.type === "joined"));
  await first.shutdown();
  await until(() => !ana.session.connected);
  const typed = Array.from({ length: 25 }, (_, i) => `offline ${i}`);
  for (const line of typed) assert.equal(await ana.session.sendLine(line), "queued");
  await using second = await startServer({
    port,
    rateLimit: { rate: 20, burst: 5, floodLimit: 3 },
  });
  await using bob = await connect(port, "bob");
  await bob.session.sendLine("/join #ops");
  await until(() => ana.session.connected && ana.session.queued === 0);
  await until(() => second.hub.room("#ops")!.history.size >= 25);
  assert.deepEqual(second.hub.room("#ops")!.history.last(25).map((m) => m.text), typed);
  assert.equal(second.hub.member("ana")?.nick, "ana", "not dropped for flooding");
});

Deno.test("lines written into a dead connection are sent again after reconnecting", async () => {
  await using server = await startServer({ pingIntervalMs: 300, pingTimeoutMs: 300 });
  // A proxy whose first link starts swallowing bytes: a pulled cable.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let dead = false;
  let generation = 0;
  const conns: Deno.Conn[] = [];
  const pipe = async (from: Deno.Conn, to: Deno.Conn, born: number) => {
    const buffer = new Uint8Array(65536);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (dead && born === 0) continue;
        await to.write(buffer.subarray(0, n));
      }
    } catch {
      // Closed.
    }
  };
  const proxying = (async () => {
    for await (const client of listener) {
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      conns.push(client, upstream);
      const born = generation++;
      void pipe(client, upstream, born);
      void pipe(upstream, client, born);
    }
  })().catch(() => {});
  try {
    await using bob = await connect(server.addr.port, "bob");
    await using ana = await connect((listener.addr as Deno.NetAddr).port, "ana", {
      idlePingMs: 300,
      deadAfterMs: 900,
    });
    dead = true;
    await ana.session.sendLine("into the void 1");
    await ana.session.sendLine("into the void 2");
    await until(() => bob.texts().includes("into the void 2"));
    assert.deepEqual(bob.texts().filter((t) => t.startsWith("into")), [
      "into the void 1",
      "into the void 2",
    ]);
    assert.ok(ana.events.some((e) => e.type === "status" && e.state === "warning"));
  } finally {
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await proxying;
  }
});

Deno.test("after a restart the session rejoins quietly: no joined or parted news, the room in use stays, missed messages come", async () => {
  const first = await startServer({ serverName: "first" });
  const port = first.addr.port;
  await using ana = await connect(port, "ana");
  for (const command of ["/join #ops", "/part #lobby", "/join #dev"]) {
    await ana.session.sendLine(command);
  }
  await until(() => ana.events.some((e) => e.type === "joined" && e.room === "#dev"));
  await first.shutdown();
  await until(() => !ana.session.connected);
  const reconnected = ana.events.length;
  await using second = await startServer({ port, serverName: "second" });
  await using bob = await NativeClient.connect(port, "bob");
  await bob.send({ type: "cmd", name: "join", args: "#dev" });
  await bob.send({ type: "cmd", name: "join", args: "#ops" });
  await bob.next("joined", (e) => e.room === "#ops");
  await bob.send({ type: "msg", text: "while you were away", room: "#ops" });
  await bob.next("msg", (e) => e.text === "while you were away");
  await until(() =>
    ana.session.connected && second.hub.member("ana") !== undefined &&
    [...second.hub.member("ana")!.rooms].length === 2
  );
  // A line of our own after the rejoins: its echo means every answer before it arrived.
  await ana.session.sendLine("back");
  await until(() => ana.texts().includes("back"));
  const after = ana.events.slice(reconnected);
  const types = after.map((e) => e.type as string);
  assert.ok(!types.includes("joined"), `no joined: ${types}`);
  assert.ok(!types.includes("parted"), `no "You left #lobby" again: ${types}`);
  const welcome = after.find((e) => e.type === "welcome");
  assert.ok(welcome?.type === "welcome" && welcome.server === "second");
  assert.deepEqual(welcome.history, [], "nothing from a lobby the user had left");
  const rejoined = after.filter((e) => (e.type as string) === "rejoined") as unknown as {
    room: string;
    history: { text: string }[];
  }[];
  assert.deepEqual(rejoined.map((e) => e.room).sort(), ["#dev", "#ops"]);
  const ops = rejoined.find((e) => e.room === "#ops")!;
  assert.ok(
    ana.texts().includes("while you were away") ||
      ops.history.some((m) => m.text === "while you were away"),
  );
  const back = await bob.next("msg", (e) => e.text === "back");
  assert.equal(back.room, "#dev", "the room in use on the server is still the one joined last");
});

Deno.test("a reconnect the server refuses says what it said; /nick typed meanwhile is the way back, a bad one is not the end", async () => {
  await using server = await startServer();
  await using proxy = new FreezableProxy(server.addr.port);
  // No key: the server cannot tell our next connection from the ghost of this one.
  await using ana = await connect(proxy.port, "ana", { maxDelayMs: 200 });
  proxy.cut();
  const refusals = () => ana.events.flatMap((e) => e.type === "status" && e.refusal ? [e] : []);
  await until(() => refusals().length > 0);
  assert.deepEqual(
    { ...refusals()[0], retryInMs: 0 },
    {
      type: "status",
      state: "offline",
      message:
        'Refused: Nick "ana" is taken; try "ana_"; retrying in 0.1 s (or /nick <nick> to come back under another nick)',
      refusal: 'Nick "ana" is taken; try "ana_"',
      retryInMs: 0,
      attempt: 1,
    },
  );
  assert.equal(server.hub.member("ana")?.client, "test", "the ghost keeps its nick");
  assert.equal(await ana.session.sendLine("/nick b@d"), "retrying");
  await until(() => refusals().some((e) => e.refusal!.includes("b@d")));
  assert.ok(!ana.events.some((e) => e.type === "status" && e.state === "failed"), "not the end");
  assert.equal(await ana.session.sendLine("/nick ana2"), "retrying");
  await until(() => ana.session.connected);
  const welcome = ana.events.findLast((e) => e.type === "welcome");
  assert.ok(welcome?.type === "welcome" && welcome.nick === "ana2");
  assert.ok(
    ana.events.some((e) => e.type === "status" && e.message === "Reconnecting as ana2"),
  );
  // Connected: /nick is an ordinary command again.
  assert.equal(await ana.session.sendLine("/nick ana3"), "sent");
  await until(() => server.hub.member("ana3") !== undefined);
});

Deno.test("a reconnect refused at the door (too many connections from one address) is a refusal in the server's words, not 'still offline'", async () => {
  const first = await startServer();
  const port = first.addr.port;
  // A first retry 2 s after the loss: time to fill the restarted server's one slot.
  await using ana = await connect(port, "ana", { initialDelayMs: 2000, maxDelayMs: 2000 });
  await first.shutdown();
  await until(() => !ana.session.connected);
  await using second = await startServer({ port, maxPerIp: 1 });
  await using squatter = await NativeClient.connect(port);
  const refused = () =>
    ana.events.find((e) => e.type === "status" && e.state === "offline" && e.attempt === 1);
  await until(() => refused() !== undefined);
  const status = refused()!;
  assert.ok(status.type === "status");
  assert.equal(status.refusal, "Too many connections from 127.0.0.1 (the limit is 1)");
  assert.match(
    status.message,
    /^Refused: Too many connections from 127\.0\.0\.1 \(the limit is 1\); retrying in 2\.0 s$/,
  );
  assert.equal(second.hub.size, 0);
  squatter.close();
});
