// Room.deliver: another node's member's join, when the presence watch placed it here first.

import assert from "node:assert/strict";
import { recordedMember } from "./_recording_sink.ts";
import { ANNOUNCED_AHEAD_MS, Room } from "./room.ts";
import type { RoomEvent } from "./state/room_log.ts";
import { closeWindow, openWindow } from "./delivery_batch.ts";

const member = recordedMember;

const join = (nick: string, id: number): RoomEvent =>
  ({ type: "join", room: "#dev", id, ts: 1, nick }) as RoomEvent;

Deno.test("Room.deliver: a remote member's join reaches those who joined before it was placed, not those whose snapshot had it", () => {
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  const eve = member("eve", true);
  const bob = member("bob", true); // placed by the presence watch before its join came
  const cid = member("cid"); // joined after: its snapshot listed bob
  for (const m of [ana, eve, bob, cid]) room.add(m);
  room.deliver(join("bob", 7));
  assert.deepEqual(ana.told, [join("bob", 7)]);
  assert.deepEqual(eve.told, [join("bob", 7)], "other remote members are handed it as before");
  assert.deepEqual(bob.told, []);
  assert.deepEqual(cid.told, [], "told twice: in its snapshot and again");
});

Deno.test("Room.deliver: a remote member's join that comes before its placement reaches everyone", () => {
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  const cid = member("cid");
  room.add(ana);
  room.add(cid);
  room.deliver(join("bob", 7));
  assert.deepEqual(ana.told, [join("bob", 7)]);
  assert.deepEqual(cid.told, [join("bob", 7)]);
  // A local member's own join (skipped: it gets `joined`) is not looked up among remote members.
  const dan = member("dan");
  room.add(dan);
  room.deliver(join("dan", 8), dan);
  assert.deepEqual(ana.told.at(-1), join("dan", 8));
  assert.deepEqual(dan.told, []);
});

Deno.test("Room.deliver: the placed join keeps its place among events held for a run", () => {
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  const bob = member("bob", true);
  const cid = member("cid");
  for (const m of [ana, bob, cid]) room.add(m);
  const message = { type: "msg", room: "#dev", id: 6, ts: 1, from: "ana", text: "hi" } as RoomEvent;
  assert.ok(openWindow());
  try {
    room.deliver(message, ana);
    room.deliver(join("bob", 7));
  } finally {
    closeWindow();
  }
  assert.deepEqual(ana.told, [join("bob", 7)]);
  assert.deepEqual(cid.told, [message], "the held message first, and no second join of bob");
});

const leave = (nick: string, id: number): RoomEvent =>
  ({ type: "leave", room: "#dev", id, ts: 1, nick, reason: "quit" }) as RoomEvent;

/** Runs `body` with `performance.now()` reading `clock.now`. */
function withClock(body: (clock: { now: number }) => void): void {
  const clock = { now: performance.now() };
  const real = Object.getOwnPropertyDescriptor(performance, "now");
  Object.defineProperty(performance, "now", { value: () => clock.now, configurable: true });
  try {
    body(clock);
  } finally {
    if (real) Object.defineProperty(performance, "now", real);
    else delete (performance as { now?: unknown }).now;
  }
}

Deno.test("Room: a remote join the log announced before the placement is listed to later joiners, and counted, till placed", () => {
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  room.add(ana);
  room.deliver(join("bob", 7)); // bob's node announced it; the presence watch has not placed it
  assert.deepEqual(ana.told, [join("bob", 7)]);
  const cid = member("cid"); // joins between the two: its snapshot must show bob
  room.add(cid);
  assert.deepEqual(room.nicks(), ["ana", "bob", "cid"]);
  assert.equal(room.size, 3);
  const bob = member("bob", true);
  room.add(bob); // the placement: quiet, and bob is listed once
  assert.deepEqual(room.nicks(), ["ana", "bob", "cid"]);
  assert.equal(room.size, 3);
  assert.deepEqual(cid.told, []);
  assert.deepEqual(ana.told, [join("bob", 7)]);
});

Deno.test("Room: a remote member taken out before the log announces its leave stays listed till the leave", () => {
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  const bob = member("bob", true);
  room.add(ana);
  room.add(bob);
  room.remove(bob);
  room.withdrawnAhead("bob"); // the presence watch first
  const cid = member("cid");
  room.add(cid);
  assert.deepEqual(room.nicks(), ["ana", "bob", "cid"], "cid is about to be told bob left");
  room.deliver(leave("bob", 8));
  assert.deepEqual(ana.told, [leave("bob", 8)]);
  assert.deepEqual(cid.told, [leave("bob", 8)]);
  assert.deepEqual(room.nicks(), ["ana", "cid"]);
  assert.equal(room.size, 2);
});

