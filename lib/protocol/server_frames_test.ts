import assert from "node:assert/strict";
import {
  InvalidFrameError,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  parseServerFrame,
} from "./server_frames.ts";

const TS = 1795489612416;

/** Frames as docs/protocol.md shows them, one of each type. */
const FRAMES: Record<string, unknown>[] = [
  {
    type: "welcome",
    protocol: 1,
    server: "lanchat",
    nick: "ana",
    room: "#lobby",
    members: ["ana", "bo"],
    memberCount: 2,
    motd: "standup at 10\nkitchen has coffee",
    rateLimit: { rate: 5, burst: 10 },
    history: [{ type: "msg", ts: TS, from: "bo", text: "hi", kind: "say", room: "#lobby", id: 2 }],
  },
  { type: "msg", ts: TS, from: "ana", text: "hi bo", kind: "say", room: "#lobby", id: 3 },
  { type: "who", room: "#lobby", members: ["ana", "bo"] },
  { type: "pong", token: "t1" },
  { type: "dm", ts: TS, from: "ana", to: "bo", text: "psst", kind: "action" },
  { type: "joined", room: "#dev", members: ["ana"], history: [] },
  { type: "nick", ts: TS, old: "bo", new: "bob", rooms: ["#lobby"] },
  { type: "join", ts: TS, nick: "bob", room: "#dev", id: 2 },
  { type: "leave", ts: TS, nick: "bob", reason: "part", message: "lunch", room: "#dev", id: 4 },
  { type: "parted", room: "#dev", current: "#lobby", message: "lunch" },
  { type: "rooms", rooms: [{ room: "#lobby", members: 2 }, { room: "#dev", members: 1 }] },
  { type: "history", room: "#lobby", messages: [], more: false },
  {
    type: "help",
    commands: [{ name: "kick", usage: "/kick <nick> [reason]", help: "Disconnect", op: true }],
  },
  { type: "challenge", nonce: "x3Jq" },
  { type: "notice", message: 'Nick "ana" is now registered to your key' },
  {
    type: "whois",
    nick: "bo",
    client: "chat-client/0.1.0",
    fingerprint: "SHA256:Zmh6",
    registered: true,
    operator: false,
    address: "127.0.0.1",
    rooms: ["#lobby"],
  },
  {
    type: "bans",
    bans: [{ kind: "ip", value: "10.0.0.9", nick: "eve", reason: "spam", by: "ana", ts: TS }],
  },
  { type: "ping", token: "k" },
  { type: "error", code: "nick_taken", message: 'Nick "ana" is taken' },
  { type: "bye", reason: "dropped", code: "send_queue_exceeded", message: "Too slow" },
  {
    type: "leave",
    ts: TS,
    nick: "eve",
    reason: "kicked",
    code: "banned",
    message: "by ana: spam",
    room: "#dev",
    id: 5,
  },
];

function invalid(frame: unknown): string {
  try {
    parseServerFrame(typeof frame === "string" ? frame : JSON.stringify(frame));
  } catch (error) {
    assert.ok(error instanceof InvalidFrameError, String(error));
    assert.equal(error.name, "InvalidFrameError");
    assert.ok(error.message.startsWith("The server sent an invalid frame: "), error.message);
    return error.detail;
  }
  throw new Error(`accepted ${JSON.stringify(frame)}`);
}

Deno.test("parseServerFrame() accepts every frame type of the protocol as it is", () => {
  for (const frame of FRAMES) {
    assert.deepEqual(parseServerFrame(JSON.stringify(frame)), frame);
  }
});

Deno.test("parseServerFrame() keeps only the fields the client knows", () => {
  const frame = parseServerFrame(JSON.stringify({ type: "notice", message: "hi", evil: "\x1b" }));
  assert.deepEqual(frame, { type: "notice", message: "hi" });
});

