/** ReconnectingSession asks its ServerResolver where to connect on every attempt. */

import assert from "node:assert/strict";
import { ReconnectingSession } from "../lib/client/reconnecting_session.ts";
import type { SessionEvent } from "../lib/client/session_events.ts";
import type { ServerAddress } from "../lib/client/pipe.ts";
import type { ServerResolver } from "../lib/client/resolver.ts";
import { startServer } from "./_in_process_server.ts";
import { until } from "./_waiting.ts";

/** A resolver that answers whatever the test set last, and counts the questions. */
class MovableServer implements ServerResolver {
  asked = 0;
  constructor(public address: ServerAddress) {}
  resolve(): Promise<ServerAddress> {
    this.asked++;
    return Promise.resolve(this.address);
  }
}

Deno.test("ReconnectingSession reconnects where its resolver says now, not where it first connected", async () => {
  const first = await startServer({ serverName: "first" });
  const resolver = new MovableServer({ host: "127.0.0.1", port: first.addr.port });
  // host and port point at the first server: only the resolver knows about the second.
  const session = await ReconnectingSession.connect({
    host: "127.0.0.1",
    port: first.addr.port,
    nick: "ana",
    client: "test",
    initialDelayMs: 50,
    random: () => 0.5,
    resolver,
  });
  const events: SessionEvent[] = [];
  const loop = (async () => {
    for await (const event of session.events()) events.push(event);
  })();
  try {
    assert.equal(session.welcome.server, "first");
    assert.equal(resolver.asked, 1);
    await first.shutdown();
    await until(() => !session.connected);
    await using second = await startServer({ serverName: "second" });
    assert.notEqual(second.addr.port, first.addr.port);
    resolver.address = { host: "127.0.0.1", port: second.addr.port };
    await until(() => session.connected);
    await until(() => second.hub.member("ana") !== undefined);
    const welcomes = events.flatMap((e) => e.type === "welcome" ? [e.server] : []);
    assert.deepEqual(welcomes, ["second"]);
    assert.ok(resolver.asked >= 2);
  } finally {
    session.close();
    await loop;
  }
});

Deno.test("ReconnectingSession.connect() asks the resolver before its first connection", async () => {
  await using server = await startServer();
  const resolver = new MovableServer({ host: "127.0.0.1", port: server.addr.port });
  // The flags' port is wrong; the resolver's answer is used.
  await using session = await ReconnectingSession.connect({
    host: "127.0.0.1",
    port: 1,
    nick: "bob",
    client: "test",
    resolver,
  });
  assert.equal(resolver.asked, 1);
  assert.equal(session.welcome.nick, "bob");
});
