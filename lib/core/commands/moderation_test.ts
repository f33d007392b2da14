// Operator commands: /kick and /ban, and who may run them.

import assert from "node:assert/strict";
import { ChatError } from "../errors.ts";
import { RecordingSink } from "../_recording_sink.ts";
import {
  ANA_FINGERPRINT,
  BO_FINGERPRINT,
  type Client,
  lastError,
  lastNotice,
  OP_FINGERPRINT,
  setup,
} from "../_access_harness.ts";

Deno.test("operator commands are refused to others with not_operator, before their arguments are checked", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_FINGERPRINT);
  for (
    const line of [
      "/kick",
      "/kick bo",
      "/ban bo spam",
      "/unban 10.0.0.1",
      "/bans",
      "/mute bo 5",
      "/unmute bo",
    ]
  ) {
    ana.sink.events = [];
    assert.equal(await ana.input(line), false, line);
    lastError(ana, "not_operator", /is for operators only/);
  }
});

Deno.test("/help lists operator commands to operators only, and explains them to anyone marked as such", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_FINGERPRINT);
  const op = connect("mod", OP_FINGERPRINT);
  await ana.input("/help");
  await op.input("/help");
  const names = (client: Client) => {
    const help = client.sink.last();
    assert.equal(help?.type, "help");
    return help.commands.filter((c) => c.op).map((c) => c.name);
  };
  assert.deepEqual(names(ana), []);
  assert.deepEqual(names(op), ["kick", "ban", "unban", "bans", "mute", "unmute"]);
  await ana.input("/help kick");
  const help = ana.sink.last();
  assert.deepEqual(help?.type === "help" && help.commands, [{
    name: "kick",
    usage: "/kick <nick> [reason]",
    help: "Disconnect a member, telling it why",
    op: true,
  }]);
});

Deno.test("/kick tells the kicked member who and why; its rooms see leave kicked", async () => {
  const { hub, connect } = setup();
  const op = connect("mod", OP_FINGERPRINT);
  const bo = connect("bo", BO_FINGERPRINT);
  await op.input("/kick bo  stop \u001b[31mspamming ");
  assert.deepEqual(bo.sink.ended, [{
    type: "bye",
    reason: "kicked",
    message: "You were kicked by mod: stop spamming",
  }]);
  const leave = op.sink.events.find((e) => e.type === "leave");
  assert.deepEqual(
    leave?.type === "leave" && [leave.nick, leave.reason, leave.message],
    ["bo", "kicked", "by mod: stop spamming"],
  );
  lastNotice(op, /Kicked bo/);
  assert.equal(hub.member("bo"), undefined);
  await op.input("/kick bo");
  lastError(op, "no_such_nick");
  await op.input("/kick mod");
  lastError(op, "bad_args", /You cannot kick yourself/);
  const op2 = connect("mod2", OP_FINGERPRINT, "10.0.0.2");
  await op.input("/kick mod2");
  lastError(op, "bad_args", /mod2 is an operator/);
  assert.equal(op2.member.gone, false);
});

