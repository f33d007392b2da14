// Codec.encodeRun (run_cache.ts): a run's bytes are exactly the reader's
// events encoded one by one, end to end, for every codec and variant.

import assert from "node:assert/strict";
import type { Member } from "../core/member.ts";
import type { JoinEvent, MessageEvent } from "../core/events.ts";
import type { Codec } from "./codec.ts";
import type { ServerFrame } from "./wire_frames.ts";
import { NativeCodec } from "./native_codec.ts";
import { WebSocketCodec } from "./websocket_codec.ts";
import { TextCodec } from "./text_codec.ts";
import { IrcCodec } from "./irc_codec.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
let nextId = 1;

function msg(text: string, kind: MessageEvent["kind"] = "say", room = "#lobby"): MessageEvent {
  return {
    type: "msg",
    room,
    id: nextId++,
    ts: 1_700_000_000_000 + nextId,
    from: "ana",
    text,
    kind,
  };
}

/** A run as the core makes one: short lines, a multi-line one, an action, a long one. */
function run(): MessageEvent[] {
  return [
    msg("one"),
    msg("two\nlines"),
    msg("waves", "action"),
    msg("é".repeat(3000)),
    msg("last"),
  ];
}

/** The reader's events encoded one by one, end to end (what a run replaces). */
function oneByOne(codec: Codec, events: readonly ServerFrame[]): string {
  return events.map((event) => decoder.decode(codec.encode(event))).join("");
}

const inRoom = (room: string, nick = "bob") =>
  ({ nick, current: { name: room } }) as unknown as Member;

/** Readers of every codec, two per variant, each with a twin that takes events one by one. */
function readers(): { name: string; make: () => Codec }[] {
  const text = (room: string) => () => {
    const codec = new TextCodec({ maxLineBytes: 65536, askPassword: false, isQuit: () => false });
    codec.admitted(inRoom(room));
    return codec;
  };
  const irc = (caps: string) => () => {
    const codec = new IrcCodec({ maxLineBytes: 65536, version: "0.1.0" });
    if (caps) codec.decode(encoder.encode(`CAP REQ :${caps}\r\n`));
    codec.admitted(inRoom("#lobby"));
    return codec;
  };
  return [
    { name: "native", make: () => new NativeCodec(65536) },
    { name: "websocket", make: () => new WebSocketCodec(65536) },
    { name: "text, in the run's room", make: text("#lobby") },
    { name: "text, in another room", make: text("#dev") },
    { name: "irc, no tags", make: irc("") },
    { name: "irc, server-time", make: irc("server-time") },
    { name: "irc, server-time message-tags", make: irc("server-time message-tags") },
    { name: "irc, multiline batches", make: irc("server-time message-tags batch draft/multiline") },
  ];
}

Deno.test("encodeRun() gives each reader its events' bytes end to end, shared within a variant", () => {
  const events = run();
  const seen = new Map<string, string>();
  for (const { name, make } of readers()) {
    const first = make();
    const second = make();
    const twin = make();
    const bytes = first.encodeRun!(events);
    assert.ok(bytes, `${name}: a run of messages is encoded as one`);
    const expected = oneByOne(twin, events);
    assert.equal(decoder.decode(bytes), expected, `${name}: the run is its events' bytes`);
    assert.equal(second.encodeRun!(events), bytes, `${name}: a second reader shares the bytes`);
    seen.set(name, expected);
  }
  // The variants do differ (so sharing across them would be wrong).
  assert.notEqual(seen.get("text, in the run's room"), seen.get("text, in another room"));
  assert.notEqual(seen.get("irc, no tags"), seen.get("irc, server-time"));
  assert.notEqual(seen.get("irc, server-time"), seen.get("irc, server-time message-tags"));
  assert.notEqual(seen.get("native"), seen.get("websocket"));
});

Deno.test("encodeRun() leaves runs holding anything but messages to go event by event", () => {
  const join: JoinEvent = { type: "join", room: "#lobby", id: nextId++, ts: 0, nick: "cid" };
  for (const { name, make } of readers()) {
    assert.equal(make().encodeRun!([msg("hi"), join]), undefined, name);
    assert.equal(make().encodeRun!([join, msg("hi")]), undefined, name);
  }
});

Deno.test("encodeRun() after a run that differs only in what follows its first event", () => {
  // Runs are known by their first event and length: a later run is never mistaken for one seen.
  const events = run();
  const native = new NativeCodec(65536);
  const whole = decoder.decode(native.encodeRun!(events));
  const shorter = decoder.decode(native.encodeRun!(events.slice(0, 2)));
  assert.equal(shorter, oneByOne(new NativeCodec(65536), events.slice(0, 2)));
  assert.notEqual(shorter, whole);
});