Deno.test("parseServerFrame() keeps a leave's code only when it knows it, so a newer one is no error", () => {
  const leave = { type: "leave", ts: TS, nick: "eve", reason: "kicked", room: "#dev", id: 5 };
  assert.deepEqual(parseServerFrame(JSON.stringify({ ...leave, code: "banned" })), {
    ...leave,
    code: "banned",
  });
  assert.deepEqual(parseServerFrame(JSON.stringify({ ...leave, code: "sparkle\x1b" })), leave);
});

Deno.test("parseServerFrame() ignores a blank line and a type it does not know", () => {
  assert.equal(parseServerFrame("   "), undefined);
  assert.equal(parseServerFrame('{"type":"sparkle","x":1}'), undefined);
});

Deno.test("parseServerFrame() cleans escapes, controls, bidi overrides and lone surrogates from text", () => {
  const hostile = "a\x1b]0;owned\x07b\x1b[2Jc\x9b31md\x07e\u202ef\u2066g\ud800h\x00i\x7fj\x85k";
  const notice = parseServerFrame(JSON.stringify({ type: "notice", message: hostile }));
  assert.deepEqual(notice, { type: "notice", message: "abcdef\ufffdhijk".replace("f", "fg") });
  const welcome = parseServerFrame(JSON.stringify({ ...FRAMES[0], server: hostile }));
  assert.ok(welcome?.type === "welcome");
  assert.doesNotMatch(welcome.server, /[\x00-\x1f\x7f-\x9f\u202e\u2066\ud800]/);
});

Deno.test("parseServerFrame() keeps line breaks only in message text and the motd", () => {
  const forged = "ok\r\n[12:00] <admin> fake\u2028line";
  const msg = parseServerFrame(JSON.stringify({ ...FRAMES[1], text: forged }));
  assert.ok(msg?.type === "msg");
  assert.equal(msg.text, "ok\n[12:00] <admin> fake\nline");
  const notice = parseServerFrame(JSON.stringify({ type: "notice", message: forged }));
  assert.ok(notice?.type === "notice");
  assert.equal(notice.message, "ok [12:00] <admin> fake line");
  const bye = parseServerFrame(JSON.stringify({ type: "bye", reason: "quit", message: "a\rb" }));
  assert.ok(bye?.type === "bye");
  assert.equal(bye.message, "a b");
});

Deno.test("parseServerFrame() cuts huge strings instead of passing them on", () => {
  const welcome = parseServerFrame(
    JSON.stringify({ ...FRAMES[0], server: "S".repeat(1_000_000), motd: "m".repeat(1_000_000) }),
  );
  assert.ok(welcome?.type === "welcome");
  assert.equal(welcome.server, "S".repeat(MAX_NAME_LENGTH) + "…");
  assert.ok(welcome.motd!.length < 10_000);
  const msg = parseServerFrame(
    JSON.stringify({ ...FRAMES[1], text: "😀".repeat(MAX_TEXT_LENGTH) }),
  );
  assert.ok(msg?.type === "msg");
  assert.equal(msg.text.length, MAX_TEXT_LENGTH + 1, "cut between two surrogate pairs");
  assert.equal(msg.text, msg.text.toWellFormed());
});

Deno.test("parseServerFrame() refuses nicks and rooms that could forge a line", () => {
  assert.equal(
    invalid({ ...FRAMES[1], from: "bob> hi <eve" }),
    `"from" of a "msg" frame is "bob> hi <eve", not a nick`,
  );
  assert.match(
    invalid({ ...FRAMES[1], from: "ana\x1b[2J" }),
    /^"from" of a "msg" frame is "ana\\x1b\[2J", not a nick$/,
  );
  assert.match(
    invalid({ ...FRAMES[1], room: "lobby" }),
    /"room" of a "msg" frame is "lobby", not a room name/,
  );
  assert.match(
    invalid({ ...FRAMES[2], members: ["ana", "b o"] }),
    /"members\[1\]" of a "who" frame is "b o", not a nick/,
  );
  assert.match(invalid({ ...FRAMES[1], from: "x".repeat(65) }), /not a nick/);
  assert.match(invalid({ ...FRAMES[1], from: "" }), /not a nick/);
});

