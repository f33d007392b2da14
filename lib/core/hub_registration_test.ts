// Registered nicks and keys: /register, /unregister, and a key replacing its ghost.

import assert from "node:assert/strict";
import { ChatError, NickError } from "./errors.ts";
import { RecordingSink } from "./_recording_sink.ts";
import {
  ANA_FINGERPRINT,
  BO_FINGERPRINT,
  lastError,
  lastNotice,
  OP_FINGERPRINT,
  setup,
} from "./_access_harness.ts";

Deno.test("/register binds the nick to the key; another key and a keyless hello are refused it", async () => {
  const { hub, connect } = setup();
  const ana = connect("Ana", ANA_FINGERPRINT);
  assert.equal(await ana.input("/register"), true);
  lastNotice(ana, /Nick "Ana" is now registered to your key SHA256:ana/);
  await ana.input("/quit");
  const sink = new RecordingSink();
  assert.throws(
    () => hub.join({ nick: "ANA", client: "test", fingerprint: BO_FINGERPRINT }, sink),
    (e: NickError) =>
      e.code === "nick_registered" && /registered to another key; try "ANA_"/.test(e.message),
  );
  assert.throws(
    () => hub.join({ nick: "ana", client: "text" }, sink),
    (e: NickError) => e.code === "nick_registered" && /only its owner's key/.test(e.message),
  );
  // The owner gets it back, in any spelling.
  const back = connect("ana", ANA_FINGERPRINT);
  assert.equal(back.member.nick, "ana");
});

Deno.test("/nick to a nick registered to another key is refused; the owner may switch to it", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_FINGERPRINT);
  await ana.input("/register");
  await ana.input("/nick ana_away");
  const bo = connect("bo", BO_FINGERPRINT);
  await bo.input("/nick ana");
  lastError(bo, "nick_registered", /Nick "ana" is registered to another key/);
  assert.equal(bo.member.nick, "bo");
  await ana.input("/nick ana");
  assert.equal(ana.member.nick, "ana");
});

Deno.test("/register needs a key, refuses a nick already registered, and caps nicks per key", async () => {
  const { connect } = setup();
  const text = connect("nc");
  await text.input("/register");
  lastError(text, "key_required", /Only a client that proved a key/);
  const ana = connect("ana", ANA_FINGERPRINT);
  await ana.input("/register");
  await ana.input("/register");
  lastError(ana, "bad_args", /already registered to your key/);
  for (let i = 1; i < 10; i++) {
    await ana.input(`/nick ana${i}`);
    await ana.input("/register");
  }
  await ana.input("/nick ana10");
  await ana.input("/register");
  lastError(ana, "bad_args", /registered 10 nicks, the most allowed/);
});

Deno.test("/unregister frees a nick for its owner or an operator, and nobody else", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_FINGERPRINT);
  await ana.input("/register");
  const bo = connect("bo", BO_FINGERPRINT);
  await bo.input("/unregister ana");
  lastError(bo, "nick_registered", /only that key or an operator can free it/);
  await bo.input("/unregister bo");
  lastError(bo, "bad_args", /Nick "bo" is not registered/);
  const op = connect("mod", OP_FINGERPRINT);
  await op.input("/unregister ana");
  lastNotice(op, /Nick "ana" is no longer registered/);
  await ana.input("/register");
  await ana.input("/unregister");
  lastNotice(ana, /no longer registered/);
});

Deno.test("the same key reconnecting replaces its ghost, which is told why; others see it leave and join", async () => {
  const { hub, connect } = setup();
  const bo = connect("bo");
  const ghost = connect("ana", ANA_FINGERPRINT);
  await ghost.input("/join #dev");
  bo.sink.events = [];
  const fresh = connect("ana", ANA_FINGERPRINT);
  assert.deepEqual(ghost.sink.ended, [{
    type: "bye",
    reason: "dropped",
    code: "session_replaced",
    message: "Replaced by a new connection with your key",
  }]);
  assert.equal(ghost.member.gone, true);
  assert.equal(hub.member("ana"), fresh.member);
  assert.equal(hub.size, 2);
  assert.deepEqual(
    bo.sink.events.map((e) => e.type === "leave" || e.type === "join" ? [e.type, e.nick] : e.type),
    [["leave", "ana"], ["join", "ana"]],
  );
  const leave = bo.sink.events[0];
  assert.equal(leave.type === "leave" && leave.message, "replaced by a new connection");
});

Deno.test("a nick held by another key, or by a keyless session, is still taken", () => {
  const { hub, connect } = setup();
  connect("ana", ANA_FINGERPRINT);
  connect("nc");
  for (
    const [nick, fingerprint] of [["ana", BO_FINGERPRINT], ["ana", undefined], [
      "nc",
      ANA_FINGERPRINT,
    ]]
  ) {
    assert.throws(
      () => hub.join({ nick: nick!, client: "t", fingerprint }, new RecordingSink()),
      (e: ChatError) => e.code === "nick_taken",
    );
  }
});

Deno.test("a full server still lets a key replace its own ghost", () => {
  const { hub, connect } = setup({ maxClients: 1 });
  connect("ana", ANA_FINGERPRINT);
  assert.throws(
    () => hub.join({ nick: "bo", client: "t", fingerprint: BO_FINGERPRINT }, new RecordingSink()),
    (e: ChatError) => e.code === "server_full",
  );
  const again = connect("ana", ANA_FINGERPRINT);
  assert.equal(hub.member("ana"), again.member);
});