Deno.test("Room: a remote leave the log announced before the member was taken out lists nothing after", () => {
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  const bob = member("bob", true);
  room.add(ana);
  room.add(bob);
  room.deliver(leave("bob", 8)); // the log first: everyone here is told
  assert.deepEqual(ana.told, [leave("bob", 8)]);
  room.remove(bob);
  room.withdrawnAhead("bob");
  assert.deepEqual(room.nicks(), ["ana"]);
  assert.equal(room.size, 1);
  // A local member's own leave (not another node's) lists nothing either.
  room.deliver(leave("ana", 9));
  assert.deepEqual(room.nicks(), ["ana"]);
});

Deno.test("Room: one listed ahead whose other half never comes is forgotten after ANNOUNCED_AHEAD_MS", () => {
  withClock((clock) => {
    const room = new Room("#dev", "#dev", 10);
    room.add(member("ana"));
    room.deliver(join("bob", 7));
    clock.now += ANNOUNCED_AHEAD_MS - 1;
    room.deliver(join("eve", 8));
    assert.deepEqual(room.nicks(), ["ana", "bob", "eve"]);
    clock.now += 2;
    assert.deepEqual(room.nicks(), ["ana", "eve"]);
    assert.equal(room.size, 2);
    clock.now += ANNOUNCED_AHEAD_MS;
    assert.equal(room.size, 1);
    assert.deepEqual(room.nicks(), ["ana"]);
  });
});

// Orders a review found.

Deno.test("Room: a placed remote member whose leave the log announced first is not listed to a member joining before the withdrawal", () => {
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  const bob = member("bob", true);
  room.add(ana);
  room.add(bob);
  room.deliver(leave("bob", 8)); // the log first
  const cid = member("cid"); // joins before the presence watch takes bob out: no leave will follow
  room.add(cid);
  assert.deepEqual(room.nicks(), ["ana", "cid"], "cid would list bob for good");
  assert.equal(room.size, 2);
  room.remove(bob);
  room.withdrawnAhead("bob");
  assert.deepEqual(room.nicks(), ["ana", "cid"]);
  assert.deepEqual(cid.told, []);
});

Deno.test("Room: a remote member leaving and joining again, both announced before the watch moves it, is announced to everyone", () => {
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  const bob = member("bob", true);
  const cid = member("cid"); // joined after bob's placement
  for (const m of [ana, bob, cid]) room.add(m);
  room.deliver(leave("bob", 8));
  room.deliver(join("bob", 9)); // bob is still placed: the old placement, not this join's
  assert.deepEqual(cid.told, [leave("bob", 8), join("bob", 9)], "cid ends without bob");
  room.remove(bob); // the watch: out, then in again
  room.withdrawnAhead("bob");
  assert.deepEqual(room.nicks(), ["ana", "bob", "cid"]);
  room.add(bob);
  assert.deepEqual(room.nicks(), ["ana", "bob", "cid"]);
  assert.deepEqual(ana.told, [leave("bob", 8), join("bob", 9)]);
});

Deno.test("Room: a remote member joining and leaving, both announced before the watch places it, is not listed after", () => {
  const room = new Room("#dev", "#dev", 10);
  room.add(member("ana"));
  room.deliver(join("bob", 7));
  room.deliver(leave("bob", 8));
  const bob = member("bob", true);
  room.add(bob); // the watch, late: in, then out
  assert.deepEqual(room.nicks(), ["ana"], "a joiner now would list bob and never hear it left");
  room.remove(bob);
  room.withdrawnAhead("bob");
  assert.deepEqual(room.nicks(), ["ana"], "listed 10 s though its leave was announced");
  assert.equal(room.size, 1);
});

Deno.test("Room: a local member's own join coming back without its origin lists it once", () => {
  // NatsRoomLog.publish forgets the origin of an event whose ack timed out; it may be stored still.
  const room = new Room("#dev", "#dev", 10);
  const ana = member("ana");
  room.add(ana);
  room.deliver(join("ana", 7));
  assert.deepEqual(room.nicks(), ["ana"]);
  assert.equal(room.size, 1);
});