Deno.test("parseServerFrame() refuses wrong types, nulls, missing fields and numbers out of range", () => {
  const cases: [unknown, RegExp][] = [
    [{ ...FRAMES[0], members: null }, /^"members" of a "welcome" frame is null, not a list$/],
    [{ ...FRAMES[1], ts: 1e308 }, /^"ts" of a "msg" frame is 1e\+308, not a time$/],
    [{ ...FRAMES[1], ts: -1 }, /"ts" .* is -1, not a time/],
    [{ ...FRAMES[1], ts: "noon" }, /"ts" .* is "noon", not a time/],
    [
      { ...FRAMES[1], id: 2 ** 60 },
      /"id" of a "msg" frame is 1152921504606847000, not a whole number/,
    ],
    [{ ...FRAMES[1], id: 1.5 }, /"id" .* is 1.5, not a whole number/],
    [{ ...FRAMES[1], text: undefined }, /^"text" of a "msg" frame is missing$/],
    [{ ...FRAMES[1], from: 42 }, /^"from" of a "msg" frame is 42, not a string$/],
    [{ ...FRAMES[1], kind: "shout" }, /"kind" .* is "shout", not one of say, action/],
    [
      { ...FRAMES[8], reason: "vanished" },
      /"reason" of a "leave" frame is "vanished", not one of part/,
    ],
    [
      { ...FRAMES[0], history: [{ ...FRAMES[1], ts: null }] },
      /^"history\[0\]\.ts" of a "welcome" frame is null, not a time$/,
    ],
    [
      { ...FRAMES[0], rateLimit: { rate: 0, burst: 1 } },
      /"rateLimit\.rate" .* is 0, not a positive number/,
    ],
    [{ ...FRAMES[0], memberCount: -3 }, /"memberCount" .* is -3, not a whole number/],
    [{ ...FRAMES[11], more: "yes" }, /"more" of a "history" frame is "yes", not true or false/],
    [
      '{"type":"rooms","rooms":[{"room":"#a","members":1e400}]}',
      /^"rooms\[0\]\.members" of a "rooms" frame is Infinity, not a whole number$/,
    ],
    [{ ...FRAMES[15], rooms: "#lobby" }, /"rooms" of a "whois" frame is "#lobby", not a list/],
    [{ ...FRAMES[18], code: "Nick\x1b" }, /"code" of a "error" frame is "Nick\\x1b", not a code/],
    [{ type: "bye", reason: "quit" }, /^"message" of a "bye" frame is missing$/],
    [
      { ...FRAMES[12], commands: [null] },
      /"commands\[0\]" of a "help" frame is null, not an object/,
    ],
  ];
  for (const [frame, expected] of cases) assert.match(invalid(frame), expected);
});

Deno.test("parseServerFrame() says what is wrong with a line that is not a frame at all", () => {
  assert.equal(invalid("hello\x1b[2J there"), 'not JSON: "hello\\x1b[2J there"');
  assert.equal(invalid("[1,2]"), 'not a JSON object: "[1,2]"');
  assert.equal(invalid("null"), 'not a JSON object: "null"');
  assert.equal(invalid('{"kind":"msg"}'), 'no "type" in "{"kind":"msg"}"');
  assert.equal(invalid('{"type":7}'), 'no "type" in "{"type":7}"');
});

Deno.test("parseServerFrame() never lets NaN, undefined or an invalid date through", () => {
  // JSON has no NaN or undefined; what comes closest must be refused or absent.
  assert.match(invalid('{"type":"msg","ts":NaN}'), /^not JSON/);
  const joined = parseServerFrame(JSON.stringify({ ...FRAMES[5], memberCount: null }));
  assert.deepEqual(joined, FRAMES[5], "a null optional field is absent, not null");
  assert.match(invalid({ ...FRAMES[1], ts: 8.64e15 + 1 }), /not a time/);
  assert.ok(
    !Number.isNaN(
      new Date(
        (parseServerFrame(JSON.stringify({ ...FRAMES[1], ts: 8.64e15 })) as { ts: number }).ts,
      ).getTime(),
    ),
  );
});
