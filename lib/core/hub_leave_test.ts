// Leaving: Hub.leave(), Hub.shutdown(), and input after either.

import assert from "node:assert/strict";
import { assertNothing, quiet, setup } from "./_hub_harness.ts";
import { Hub } from "./hub.ts";
import { RecordingSink } from "./_recording_sink.ts";

Deno.test("Hub ignores input from a member who has quit", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/quit");
  quiet(ana, bob);
  assert.equal(ana.input("still here?"), false);
  assert.equal(ana.input("/rooms"), false);
  assert.deepEqual(ana.sink.events, []);
  assertNothing(bob);
});

Deno.test("Hub.leave() tells each room of the member why it left", () => {
  const { hub, connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  const at = tick();
  hub.leave(ana.member, "timeout", "No ping in 60 s");
  assert.deepEqual(bob.sink.only(), {
    type: "leave",
    room: "#lobby",
    id: 3,
    ts: at,
    nick: "ana",
    reason: "timeout",
    message: "No ping in 60 s",
  });
  assert.deepEqual(ana.sink.ended, [], "leave() does not end the connection itself");
  assert.equal(ana.member.current, undefined);
  assert.equal(ana.member.rooms.size, 0);
});

Deno.test("Hub.leave() is idempotent", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  hub.leave(ana.member, "dropped");
  quiet(ana, bob);
  hub.leave(ana.member, "dropped");
  hub.leave(ana.member, "quit", "again");
  assertNothing(ana, bob);
  assert.equal(hub.size, 1);
});

Deno.test("Hub.leave() of a stale member does not remove the new holder of its nick", () => {
  const { hub, connect } = setup();
  const old = connect("ana");
  hub.leave(old.member, "dropped");
  const fresh = connect("ana");
  hub.leave(old.member, "dropped");
  assert.equal(hub.member("ana"), fresh.member);
  assert.equal(hub.size, 1);
});

Deno.test("Hub.leave() frees the nick for someone else", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  hub.leave(ana.member, "quit");
  assert.equal(hub.member("ana"), undefined);
  assert.equal(connect("ANA").member.nick, "ANA");
});

Deno.test("Hub.shutdown() ends everyone with a bye", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  quiet(ana, bob);
  hub.shutdown();
  for (const client of [ana, bob]) {
    assert.deepEqual(client.sink.ended, [
      { type: "bye", reason: "shutdown", message: "Server shutting down" },
    ]);
    assert.deepEqual(client.sink.events, [], "no leave events while everyone goes");
    assert.equal(client.member.gone, true);
  }
  assert.equal(hub.size, 0);
  assert.equal(hub.room("#lobby"), undefined);
  assert.equal(hub.room("#dev"), undefined);
});

Deno.test("Hub.shutdown() passes on its message", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  hub.shutdown("Back in 5 minutes");
  assert.deepEqual(ana.sink.ended, [{
    type: "bye",
    reason: "shutdown",
    message: "Back in 5 minutes",
  }]);
});

Deno.test("Hub ignores members after shutdown() and leave() on them does nothing", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  hub.shutdown();
  quiet(ana, bob);
  assert.equal(ana.input("hello?"), false);
  hub.leave(ana.member, "dropped");
  hub.leave(bob.member, "dropped");
  for (const client of [ana, bob]) {
    assert.deepEqual(client.sink.events, []);
    assert.equal(client.sink.ended.length, 1, "only the one bye from shutdown()");
  }
});

Deno.test("Hub.census() counts operators as they join and leave, and none after a shutdown", () => {
  const hub = new Hub({ rateLimit: false, operators: ["SHA256:op"] });
  const join = (nick: string, fingerprint?: string) =>
    hub.join({ nick, client: "test", fingerprint, address: "10.0.0.1" }, new RecordingSink());
  const op = join("mod", "SHA256:op");
  join("ana");
  assert.deepEqual(hub.census(), { members: 2, rooms: 1, operators: 1 });
  hub.leave(op, "quit");
  hub.leave(op, "quit"); // Twice: counted once.
  assert.deepEqual(hub.census(), { members: 1, rooms: 1, operators: 0 });
  join("mod2", "SHA256:op");
  hub.shutdown();
  assert.deepEqual(hub.census(), { members: 0, rooms: 0, operators: 0 });
});
