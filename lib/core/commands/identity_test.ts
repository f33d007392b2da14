// /nick and /quit, through the hub.

import assert from "node:assert/strict";
import { assertError, assertNothing, quiet, setup } from "../_hub_harness.ts";

Deno.test("/nick renames the member and tells it and the members it shares a room with", () => {
  const { hub, connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  const at = tick();
  assert.equal(ana.input("/nick anna"), true);
  const expected = { type: "nick", ts: at, old: "ana", new: "anna", rooms: ["#lobby"] };
  assert.deepEqual(ana.sink.only(), expected);
  assert.deepEqual(bob.sink.only(), expected);
  assert.equal(ana.member.nick, "anna");
  assert.equal(hub.member("anna"), ana.member);
  assert.equal(hub.member("ana"), undefined);
});

Deno.test("/nick does not tell members who share no room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const carol = connect("carol");
  carol.input("/join #elsewhere");
  carol.input("/part #lobby");
  quiet(ana, carol);
  ana.input("/nick anna");
  assertNothing(carol);
});

Deno.test("/nick sends one event per peer listing all the rooms they share", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const carol = connect("carol");
  ana.input("/join #dev");
  bob.input("/join #dev");
  quiet(ana, bob, carol);
  ana.input("/nick anna");
  const toBob = bob.sink.only();
  assert.equal(toBob.type, "nick");
  assert.deepEqual(toBob.rooms, ["#lobby", "#dev"]);
  const toCarol = carol.sink.only();
  assert.equal(toCarol.type === "nick" && toCarol.rooms.join(), "#lobby");
});

Deno.test("/nick shows the new nick on later messages and frees the old one", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/nick anna");
  quiet(ana);
  ana.input("hi");
  assert.deepEqual(ana.sink.of("msg").map((e) => e.from), ["anna"]);
  const newcomer = connect("ana");
  assert.equal(newcomer.member.nick, "ana");
});

Deno.test("/nick refuses a nick in use, with a suggestion, only telling the sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/nick BOB"), false);
  assertError(ana, "nick_taken", 'Nick "BOB" is taken; try "BOB_"');
  assertNothing(bob);
  assert.equal(ana.member.nick, "ana");
});

Deno.test("/nick refuses an equivalent of a nick in use, and a full-width form", () => {
  const { connect } = setup();
  const ana = connect("ana");
  connect("bob");
  quiet(ana);
  ana.input("/nick BOB");
  assertError(ana, "nick_taken");
  quiet(ana);
  ana.input("/nick ｂｏｂ");
  assertError(ana, "bad_nick", /a compatibility form of "b"/);
});

Deno.test("/nick refuses an invalid nick with bad_nick", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/nick root");
  assertError(ana, "bad_nick", /reserved/);
  quiet(ana);
  ana.input("/nick -dash");
  assertError(ana, "bad_nick");
  assert.equal(ana.member.nick, "ana");
});

Deno.test("/nick lets a member change the case of its own nick", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/nick Ana"), true);
  const event = ana.sink.only();
  assert.equal(event.type === "nick" && `${event.old}->${event.new}`, "ana->Ana");
  assert.equal(hub.member("ana")?.nick, "Ana");
});

Deno.test("/nick to the same nick answers only the sender with an error", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/nick ana"), false);
  assertError(ana, "bad_args", 'You are already "ana"');
  assertNothing(bob);
});

Deno.test("/quit says bye through sink.end and tells every room with the reason", () => {
  const { hub, connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const carol = connect("carol");
  ana.input("/join #dev");
  carol.input("/join #dev");
  quiet(ana, bob, carol);
  const at = tick();
  assert.equal(ana.input("/quit see you  tomorrow"), true);
  assert.deepEqual(ana.sink.ended, [{ type: "bye", reason: "quit", message: "Goodbye" }]);
  assert.deepEqual(bob.sink.only(), {
    type: "leave",
    room: "#lobby",
    id: 4,
    ts: at,
    nick: "ana",
    reason: "quit",
    message: "see you  tomorrow",
  });
  assert.deepEqual(carol.sink.events.map((e) => e.type === "leave" && [e.room, e.reason]), [
    ["#lobby", "quit"],
    ["#dev", "quit"],
  ]);
  assert.equal(hub.size, 2);
  assert.equal(hub.member("ana"), undefined);
  assert.equal(ana.member.gone, true);
});

Deno.test("/quit without a reason sends a leave without a message", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  ana.input("/exit");
  const leave = bob.sink.only();
  assert.equal(leave.type, "leave");
  assert.equal("message" in leave, false);
  assert.equal(ana.sink.ended.length, 1);
});

Deno.test("/quit sanitises and shortens its reason", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  ana.input("/quit \x1b[2J" + "z".repeat(300) + "\nmore");
  const leave = bob.sink.only();
  assert.equal(leave.type === "leave" && leave.message, "z".repeat(200));
});

Deno.test("/quit and /nick work even when the frame names a room the member left", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  ana.input("/join #dev");
  ana.input("/part #lobby");
  quiet(ana);
  assert.equal(hub.command(ana.member, "nick", "ana2", "#lobby"), true);
  assert.equal(hub.command(ana.member, "quit", "", "#lobby"), true);
  assert.equal(ana.sink.ended[0]?.reason, "quit");
});
