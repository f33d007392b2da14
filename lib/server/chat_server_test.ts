import assert from "node:assert/strict";
import { Hub } from "../core/hub.ts";
import { ChatServer, type LogRecord } from "./chat_server.ts";
import { FrontDoor } from "./front_door.ts";
import { Connection } from "./connection.ts";
import { FakePipe } from "./_fake_pipe.ts";
import { FakeListener } from "./_fake_listener.ts";
import { NativeCodec } from "../protocol/native_codec.ts";
import { ConnectionLimits } from "./connection_limits.ts";
import { createSelfSigned } from "./tls_certificate.ts";
import { NativeClient } from "../../tests/_native_client.ts";
import { until, within } from "../../tests/_waiting.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Connects, sends a native hello as `nick`, and returns the first line the server answers. */
async function joinAs(port: number, nick: string): Promise<{ conn: Deno.Conn; first: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    encoder.encode(`{"type":"hello","protocol":1,"nick":"${nick}","client":"test"}\n`),
  );
  let text = "";
  const buffer = new Uint8Array(4096);
  while (!text.includes("\n")) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n));
  }
  return { conn, first: text.split("\n")[0] };
}

Deno.test("ChatServer.serve(): two listeners feed one injected hub", async () => {
  const hub = new Hub({ serverName: "shared" });
  const doors = [
    await FrontDoor.bind({ hostname: "127.0.0.1", port: 0 }),
    await FrontDoor.bind({ hostname: "127.0.0.1", port: 0 }),
  ];
  await using server = await ChatServer.serve(doors, { hub });
  assert.equal(server.hub, hub);
  assert.deepEqual(server.hostnames, ["127.0.0.1", "127.0.0.1"]);
  const ana = await joinAs(doors[0].addr.port, "ana");
  const bob = await joinAs(doors[1].addr.port, "bob");
  assert.equal(JSON.parse(ana.first).type, "welcome");
  assert.equal(JSON.parse(bob.first).server, "shared");
  assert.equal(hub.size, 2);
  assert.equal(server.connectionCount, 2);
  ana.conn.close();
  bob.conn.close();
});

Deno.test("ChatServer.serve(): a plain and a TLS listener feed one hub", async () => {
  const certificate = await createSelfSigned();
  const plain = await FrontDoor.bind({ hostname: "127.0.0.1", port: 0 });
  const secure = await FrontDoor.bindTls({ hostname: "127.0.0.1", port: 0 });
  await using server = await ChatServer.serve([plain, secure], { tls: certificate });
  await using ana = await NativeClient.connect(plain.addr.port, "ana");
  await using bob = await NativeClient.connectTls(secure.addr.port, certificate.cert, "bob");
  assert.equal(server.hub.size, 2);
  await bob.send({ type: "msg", text: "over TLS" });
  const msg = await ana.next("msg");
  assert.equal(msg.text, "over TLS");
  assert.equal(msg.from, "bob");
});

Deno.test("ChatServer.serve(): a TLS client that arrives between bind and serve is served, not left hanging", async () => {
  const certificate = await createSelfSigned();
  const door = await FrontDoor.bindTls({ hostname: "127.0.0.1", port: 0 });
  // chat-server binds, then opens its stores and makes its certificate: a client may come first.
  const early = NativeClient.connectTls(door.addr.port, certificate.cert, "ana");
  await until(() => door.waitingToServe === 1);
  await using server = await ChatServer.serve(door, { tls: certificate });
  await using ana = await within(5000, early, "the early client's handshake");
  assert.equal((await within(5000, ana.next("welcome"), "its welcome")).nick, "ana");
  assert.equal(server.hub.size, 1);
});

Deno.test("ChatServer: a listener's arrival with its own codec is served without sniffing", async () => {
  const listener = new FakeListener();
  await using server = await ChatServer.serve(listener, { textPromptDelayMs: 1 });
  const options = listener.options!;
  assert.equal(options.sendQueueBytes, 1024 * 1024);
  const pipe = new FakePipe();
  const ticket = new ConnectionLimits({ maxPerIp: 4, maxPending: 4 }).admit("192.0.2.1");
  assert.ok(!("message" in ticket));
  options.onArrival({ pipe, ip: "192.0.2.1", ticket, secure: false, codec: new NativeCodec(1024) });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(pipe.text(), "", "no text greeting for a listener that named the codec");
  await pipe.feed('{"type":"hello","protocol":1,"nick":"ana","client":"ws"}\n');
  assert.equal(pipe.frames()[0].type, "welcome");
  assert.equal(server.hub.size, 1);
});

