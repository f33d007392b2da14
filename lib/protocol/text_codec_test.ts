import assert from "node:assert/strict";
import type { MessageEvent } from "../core/events.ts";
import type { Member } from "../core/member.ts";
import { ProtocolError } from "./protocol_error.ts";
import { TextCodec, welcomeTo } from "./text_codec.ts";
import { formatEvent } from "./text_format.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => new TextDecoder().decode(data);
const isQuit = (name: string) => ["quit", "exit", "bye"].includes(name.toLowerCase());
const codec = (askPassword = false) => new TextCodec({ maxLineBytes: 1024, askPassword, isQuit });
/** A member as the codec sees it: only its current room matters. */
const memberIn = (room: string) => ({ current: { name: room } }) as unknown as Member;

function message(room: string, text: string): MessageEvent {
  return { type: "msg", room, id: 1, ts: Date.now(), from: "ana", text, kind: "say" };
}

Deno.test("TextCodec.greeting() asks for a nick, or first for the password, encoded once", () => {
  assert.equal(text(TextCodec.greeting("lanchat")), "Welcome to lanchat. Pick a nick.\r\nNick? ");
  assert.equal(TextCodec.greeting("lanchat"), TextCodec.greeting("lanchat"));
  assert.match(text(TextCodec.greeting("office", true)), /private\.\r\n.*\r\nPassword\? $/);
  assert.equal(welcomeTo("office"), "Welcome to office, a lanchat server.");
});

Deno.test("TextCodec.decode(): the first line is the hello, the lines after it inputs", () => {
  const { frames, replies } = codec().decode(bytes("  ana \r\nhi all\r\n/join #dev\r\n"));
  assert.deepEqual(frames, [
    { type: "hello", protocol: 1, nick: "ana", client: "text" },
    { type: "input", line: "hi all" },
    { type: "input", line: "/join #dev" },
  ]);
  assert.equal(replies, undefined);
});

Deno.test("TextCodec.decode() answers a blank line at the nick prompt with the prompt", () => {
  const { frames, replies } = codec().decode(bytes("\r\n   \r\n"));
  assert.deepEqual(frames, []);
  assert.deepEqual(replies?.map(text), ["Nick? ", "Nick? "]);
});

Deno.test("TextCodec.decode() drops telnet commands and NULs, across chunks", () => {
  const c = codec();
  assert.deepEqual(c.decode(new Uint8Array([0xff, 0xfb, 0x01, 0x61, 0xff])).frames, []);
  const { frames } = c.decode(new Uint8Array([0xfd, 0x03, 0x00, 0x6e, 0x61, 0x0d, 0x0a]));
  assert.deepEqual(frames, [{ type: "hello", protocol: 1, nick: "ana", client: "text" }]);
});

Deno.test("TextCodec.decode() on a private server: the first line is the password, then the nick", () => {
  const c = codec(true);
  assert.deepEqual(c.decode(bytes("\r\n")).replies?.map(text), ["Password? "]);
  assert.deepEqual(c.decode(bytes(" s3cret \r\n")).frames, [
    { type: "password", password: " s3cret " },
  ]);
  assert.equal(text(c.passwordAccepted()), "Password accepted. Pick a nick.\r\nNick? ");
  assert.deepEqual(c.decode(bytes("ana\r\n")).frames, [
    { type: "hello", protocol: 1, nick: "ana", client: "text", password: " s3cret " },
  ]);
});

Deno.test("TextCodec.decode(): /quit at the nick prompt leaves, by any of its names", () => {
  const { frames, bye } = codec().decode(bytes("\r\n/EXIT now\r\nana\r\n"));
  assert.deepEqual(bye, { type: "bye", reason: "quit", message: "Goodbye" });
  assert.deepEqual(frames, []);
});

Deno.test("TextCodec.decode(): another command at the nick prompt is explained, in order", () => {
  const first = codec().decode(bytes("/who\r\n"));
  assert.deepEqual(first.frames, []);
  assert.deepEqual(first.replies?.map(text), [
    "! Pick a nick first (commands work once you have joined)\r\nNick? ",
  ]);
  const c = codec();
  const { frames, replies } = c.decode(bytes("ana\r\n"));
  assert.equal(replies, undefined);
  assert.equal(frames.length, 1);
  // Until the hello is accepted, the first line of each read is a hello again.
  assert.deepEqual(c.decode(bytes("x\r\n")).frames, [
    { type: "hello", protocol: 1, nick: "x", client: "text" },
  ]);
  const bad = codec(true);
  bad.decode(bytes("pw\r\n"));
  const after = bad.decode(bytes("\r\n/who\r\n"));
  assert.deepEqual(after.replies?.map(text), [
    "Nick? ",
    "! Pick a nick first (commands work once you have joined)\r\nNick? ",
  ]);
});

Deno.test("TextCodec.decode(): a command after a frame of the same read becomes its error in place", () => {
  const c = codec(true);
  const { frames } = c.decode(bytes("pw\r\n/who\r\n"));
  assert.deepEqual(frames[0], { type: "password", password: "pw" });
  assert.ok(frames[1] instanceof ProtocolError);
  assert.equal(frames[1].code, "not_ready");
});

