/**
 * How the server serves one arrival whatever happens to it: the ticket is
 * released once (kept when the HTTP server took the connection), and
 * shutdown still returns, even when the session or the log throws.
 */

import assert from "node:assert/strict";
import { ChatServer } from "./chat_server.ts";
import { FakeListener } from "./_fake_listener.ts";
import type { Admitted } from "./connection_limits.ts";
import { FakePipe } from "./_fake_pipe.ts";
import { NativeCodec } from "../protocol/native_codec.ts";
import { within } from "../../tests/_waiting.ts";

/** A ticket that counts its releases. */
class CountedTicket implements Admitted {
  released = 0;
  alive() {}
  onEvict(_evict: () => void) {}
  joined() {}
  release() {
    this.released++;
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A native client's arrival on `listener`, with a ticket that counts its releases. */
function arrive(listener: FakeListener, pipe: FakePipe): CountedTicket {
  const ticket = new CountedTicket();
  listener.options!.onArrival({
    pipe,
    ip: "192.0.2.1",
    ticket,
    secure: false,
    codec: new NativeCodec(1024),
  });
  return ticket;
}

Deno.test("ChatServer: a dropped client's ticket is released once and shutdown returns", async () => {
  const listener = new FakeListener();
  const server = await ChatServer.serve(listener, {});
  const pipe = new FakePipe();
  const ticket = arrive(listener, pipe);
  await pipe.feed('{"type":"hello","protocol":1,"nick":"ana","client":"x"}\n');
  pipe.fail(new Error("reset by peer"));
  await tick();
  assert.equal(ticket.released, 1);
  await within(3000, server.shutdown(), "shutdown");
});

Deno.test("ChatServer: a log that throws on the disconnect and the error still lets the ticket go and shutdown return", async () => {
  const listener = new FakeListener();
  const events: string[] = [];
  const server = await ChatServer.serve(listener, {
    log: (record) => {
      events.push(record.event);
      if (record.event === "disconnect" || record.event === "error") throw new Error("log full");
    },
  });
  const pipe = new FakePipe();
  const ticket = arrive(listener, pipe);
  pipe.close();
  await tick();
  assert.ok(events.includes("disconnect") && events.includes("error"), events.join());
  assert.equal(ticket.released, 1);
  await within(3000, server.shutdown(), "shutdown");
});

Deno.test("ChatServer: a read loop that throws at once ends the session like a dropped one", async () => {
  const listener = new FakeListener();
  const events: { event: string; reason?: unknown }[] = [];
  const server = await ChatServer.serve(listener, {
    log: (record) => events.push(record as { event: string; reason?: unknown }),
  });
  const pipe = new FakePipe();
  pipe.readLoop = () => {
    throw new Error("no socket");
  };
  const ticket = arrive(listener, pipe);
  await tick();
  const disconnect = events.find((record) => record.event === "disconnect");
  assert.ok(disconnect, events.map((record) => record.event).join());
  assert.equal(ticket.released, 1);
  await within(3000, server.shutdown(), "shutdown");
});
