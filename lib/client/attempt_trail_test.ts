import assert from "node:assert/strict";
import { FakePipe, settledWithin, welcomeFrame } from "./_fake_pipe.ts";
import { AttemptTrail } from "./attempt_trail.ts";
import { HostList } from "./host_list.ts";
import { PipeError, type ServerAddress } from "./pipe.ts";
import { ReconnectingSession } from "./reconnecting_session.ts";
import { FixedServer } from "./resolver.ts";
import type { SessionEvent } from "./session_events.ts";

const LIST = [
  { host: "a.lan", port: 7000 },
  { host: "b.lan", port: 7000 },
  { host: "c.lan", port: 7001 },
];

Deno.test("AttemptTrail names every listed server once each failed in a row", async () => {
  const trail = new AttemptTrail(new HostList(LIST, undefined));
  await trail.resolve(); // The first connection, to a.
  await trail.resolve();
  assert.equal(trail.failed("connection refused"), "b.lan:7000: connection refused");
  await trail.resolve();
  assert.equal(
    trail.failed("cannot reach c.lan:7001: timed out after 10 s"),
    "c.lan:7001: timed out after 10 s",
  );
  await trail.resolve();
  assert.equal(
    trail.failed("connection refused"),
    "b.lan:7000 and a.lan:7000 refused the connection; c.lan:7001: timed out after 10 s",
  );
  let words = "";
  for (let round = 0; round < 3; round++) {
    await trail.resolve();
    words = trail.failed("connection refused");
  }
  assert.equal(words, "b.lan:7000, c.lan:7001 and a.lan:7000 refused the connection");
});

Deno.test("AttemptTrail starts a new round after a server answered with a refusal", async () => {
  const trail = new AttemptTrail(new HostList(LIST, undefined));
  await trail.resolve(); // a
  await trail.resolve(); // b: unreached
  trail.failed("connection refused");
  await trail.resolve(); // c: answered, refused our nick (no failure told)
  await trail.resolve(); // a: unreached
  assert.equal(trail.failed("connection refused"), "a.lan:7000: connection refused");
});

Deno.test("AttemptTrail says where it reconnected only when the server changed", async () => {
  const trail = new AttemptTrail(new HostList(LIST, undefined));
  await trail.resolve(); // a
  await trail.resolve(); // b
  assert.deepEqual(trail.reconnected(), {
    message: "Reconnected to b.lan:7000",
    host: "b.lan:7000",
  });
  const back = new AttemptTrail(new HostList(LIST, undefined, 1));
  await back.resolve(); // b
  await back.resolve(); // c: down
  back.failed("connection refused");
  await back.resolve(); // a: down
  back.failed("connection refused");
  await back.resolve(); // b again: the same server
  assert.deepEqual(back.reconnected(), { message: "Reconnected" });
});

Deno.test("AttemptTrail keeps the words of one server as they were", async () => {
  const trail = new AttemptTrail(new FixedServer({ host: "a.lan", port: 7000 }));
  await trail.resolve();
  await trail.resolve();
  assert.equal(trail.failed("connection refused"), "connection refused");
  await trail.resolve();
  assert.equal(trail.failed("connection refused"), "connection refused");
  await trail.resolve();
  assert.deepEqual(trail.reconnected(), { message: "Reconnected" });
});

Deno.test("ReconnectingSession on a host list says it tried every server, then where it came back", async () => {
  const down = new Set(["a.lan", "b.lan", "c.lan"]);
  const opened: { address: ServerAddress; pipe: FakePipe }[] = [];
  down.delete("a.lan");
  const session = await ReconnectingSession.connect({
    host: "a.lan",
    port: 7000,
    nick: "ana",
    client: "test",
    timeoutMs: 100,
    initialDelayMs: 5,
    maxDelayMs: 20,
    random: () => 0.5,
    resolver: new HostList(LIST, undefined),
    openPipe: (address) => {
      if (down.has(address.host)) return Promise.reject(new PipeError("connection refused"));
      const pipe = new FakePipe((frame) =>
        frame.type === "hello" ? [welcomeFrame(String(frame.nick))] : []
      );
      opened.push({ address, pipe });
      return Promise.resolve(pipe);
    },
  });
  const statuses: string[] = [];
  let hosts: (string | undefined)[] = [];
  let seen: (() => void) | undefined;
  const loop = (async () => {
    for await (const event of session.events() as AsyncGenerator<SessionEvent>) {
      if (event.type !== "status") continue;
      statuses.push(event.message);
      if (event.state === "connected") hosts = [...hosts, event.host];
      seen?.();
    }
  })();
  const waitFor = (check: () => boolean) =>
    settledWithin(3000, new Promise<void>((resolve) => (seen = () => check() && resolve())));
  try {
    down.add("a.lan");
    opened[0].pipe.fail(new PipeError("connection reset by the server"));
    const everyServer = (m: string) =>
      /^Still offline \(attempt \d+: (\S+), (\S+) and (\S+) refused the connection\)/.test(m);
    assert.equal(await waitFor(() => statuses.some(everyServer)), undefined, statuses.join("\n"));
    assert.match(statuses[1], /^Still offline \(attempt 1: b\.lan:7000: connection refused\)/);
    assert.match(
      statuses[3],
      /^Still offline \(attempt 3: b\.lan:7000, c\.lan:7001 and a\.lan:7000 refused/,
    );
    down.delete("c.lan");
    assert.equal(await waitFor(() => hosts.length > 0), undefined, statuses.join("\n"));
    assert.deepEqual(hosts, ["c.lan:7001"]);
    assert.ok(statuses.includes("Reconnected to c.lan:7001"), statuses.join("\n"));
  } finally {
    session.close();
    assert.equal(await settledWithin(3000, loop), undefined);
  }
});
