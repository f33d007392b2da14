// /who, /join, /part and /rooms, through the hub.

import assert from "node:assert/strict";
import { assertError, assertNothing, quiet, setup } from "../_hub_harness.ts";

Deno.test("/who lists the members of the current room, sorted", () => {
  const { connect } = setup();
  const carol = connect("carol");
  connect("ana");
  connect("Bob");
  quiet(carol);
  assert.equal(carol.input("/who"), true);
  assert.deepEqual(carol.sink.only(), {
    type: "who",
    room: "#lobby",
    members: ["ana", "Bob", "carol"],
  });
});

Deno.test("/who lists another room by name, with or without '#'", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  quiet(ana);
  ana.input("/who #dev");
  ana.input("/names DEV");
  assert.deepEqual(ana.sink.events, [
    { type: "who", room: "#dev", members: ["bob"] },
    { type: "who", room: "#dev", members: ["bob"] },
  ]);
});

Deno.test("/who of a room that does not exist fails with bad_room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/who #nowhere");
  assertError(ana, "bad_room", 'There is no room "#nowhere"');
});

Deno.test("/join creates a room and answers with a joined snapshot", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/join #dev"), true);
  assert.deepEqual(ana.sink.only(), {
    type: "joined",
    room: "#dev",
    members: ["ana"],
    memberCount: 1,
    history: [],
  });
  assert.equal(ana.member.current?.name, "#dev");
  assert.deepEqual([...ana.member.rooms.values()].map((r) => r.name), ["#lobby", "#dev"]);
  assert.ok(hub.room("#dev"));
});

Deno.test("/join adds the '#' when it is left out", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/join dev");
  const event = ana.sink.only();
  assert.equal(event.type === "joined" && event.room, "#dev");
});

Deno.test("/join replays the room's history and tells its members", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  ana.input("one");
  ana.input("/me two");
  quiet(ana, bob);
  const at = tick();
  bob.input("/join #dev");
  const joined = bob.sink.only();
  assert.equal(joined.type, "joined");
  assert.deepEqual(joined.members, ["ana", "bob"]);
  assert.deepEqual(joined.history.map((m) => `${m.id} ${m.kind} ${m.text}`), [
    "2 say one",
    "3 action two",
  ]);
  assert.deepEqual(ana.sink.only(), { type: "join", room: "#dev", id: 4, ts: at, nick: "bob" });
});

Deno.test("/join finds a room regardless of case and keeps its first spelling", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #Dev");
  quiet(ana, bob);
  bob.input("/join #DEV");
  const joined = bob.sink.only();
  assert.equal(joined.type === "joined" && joined.room, "#Dev");
  assert.equal(ana.sink.of("join").length, 1);
});

Deno.test("/join of a room the member is already in only switches to it", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  quiet(ana, bob);
  assert.equal(ana.input("/join #lobby"), true);
  assert.equal(ana.member.current?.name, "#lobby");
  assert.equal(ana.sink.only().type, "joined");
  assertNothing(bob);
  assert.equal(ana.member.rooms.size, 2);
});

Deno.test("/join refuses an invalid room name with bad_room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  for (const name of ["#", "##", "#bad!", "#a/b", "#" + "x".repeat(33)]) {
    quiet(ana, bob);
    assert.equal(ana.input(`/join ${name}`), false, name);
    assertError(ana, "bad_room", /^Room name ".*" must be "#" and 1 to 32 letters/);
    assertNothing(bob);
  }
  assert.equal(ana.member.rooms.size, 1);
});

Deno.test("/join accepts a room name of 32 letters, digits, '_', '-' and '.'", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const name = "#" + "Ab1_-.".repeat(5) + "zé";
  assert.equal([...name].length, 33);
  assert.equal(ana.input(`/join ${name}`), true);
  assert.equal(ana.member.current?.name, name);
});

Deno.test("/join quotes an invalid room name safely in its error", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/join #\x1b[2Jx");
  const error = ana.sink.only();
  assert.equal(error.type, "error");
  assert.equal(error.code, "bad_room");
  assert.ok(!error.message.includes("\x1b"), error.message);
});

