// /mute and /unmute: by key and by address, and what a muted member cannot do.

import assert from "node:assert/strict";
import {
  ANA_FINGERPRINT,
  BO_FINGERPRINT,
  lastError,
  lastNotice,
  OP_FINGERPRINT,
  setup,
} from "./_access_harness.ts";

Deno.test("/mute refuses a member's messages by key and address until it runs out or /unmute", async () => {
  const { hub, connect, tick } = setup();
  const op = connect("mod", OP_FINGERPRINT);
  const bo = connect("bo", BO_FINGERPRINT, "10.0.0.5");
  await op.input("/mute bo 2");
  lastNotice(bo, /You were muted by mod for 2 minute\(s\)/);
  lastNotice(op, /Muted bo for 2 minute\(s\)/);
  assert.equal(await bo.input("hello"), false);
  lastError(bo, "muted", /You are muted for 2 more minute\(s\); your message was not sent/);
  await bo.input("/me waves");
  lastError(bo, "muted");
  await bo.input("/msg mod please");
  lastError(bo, "muted");
  // Reconnecting (same key, or another nick from the same address) does not escape it.
  await bo.input("/quit");
  const again = connect("bob", undefined, "10.0.0.5");
  await again.input("hi");
  lastError(again, "muted");
  tick(2 * 60_000);
  assert.equal(await again.input("hi"), true, "the mute ran out");
  await op.input("/mute bob");
  await again.input("hi");
  lastError(again, "muted", /until an operator unmutes you/);
  await op.input("/unmute bob");
  lastNotice(again, /You were unmuted by mod/);
  assert.equal(await again.input("hi"), true);
  await op.input("/unmute bob");
  lastError(op, "bad_args", /bob is not muted/);
  for (const minutes of ["0", "x", "10081"]) {
    await op.input(`/mute bob ${minutes}`);
    lastError(op, "bad_args", /must be a whole number from 1 to 10080/);
  }
  assert.equal(hub.member("bob")?.gone, false);
});

Deno.test("a muted member cannot speak through /part or /quit reasons or a new nick", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_FINGERPRINT);
  const eve = connect("eve", BO_FINGERPRINT, "10.0.0.9");
  await op.input("/mute eve");
  await eve.input("/nick BUY_CHEAP_STUFF");
  lastError(eve, "muted", /your nick was not changed/);
  await eve.input("/join #x");
  op.sink.clear();
  await eve.input("/part #lobby BUY CHEAP STUFF at evil.example");
  const parted = op.sink.of("leave").at(-1);
  assert.equal(parted?.nick, "eve");
  assert.equal(parted?.message, undefined, "the part reason was relayed");
  await op.input("/join #x");
  op.sink.clear();
  await eve.input("/quit BUY CHEAP STUFF");
  const quit = op.sink.of("leave").at(-1);
  assert.equal(quit?.reason, "quit");
  assert.equal(quit?.message, undefined, "the quit reason was relayed");
  // Not muted: reasons are shown as ever.
  const bo = connect("bo", undefined, "10.0.0.10");
  await bo.input("/join #x");
  op.sink.clear();
  await bo.input("/part #lobby lunch");
  assert.equal(op.sink.of("leave").at(-1)?.message, "lunch");
});

Deno.test("/mute by address never silences an operator there, only the others, and says who", async () => {
  const { connect } = setup();
  // The operator, the target and two bystanders share one address (one NAT, one machine).
  const op = connect("opana", OP_FINGERPRINT, "127.0.0.1");
  const mallory = connect("mallory", BO_FINGERPRINT, "127.0.0.1");
  const eve = connect("eve", undefined, "127.0.0.1");
  const cy = connect("cy", ANA_FINGERPRINT, "127.0.0.1");
  const far = connect("far", undefined, "10.0.0.8");
  await op.input("/mute mallory 1");
  lastNotice(
    op,
    /^Muted mallory for 1 minute\(s\), by key and by address 127\.0\.0\.1; that also mutes 2 others: eve, cy$/,
  );
  lastNotice(mallory, /^You were muted by opana for 1 minute\(s\)$/);
  lastNotice(
    eve,
    /^You were muted by opana for 1 minute\(s\): mallory was muted by address, and you connect from the same address$/,
  );
  assert.equal(await op.input("still here"), true, "the operator was muted by its own /mute");
  assert.equal(await op.input("/me still talks"), true);
  assert.equal(await op.input("/msg far hello"), true);
  for (const muted of [mallory, eve, cy]) {
    assert.equal(await muted.input("hi"), false);
    lastError(muted, "muted", /for 1 more minute\(s\)/);
  }
  assert.equal(await far.input("hi"), true, "another address is not muted");
  // Another operator arriving on the muted address is not muted either.
  const op2 = connect("opbo", OP_FINGERPRINT, "127.0.0.1");
  assert.equal(await op2.input("hello"), true);
});

Deno.test("/mute of a member alone on its address says so plainly; a keyless one is muted by address", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_FINGERPRINT, "10.0.0.1");
  connect("bo", BO_FINGERPRINT, "10.0.0.5");
  connect("nc", undefined, "10.0.0.6");
  await op.input("/mute bo");
  lastNotice(op, /^Muted bo until unmuted, by key and by address 10\.0\.0\.5$/);
  await op.input("/mute nc 3");
  lastNotice(op, /^Muted nc for 3 minute\(s\), by address 10\.0\.0\.6$/);
});

Deno.test("/mute --key-only mutes the member's key and leaves the others on its address alone", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_FINGERPRINT, "10.0.0.1");
  const bo = connect("bo", BO_FINGERPRINT, "10.0.0.5");
  const eve = connect("eve", undefined, "10.0.0.5");
  await op.input("/mute bo --key-only 5");
  lastNotice(op, /^Muted bo for 5 minute\(s\), by key only$/);
  assert.equal(await bo.input("hi"), false);
  lastError(bo, "muted", /for 5 more minute\(s\)/);
  assert.equal(await eve.input("hi"), true, "a key-only mute silenced the address");
  // Its key is muted whatever address it comes back from.
  await bo.input("/quit");
  const back = connect("bo", BO_FINGERPRINT, "10.0.0.7");
  assert.equal(await back.input("hi"), false);
  // The option may also follow the minutes; a keyless member has no key to mute.
  await op.input("/unmute bo");
  await op.input("/mute bo 2 --key-only");
  lastNotice(op, /^Muted bo for 2 minute\(s\), by key only$/);
  await op.input("/mute eve --key-only");
  lastError(
    op,
    "bad_args",
    /^eve has no key to mute \(a text client\); without --key-only it is muted by address 10\.0\.0\.5, with everyone there$/,
  );
  assert.equal(await eve.input("hi"), true);
  await op.input("/mute eve --keyonly");
  lastError(op, "bad_args", /^Unknown option "--keyonly" for \/mute; it takes --key-only$/);
});

Deno.test("/unmute lifts the address mute for the others there too, and tells them", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_FINGERPRINT, "10.0.0.1");
  const bo = connect("bo", BO_FINGERPRINT, "10.0.0.5");
  const eve = connect("eve", undefined, "10.0.0.5");
  await op.input("/mute bo");
  assert.equal(await eve.input("hi"), false);
  await op.input("/unmute bo");
  lastNotice(op, /^Unmuted bo; that also unmutes 1 other: eve$/);
  lastNotice(eve, /^You were unmuted by mod$/);
  assert.equal(await eve.input("hi"), true);
  assert.equal(await bo.input("hi"), true);
});