Deno.test("/ban bans key and IP in the store, ejects everyone they match, and refuses them at join", async () => {
  const { hub, access, connect } = setup();
  const op = connect("mod", OP_FINGERPRINT, "10.0.0.1");
  const bo = connect("bo", BO_FINGERPRINT, "10.0.0.5");
  const boToo = connect("bo2", undefined, "10.0.0.5"); // same machine, nc
  const other = connect("cy", undefined, "10.0.0.6");
  await op.input("/ban bo flooding");
  assert.equal(bo.sink.ended[0]?.code, "banned");
  assert.equal(bo.sink.ended[0]?.message, "You were banned by mod: flooding");
  assert.equal(boToo.sink.ended[0]?.code, "banned");
  assert.equal(other.member.gone, false);
  lastNotice(op, /Banned bo: key SHA256:bobo\S+ and IP 10\.0\.0\.5/);
  assert.deepEqual((await access.bans()).map((b) => [b.kind, b.value, b.nick, b.reason, b.by]), [
    ["key", BO_FINGERPRINT, "bo", "flooding", "mod"],
    ["ip", "10.0.0.5", "bo", "flooding", "mod"],
  ]);
  for (const [fingerprint, address] of [[BO_FINGERPRINT, "10.0.0.7"], [undefined, "10.0.0.5"]]) {
    assert.throws(
      () => hub.join({ nick: "x", client: "t", fingerprint, address }, new RecordingSink()),
      (e: ChatError) =>
        e.code === "banned" && e.message === "You are banned from this server: flooding",
    );
  }
  // An operator's key opens the door even from a banned address.
  connect("mod2", OP_FINGERPRINT, "10.0.0.5");
  await op.input("/bans");
  const bans = op.sink.last();
  assert.equal(bans?.type === "bans" && bans.bans.length, 2);
  await op.input("/unban 10.0.0.5");
  lastNotice(op, /Unbanned IP 10\.0\.0\.5/);
  await op.input(`/unban ${BO_FINGERPRINT}`);
  lastNotice(op, /Unbanned key SHA256:bobo/);
  await op.input("/unban 10.0.0.5");
  lastError(op, "bad_args", /There is no ban on "10\.0\.0\.5"/);
  connect("bo", BO_FINGERPRINT, "10.0.0.5");
});

Deno.test("/ban --key-only bans the key alone: the others on its address stay, and so may a new nick from there", async () => {
  const { hub, access, connect } = setup();
  const op = connect("mod", OP_FINGERPRINT, "10.0.0.1");
  const bo = connect("bo", BO_FINGERPRINT, "10.0.0.5");
  const eve = connect("eve", undefined, "10.0.0.5");
  await op.input("/ban bo --key-only flooding");
  assert.equal(bo.sink.ended[0]?.message, "You were banned by mod: flooding");
  assert.equal(eve.member.gone, false, "a key-only ban ejected the address");
  lastNotice(op, /^Banned bo: key SHA256:bobo\S+$/);
  assert.deepEqual((await access.bans()).map((b) => [b.kind, b.value, b.reason]), [
    ["key", BO_FINGERPRINT, "flooding"],
  ]);
  assert.throws(
    () =>
      hub.join(
        { nick: "bo", client: "t", fingerprint: BO_FINGERPRINT, address: "10.0.0.9" },
        new RecordingSink(),
      ),
    (e: ChatError) => e.code === "banned",
  );
  connect("dan", undefined, "10.0.0.5");
  await op.input("/ban eve --key-only");
  lastError(
    op,
    "bad_args",
    /^eve has no key to ban \(a text client\); without --key-only the ban is by address 10\.0\.0\.5, and shuts out everyone there$/,
  );
  assert.equal(eve.member.gone, false);
});

Deno.test("/ban shows in the rooms as a leave kicked with code banned; a /kick has no code", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_FINGERPRINT, "10.0.0.1");
  const cy = connect("cy", undefined, "10.0.0.2");
  connect("bo", BO_FINGERPRINT, "10.0.0.5");
  connect("eve", undefined, "10.0.0.6");
  await op.input("/ban bo  flooding ");
  await op.input("/kick eve");
  assert.deepEqual(cy.sink.of("leave").map((e) => [e.nick, e.reason, e.code, e.message]), [
    ["bo", "kicked", "banned", "by mod: flooding"],
    ["eve", "kicked", undefined, "by mod"],
  ]);
  assert.equal("code" in cy.sink.of("leave")[1], false);
});

Deno.test("/ban by address tells the operator whom else it disconnected", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_FINGERPRINT, "10.0.0.1");
  connect("bo", BO_FINGERPRINT, "10.0.0.5");
  connect("eve", undefined, "10.0.0.5");
  const op2 = connect("mod2", OP_FINGERPRINT, "10.0.0.5");
  await op.input("/ban bo");
  lastNotice(
    op,
    /^Banned bo: key SHA256:bobo\S+ and IP 10\.0\.0\.5; that also disconnected 1 other: eve$/,
  );
  assert.equal(op2.member.gone, false, "an operator on the address stays");
});