Deno.test("TextCodec.retryHello() makes the next nick of a line that followed a refused one", () => {
  assert.deepEqual(codec().retryHello(" bob "), {
    type: "hello",
    protocol: 1,
    nick: "bob",
    client: "text",
  });
});

Deno.test("TextCodec.encode(): a refused nick asks again, a final refusal and a member do not", () => {
  const c = codec();
  const taken = c.encode({ type: "error", code: "nick_taken", message: "Nick taken" });
  assert.equal(text(taken), "! Nick taken\r\nNick? ");
  const full = c.encode({ type: "error", code: "server_full", message: "Full" });
  assert.equal(text(full), "! Full\r\n");
  c.admitted(memberIn("#lobby"));
  assert.equal(
    text(c.encode({ type: "error", code: "nick_taken", message: "Nick taken" })),
    "! Nick taken\r\n",
  );
  assert.deepEqual(c.decode(bytes("/who\r\n")).frames, [{ type: "input", line: "/who" }]);
});

Deno.test("TextCodec.encodeEnd() does not repeat the error line just sent", () => {
  const c = codec();
  c.encode({ type: "error", code: "access_denied", message: "Access denied" });
  assert.equal(c.encodeEnd({ type: "bye", reason: "denied", message: "Access denied" }), undefined);
  const other = c.encodeEnd({ type: "bye", reason: "quit", message: "Goodbye" });
  assert.equal(text(other), "* Goodbye\r\n");
});

Deno.test("TextCodec.encode() renders a room event once per variant, shared by every reader", () => {
  const [here1, here2, away] = [codec(), codec(), codec()];
  here1.admitted(memberIn("#lobby"));
  here2.admitted(memberIn("#lobby"));
  away.admitted(memberIn("#dev"));
  const event = message("#lobby", "hi");
  const bytes1 = here1.encode(event);
  assert.equal(here2.encode(event), bytes1);
  assert.match(text(bytes1), /^\[\d\d:\d\d\] <ana> hi\r\n$/);
  const elsewhere = away.encode(event);
  assert.match(text(elsewhere), /^\[\d\d:\d\d\] #lobby <ana> hi\r\n$/);
  assert.equal(away.encode(event), elsewhere);
  assert.notEqual(here1.encode(message("#lobby", "hi")), bytes1);
});

Deno.test("TextCodec declares a person at a prompt: no echo, no keepalive", () => {
  assert.deepEqual(codec().capabilities, {
    name: "text",
    echo: false,
    keepalive: false,
    promptsForNick: true,
    uploads: false,
  });
});

Deno.test("TextCodec.encode() of a shared room event still forgets an error line just sent", () => {
  const [first, second] = [codec(), codec()];
  first.admitted(memberIn("#lobby"));
  second.admitted(memberIn("#lobby"));
  const event = message("#lobby", "hi");
  first.encode(event);
  second.encode({ type: "error", code: "rate_limited", message: "Slow down" });
  // The event was rendered for `first`: `second` takes the shared bytes.
  assert.equal(second.encode(event), first.encode(event));
  const bye = second.encodeEnd({ type: "bye", reason: "quit", message: "Slow down" });
  assert.equal(text(bye), "* Slow down\r\n");
});

Deno.test("TextCodec.encode(): one line per line, each with CRLF; an event with no text is one empty line", () => {
  const c = codec();
  const welcome = text(c.encode({
    type: "welcome",
    protocol: 1,
    server: "lanchat",
    nick: "ana",
    room: "#lobby",
    members: ["ana"],
    memberCount: 1,
    history: [],
  }));
  assert.equal(
    welcome,
    "Welcome to lanchat, ana!\r\nYou are in #lobby; no one else is here\r\nType /help for the commands.\r\n",
  );
  assert.equal(text(c.encode({ type: "pong", token: "" })), "pong\r\n");
  assert.equal(text(c.encode({ type: "ping", token: "t" })), "\r\n");
});

Deno.test("TextCodec.encode() of a message is formatEvent()'s lines with CRLF, for every kind, room, text and day", () => {
  const reader = codec();
  reader.admitted(memberIn("#lobby"));
  const yesterday = Date.now() - 86_400_000;
  let id = 0;
  for (const kind of ["say", "action", "notice"] as const) {
    for (const room of ["#lobby", "#other"]) {
      for (const body of ["hi", "caf\u00e9 \u{1f600}", "  spaced  ", "<b>", "one\ntwo"]) {
        for (const ts of [Date.now(), yesterday]) {
          const event: MessageEvent = {
            type: "msg",
            room,
            id: ++id,
            ts,
            from: "ana",
            text: body,
            kind,
          };
          const lines = formatEvent(event, { currentRoom: "#lobby" });
          assert.equal(text(reader.encode(event)), lines.map((line) => `${line}\r\n`).join(""));
        }
      }
    }
  }
});
