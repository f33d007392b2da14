// /msg and /me, through the hub.

import assert from "node:assert/strict";
import { assertError, assertNothing, quiet, setup } from "../_hub_harness.ts";

Deno.test("/msg reaches only the recipient and the sender", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const carol = connect("carol");
  quiet(ana, bob, carol);
  const at = tick();
  assert.equal(ana.input("/msg Bob meet me   at noon"), true);
  const expected = {
    type: "dm",
    ts: at,
    from: "ana",
    to: "bob",
    text: "meet me   at noon",
    kind: "say",
  };
  assert.deepEqual(bob.sink.only(), expected);
  assert.deepEqual(ana.sink.only(), expected);
  assertNothing(carol);
});

Deno.test("/msg is not kept in any room's history", () => {
  const { connect } = setup();
  const ana = connect("ana");
  connect("bob");
  ana.input("/msg bob secret");
  const welcome = connect("carol").sink.only();
  assert.equal(welcome.type === "welcome" && welcome.history.length, 0);
});

Deno.test("/msg reaches a member who shares no room with the sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #far");
  bob.input("/part #lobby");
  quiet(bob);
  ana.input("/msg bob hello over there");
  assert.deepEqual(bob.sink.of("dm").map((e) => e.text), ["hello over there"]);
});

Deno.test("/msg to oneself is delivered once", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/msg ana note to self");
  assert.equal(ana.sink.only().type, "dm");
});

Deno.test("/msg works through its /dm and /query aliases", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  ana.input("/dm bob one");
  ana.input("/QUERY bob two");
  assert.deepEqual(bob.sink.of("dm").map((e) => e.text), ["one", "two"]);
});

Deno.test("/msg to an unknown nick fails with no_such_nick", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/msg zed hi"), false);
  assertError(ana, "no_such_nick", 'No one called "zed" is here');
  assertNothing(bob);
});

Deno.test("/msg to a member who has left fails with no_such_nick", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  hub.leave(bob.member, "dropped");
  quiet(ana, bob);
  ana.input("/msg bob are you there?");
  assertError(ana, "no_such_nick");
  assertNothing(bob);
});

Deno.test("/me sends an action to the current room", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  const at = tick();
  assert.equal(ana.input("/me waves  at everyone"), true);
  assert.deepEqual(bob.sink.only(), {
    type: "msg",
    room: "#lobby",
    id: 3,
    ts: at,
    from: "ana",
    text: "waves  at everyone",
    kind: "action",
  });
});

Deno.test("/me in a named room acts there", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/join #dev");
  quiet(ana);
  ana.input("/me nods", "#lobby");
  const event = ana.sink.only();
  assert.equal(event.type === "msg" && `${event.room} ${event.kind}`, "#lobby action");
});