Deno.test("/part refuses to leave the member's only room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/part"), false);
  assertError(ana, "bad_args", "#lobby is your only room; /join another before leaving it");
  assertNothing(bob);
  assert.equal(ana.member.current?.name, "#lobby");
});

Deno.test("/part leaves the current room, tells it, and falls back to the last joined room", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #a");
  ana.input("/join #b");
  bob.input("/join #b");
  ana.input("/join #b"); // current again
  quiet(ana, bob);
  const at = tick();
  assert.equal(ana.input("/part"), true);
  assert.deepEqual(ana.sink.only(), { type: "parted", room: "#b", current: "#a" });
  assert.deepEqual(bob.sink.of("leave"), [
    { type: "leave", room: "#b", id: 3, ts: at, nick: "ana", reason: "part" },
  ]);
  assert.equal(ana.member.current?.name, "#a");
});

Deno.test("/part #room leaves that room with a reason, told to the room and to the member", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  quiet(ana, bob);
  ana.input("/part #lobby off to work  now");
  const leave = bob.sink.only();
  assert.equal(leave.type, "leave");
  assert.equal(leave.reason, "part");
  assert.equal(leave.message, "off to work  now");
  assert.deepEqual(ana.sink.only(), {
    type: "parted",
    room: "#lobby",
    current: "#dev",
    message: "off to work  now",
  });
});

Deno.test("/part without a room name takes its words as the reason", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  ana.input("/join #dev");
  quiet(ana, bob);
  ana.input("/part bye all");
  const leave = bob.sink.of("leave")[0];
  assert.equal(leave.room, "#dev");
  assert.equal(leave.message, "bye all");
});

Deno.test("/part sanitises its reason", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  quiet(bob);
  ana.input("/part #lobby \x1b]0;pwned\x07bye\u202E");
  assert.equal(bob.sink.of("leave")[0].message, "bye");
});

Deno.test("/part of a room the member is not in fails with not_in_room; of no room, bad_room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bo = connect("bo");
  ana.input("/join #dev");
  bo.input("/join #elsewhere");
  quiet(ana);
  ana.input("/part #elsewhere");
  assertError(ana, "not_in_room", "You are not in #elsewhere");
  quiet(ana);
  ana.input("/part #nope");
  assertError(ana, "bad_room", 'There is no room "#nope"');
});

Deno.test("/part forgets an empty room that has no history", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  ana.input("/join #quiet");
  ana.input("/part #quiet");
  assert.equal(hub.room("#quiet"), undefined);
});

Deno.test("/part keeps an empty room that has history, for the next joiner", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  ana.input("/join #notes");
  ana.input("remember this");
  ana.input("/part #notes");
  assert.ok(hub.room("#notes"));
  const bob = connect("bob");
  quiet(bob);
  bob.input("/join #notes");
  const joined = bob.sink.only();
  assert.deepEqual(joined.type === "joined" && joined.history.map((m) => m.text), [
    "remember this",
  ]);
});

Deno.test("/rooms lists every room with its member count, fullest first", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  connect("carol");
  ana.input("/join #zeta");
  bob.input("/join #zeta");
  ana.input("/join #alpha");
  bob.input("/join #beta");
  quiet(ana);
  assert.equal(ana.input("/rooms"), true);
  assert.deepEqual(ana.sink.only(), {
    type: "rooms",
    rooms: [
      { room: "#lobby", members: 3 },
      { room: "#zeta", members: 2 },
      { room: "#alpha", members: 1 },
      { room: "#beta", members: 1 },
    ],
  });
});

Deno.test("/part of another room keeps the current room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/join #a");
  ana.input("/join #b");
  ana.input("/join #a");
  quiet(ana);
  assert.equal(ana.input("/part #lobby"), true);
  const parted = ana.sink.only();
  assert.equal(parted.type === "parted" && parted.current, "#a");
  assert.equal(ana.member.current?.name, "#a");
});
