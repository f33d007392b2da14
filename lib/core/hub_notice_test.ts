// /notice: a notice to a room or a nick, kind "notice", with the limits of a message.

import assert from "node:assert/strict";
import { assertError, assertLobbyMessage, assertNothing, quiet, setup } from "./_hub_harness.ts";
import { lastError, OP_FINGERPRINT, setup as accessSetup } from "./_access_harness.ts";

Deno.test("/notice #room reaches everyone in the room as kind notice, and stays in its history", () => {
  const line = "/notice #lobby \x1b[31mdeploy\x1b[0m done\u202E";
  const { connect, expected } = assertLobbyMessage(line, "deploy done", "notice");
  const welcome = connect("cy").sink.only();
  assert.equal(welcome.type, "welcome");
  assert.deepEqual(welcome.type === "welcome" && welcome.history.at(-1), expected);
});

Deno.test("/notice to a room the member is not in is refused like a message there", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  quiet(ana, bob);
  assert.equal(ana.input("/notice #dev hi"), false);
  assertError(ana, "not_in_room");
  assertNothing(bob);
});

Deno.test("/notice nick is a private notice to both, and an away member's status is not told", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/away lunch");
  quiet(ana, bob);
  const at = tick();
  ana.input("/notice BOB build\x00 green");
  const expected = {
    type: "dm",
    ts: at,
    from: "ana",
    to: "bob",
    text: "build green",
    kind: "notice",
  };
  assert.deepEqual(ana.sink.only(), expected, "no away reply to a notice");
  assert.deepEqual(bob.sink.only(), expected);
  // A message to the same member is answered with its away status.
  quiet(ana, bob);
  ana.input("/msg bob hi");
  assert.deepEqual(ana.sink.events.map((e) => e.type), ["dm", "away"]);
});

Deno.test("/notice checks its target, its text and its length as /msg does", () => {
  const { connect } = setup({ maxMessageLength: 5 });
  const ana = connect("ana");
  for (
    const [line, code] of [
      ["/notice nobody hi", "no_such_nick"],
      ["/notice ana \x1b[2J", "empty_message"],
      ["/notice #lobby toolong", "message_too_long"],
      ["/notice #lobby", "bad_args"],
    ] as const
  ) {
    quiet(ana);
    assert.equal(ana.input(line), false, line);
    assertError(ana, code);
  }
});

Deno.test("/notice is refused to a muted member, to a room and to a nick", async () => {
  const { connect } = accessSetup();
  const op = connect("mod", OP_FINGERPRINT);
  const bo = connect("bo");
  await op.input("/mute bo");
  assert.equal(await bo.input("/notice #lobby hi"), false);
  lastError(bo, "muted");
  assert.equal(await bo.input("/notice mod hi"), false);
  lastError(bo, "muted");
});

Deno.test("/notice is charged to the rate limit as a message is", () => {
  const { connect } = setup({ rateLimit: { rate: 0.001, burst: 2, floodLimit: 100 } });
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/notice #lobby one"), true);
  assert.equal(ana.input("/notice #lobby two"), true);
  quiet(ana);
  assert.equal(ana.input("/notice #lobby three"), false);
  assertError(ana, "rate_limited");
});
