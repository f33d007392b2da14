// Room.deliver: another node's member's join, when the presence watch placed it here first.

import assert from "node:assert/strict";
import type { ChatEvent } from "./events.ts";
import { Member } from "./member.ts";
import { Room } from "./room.ts";
import type { RoomEvent } from "./state/room_log.ts";
import { closeWindow, openWindow } from "./delivery_batch.ts";

let ids = 0;

/** A member whose sink records what it is told; `remote` for one of another node. */
function member(nick: string, remote = false): Member & { told: ChatEvent[] } {
  const told: ChatEvent[] = [];
  const made = new Member(++ids, nick, nick.toLowerCase(), "test", {
    deliver: (event) => void told.push(event),
    end: () => {},
  }, false);
  if (remote) made.remote = { node: "B", disconnect: () => {} };
  return Object.assign(made, { told });
}

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
