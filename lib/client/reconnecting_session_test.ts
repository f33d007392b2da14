import assert from "node:assert/strict";
import { ConnectError } from "../errors.ts";
import { FakePipe, settledWithin, welcomeFrame } from "./_fake_pipe.ts";
import { PipeError, type ServerAddress } from "./pipe.ts";
import { ReconnectingSession, type ReconnectOptions } from "./reconnecting_session.ts";
import type { ServerResolver } from "./resolver.ts";
import type { RoomsChange, SessionEvent } from "./session_events.ts";

/** A resolver that answers what the test set last, or never answers while `hanging`. */
class ScriptedResolver implements ServerResolver {
  hanging = false;
  constructor(public address: ServerAddress) {}
  resolve(): Promise<ServerAddress> {
    return this.hanging ? new Promise(() => {}) : Promise.resolve(this.address);
  }
}

/** Options whose pipes are fakes that welcome every hello; `opened` lists them and where they went. */
function fakeNetwork(resolver: ServerResolver, more: Partial<ReconnectOptions> = {}) {
  const opened: { address: ServerAddress; pipe: FakePipe }[] = [];
  const options: ReconnectOptions = {
    host: "flags.example",
    port: 7777,
    nick: "ana",
    client: "test",
    timeoutMs: 100,
    initialDelayMs: 10,
    random: () => 0.5,
    resolver,
    openPipe: (address) => {
      const pipe = new FakePipe((frame) =>
        frame.type === "hello" ? [welcomeFrame(String(frame.nick))] : []
      );
      opened.push({ address, pipe });
      return Promise.resolve(pipe);
    },
    ...more,
  };
  return { options, opened };
}

Deno.test("ReconnectingSession.connect() gives up on a resolver that never answers, after the connect timeout", async () => {
  const resolver = new ScriptedResolver({ host: "a.example", port: 1 });
  resolver.hanging = true;
  const { options } = fakeNetwork(resolver);
  const error = await settledWithin(2000, ReconnectingSession.connect(options).catch((e) => e));
  assert.ok(error instanceof ConnectError, String(error));
  assert.equal(error.message, "cannot find the server: timed out after 0.1 s");
});

Deno.test("ReconnectingSession.connect() reports a resolver that throws at once as 'cannot find the server'", async () => {
  const { options } = fakeNetwork({
    resolve() {
      throw new Error("Nothing announced on the LAN yet");
    },
  });
  const error = await ReconnectingSession.connect(options).catch((e) => e);
  assert.ok(error instanceof ConnectError, String(error));
  assert.equal(error.message, "cannot find the server: nothing announced on the LAN yet");
});

Deno.test("ReconnectingSession says it is still offline while its resolver hangs, and keeps trying", async () => {
  const resolver = new ScriptedResolver({ host: "a.example", port: 1 });
  const { options, opened } = fakeNetwork(resolver);
  const session = await ReconnectingSession.connect(options);
  const events: SessionEvent[] = [];
  let seen: (() => void) | undefined;
  const loop = (async () => {
    for await (const event of session.events()) {
      events.push(event);
      seen?.();
    }
  })();
  const offline = () =>
    events.flatMap((e) => e.type === "status" && e.state === "offline" ? [e.message] : []);
  const twoAttempts = new Promise<void>((resolve) => {
    seen = () => offline().length >= 3 && resolve();
  });
  try {
    resolver.hanging = true;
    opened[0].pipe.fail(new PipeError("connection reset by the server"));
    assert.equal(await settledWithin(3000, twoAttempts), undefined, offline().join("\n"));
    assert.match(
      offline()[1],
      /^Still offline \(attempt 1: cannot find the server: timed out after 0\.1 s\)/,
    );
    assert.equal(opened.length, 1);
  } finally {
    session.close();
    assert.equal(await settledWithin(3000, loop), undefined);
  }
});

Deno.test("ReconnectingSession connects where the resolver says, its TLS choice included", async () => {
  const check = { check: () => Promise.resolve("SHA256:x") };
  // The flags asked for TLS; the resolver's plain address is what counts.
  const resolver = new ScriptedResolver({ host: "plain.example", port: 2 });
  const { options, opened } = fakeNetwork(resolver, { tls: check });
  await using _session = await ReconnectingSession.connect(options);
  assert.equal(opened.length, 1);
  assert.equal(opened[0].address.host, "plain.example");
  assert.equal(opened[0].address.port, 2);
  assert.equal(opened[0].address.tls, undefined);
});

/** Polls `check` every 5 ms until it holds; fails after 3 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 3000) assert.fail("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("ReconnectingSession tells onRoomsChange the nick and rooms as they change, and keeps them across a reconnect", async () => {
  const changes: RoomsChange[] = [];
  const resolver = new ScriptedResolver({ host: "a.example", port: 1 });
  const { options, opened } = fakeNetwork(resolver, {
    onRoomsChange: (change) => changes.push({ ...change, rooms: [...change.rooms] }),
  });
  const session = await ReconnectingSession.connect(options);
  const loop = (async () => {
    for await (const _ of session.events()) { /* drained */ }
  })();
  const last = () => changes.at(-1);
  try {
    assert.deepEqual(last(), {
      nick: "ana",
      rooms: ["#lobby"],
      current: "#lobby",
      server: "fake",
    });
    opened[0].pipe.say(
      { type: "joined", room: "#dev", members: ["ana"], memberCount: 1, history: [] },
      { type: "nick", ts: 1, old: "ana", new: "anna", rooms: ["#lobby", "#dev"] },
    );
    await until(() => last()?.nick === "anna");
    assert.deepEqual(last(), {
      nick: "anna",
      rooms: ["#lobby", "#dev"],
      current: "#dev",
      server: "fake",
    });
    opened[0].pipe.fail(new PipeError("connection reset by the server"));
    await until(() => opened.length === 2 && changes.length >= 4);
    // The new connection's welcome puts us in the lobby; the rooms wanted stay.
    assert.deepEqual(last()?.rooms, ["#lobby", "#dev"]);
    assert.equal(last()?.current, "#dev");
  } finally {
    session.close();
    assert.equal(await settledWithin(3000, loop), undefined);
  }
});