Deno.test("ChatServer.serve() refuses a TLS listener without a certificate, and binds nothing more", async () => {
  const door = await FrontDoor.bindTls({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      () => ChatServer.serve(door, {}),
      TypeError,
      `The listener on port ${door.addr.port} speaks TLS, but no certificate was given (options.tls)`,
    );
  } finally {
    door.close();
  }
});

Deno.test("ChatServer: a listener that fails while serving is logged; the others go on", async () => {
  const failing = new FakeListener();
  failing.serve = () => Promise.reject(new Error("the socket went away"));
  const records: LogRecord[] = [];
  const door = await FrontDoor.bind({ hostname: "127.0.0.1", port: 0 });
  await using server = await ChatServer.serve([failing, door], {
    log: (record) => records.push(record),
  });
  await until(() => records.some((r) => r.event === "error"));
  assert.equal(records.find((r) => r.event === "error")?.error, "Error: the socket went away");
  await using _ana = await NativeClient.connect(door.addr.port, "ana");
  assert.equal(server.hub.size, 1);
});

Deno.test("ChatServer: logLevel drops the records below it before the log limiter, and limits the rest as before", async () => {
  const records: LogRecord[] = [];
  const door = await FrontDoor.bind({ hostname: "127.0.0.1", port: 0 });
  const server = await ChatServer.serve(door, {
    maxClients: 1,
    logLevel: "warn",
    log: (record) => records.push(record),
  });
  const port = door.addr.port;
  const ana = await joinAs(port, "ana");
  assert.equal(JSON.parse(ana.first).type, "welcome");
  const late = [];
  for (let i = 0; i < 7; i++) {
    late.push(await joinAs(port, `late${i}`));
    assert.equal(JSON.parse(late[i].first).code, "server_full");
  }
  for (const { conn } of [ana, ...late]) conn.close();
  await server.shutdown();
  // No connect, join, disconnect or shutdown record (debug and info) was made.
  assert.deepEqual(records.filter((r) => r.level === "debug" || r.level === "info"), []);
  // Five refusals one by one, then one line for the two more (at shutdown).
  const refused = records.filter((r) => r.event === "refused" && r.reason === "server_full");
  assert.equal(refused.filter((r) => r.suppressed === undefined).length, 5);
  assert.equal(refused.find((r) => r.suppressed !== undefined)?.suppressed, 2);
});

Deno.test("ChatServer: the connect, join and disconnect records are not even made below logLevel (no peer address formatted)", async () => {
  // Counts reads of a connection's formatted address, which only log records ask for.
  const getter = Object.getOwnPropertyDescriptor(Connection.prototype, "remote")!;
  let reads = 0;
  Object.defineProperty(Connection.prototype, "remote", {
    ...getter,
    get(this: Connection) {
      reads++;
      return getter.get!.call(this);
    },
  });
  try {
    const readsAt = async (logLevel: "debug" | "info" | "warn") => {
      reads = 0;
      const records: LogRecord[] = [];
      const door = await FrontDoor.bind({ hostname: "127.0.0.1", port: 0 });
      const server = await ChatServer.serve(door, { logLevel, log: (r) => records.push(r) });
      const ana = await joinAs(door.addr.port, "ana");
      assert.equal(JSON.parse(ana.first).type, "welcome");
      ana.conn.close();
      await until(() =>
        server.hub.size === 0 && records.some((r) => r.event === "disconnect") ===
          (logLevel !== "warn")
      );
      await server.shutdown();
      const perConnection = ["connect", "join", "disconnect"];
      return {
        reads,
        events: records.map((r) => r.event).filter((e) => perConnection.includes(e)),
      };
    };
    assert.deepEqual(await readsAt("debug"), {
      reads: 3,
      events: ["connect", "join", "disconnect"],
    });
    assert.deepEqual(await readsAt("info"), { reads: 2, events: ["join", "disconnect"] });
    assert.deepEqual(await readsAt("warn"), { reads: 0, events: [] });
  } finally {
    Object.defineProperty(Connection.prototype, "remote", getter);
  }
});
