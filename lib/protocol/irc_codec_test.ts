import assert from "node:assert/strict";
import type { LeaveEvent, MessageEvent } from "../core/events.ts";
import type { Member } from "../core/member.ts";
import { IrcCodec } from "./irc_codec.ts";
import { ProtocolError } from "./protocol_error.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = () => new IrcCodec({ maxLineBytes: 65536, version: "0.1.0" });
const member = (nick: string) => ({ nick }) as unknown as Member;
const text = (bytes: Uint8Array | undefined) => decoder.decode(bytes);
const bytes = (lines: string) => encoder.encode(lines);
/** The frames for the core: without the markers that set a numeric's target. */
const requests = (frames: unknown[]) =>
  frames.filter((f) => !(f instanceof ProtocolError && f.message.startsWith("\u0000irc-aim")));
/** What the session does with a codec's own error frame: hands it back in its turn. */
const deliver = (irc: IrcCodec, f: ProtocolError) =>
  text(irc.encode({ type: "error", code: f.code, message: f.message }));

Deno.test("IrcCodec turns NICK, USER and PASS into one hello, after CAP END", () => {
  const irc = codec();
  const first = irc.decode(bytes("CAP LS 302\r\nPASS s3cret\r\nNICK ana\r\nUSER ana 0 * :Ana\r\n"));
  assert.deepEqual(requests(first.frames), []);
  assert.equal(
    text(first.replies?.[0]),
    ":lanchat CAP * LS :away-notify batch cap-notify draft/chathistory draft/multiline=max-bytes=4000,max-lines=20 echo-message message-tags multi-prefix sasl=PLAIN,EXTERNAL server-time\r\n",
  );
  const end = irc.decode(bytes("CAP END\r\n"));
  assert.deepEqual(requests(end.frames), [
    { type: "hello", protocol: 1, nick: "ana", client: "irc", password: "s3cret" },
  ]);
});

Deno.test("IrcCodec decides echo by echo-message, and refuses a cap it does not offer whole", () => {
  const irc = codec();
  assert.equal(irc.capabilities.echo, false);
  const nak = irc.decode(bytes("CAP REQ :echo-message x-unknown\r\n"));
  assert.equal(text(nak.replies?.[0]), ":lanchat CAP * NAK :echo-message x-unknown\r\n");
  assert.equal(irc.capabilities.echo, false);
  irc.decode(bytes("CAP REQ :echo-message\r\n"));
  assert.equal(irc.capabilities.echo, true);
  assert.equal(irc.capabilities.keepalive, true);
});

Deno.test("IrcCodec maps messages: rooms, nicks, CTCP ACTION, formatting stripped", () => {
  const irc = codec();
  irc.admitted(member("ana"));
  const { frames } = irc.decode(bytes(
    "PRIVMSG #lobby :\x02hi\x02 \x0303there\r\n" +
      "PRIVMSG bo :psst\r\n" +
      "PRIVMSG #dev :\x01ACTION waves\x01\r\n" +
      "NOTICE #dev :\x01ACTION is a CTCP reply here: dropped\x01\r\n" +
      "PRIVMSG bo :\x01VERSION\x01\r\n" +
      "QUIT :\x1fbye\r\n",
  ));
  assert.deepEqual(requests(frames), [
    { type: "msg", text: "hi there", room: "#lobby" },
    { type: "cmd", name: "msg", args: "bo psst" },
    { type: "cmd", name: "me", args: "waves", room: "#dev" },
    { type: "cmd", name: "quit", args: "bye" },
  ]);
});

Deno.test("IrcCodec answers an unknown command with 421 in order with the core's answers", () => {
  const irc = codec();
  irc.admitted(member("ana"));
  const { frames } = irc.decode(bytes("FOO x\r\nPRIVMSG #a :x\r\n"));
  assert.ok(frames[0] instanceof ProtocolError && frames[1] instanceof ProtocolError);
  assert.deepEqual(frames[2], { type: "msg", text: "x", room: "#a" });
  assert.equal(deliver(irc, frames[0]), ":lanchat 421 ana FOO :Unknown command\r\n");
  // The marker before the message: its numeric will name #a; it writes nothing.
  assert.equal(deliver(irc, frames[1]), "");
  // The core's own error for the message that followed: 404 with lanchat's words.
  const notIn = irc.encode({ type: "error", code: "not_in_room", message: "You are not in #a" });
  assert.equal(text(notIn), ":lanchat 404 ana #a :You are not in #a\r\n");
});

Deno.test("IrcCodec splits a long or multi-line message into lines of at most 512 bytes", () => {
  const irc = codec();
  irc.admitted(member("bo"));
  const event: MessageEvent = {
    type: "msg",
    room: "#lobby",
    id: 1,
    ts: 0,
    from: "ana",
    text: "é".repeat(400) + "\nsecond",
    kind: "say",
  };
  const lines = text(irc.encode(event)).split("\r\n").slice(0, -1);
  assert.equal(lines.length, 3);
  for (const line of lines) assert.ok(encoder.encode(line).length + 2 <= 512, line);
  assert.equal(lines.map((l) => l.split(" :")[1]).join(""), "é".repeat(400) + "second");
});

Deno.test("IrcCodec shows one QUIT when a member leaves several shared rooms, and shares the bytes", () => {
  const a = codec();
  const b = codec();
  a.admitted(member("x"));
  b.admitted(member("y"));
  const leave = (room: string): LeaveEvent => ({
    type: "leave",
    room,
    id: 2,
    ts: 5,
    nick: "ana",
    reason: "quit",
    message: "off",
  });
  const first = leave("#lobby");
  const shared = a.encode(first);
  assert.equal(text(shared), ":ana!ana@lanchat QUIT :Quit: off\r\n");
  assert.equal(b.encode(first), shared);
  // The core stamps each room's leave on its own: a tick between them is one QUIT still.
  assert.equal(a.encode({ ...leave("#dev"), ts: 6 }).length, 0);
  const part: LeaveEvent = { ...first, room: "#dev", reason: "part", message: "later" };
  assert.equal(text(a.encode(part)), ":ana!ana@lanchat PART #dev :later\r\n");
  const quiet: LeaveEvent = { ...part, id: 3, message: undefined };
  assert.equal(text(a.encode(quiet)), ":ana!ana@lanchat PART #dev\r\n");
  // The same nick back and gone again is a second QUIT.
  assert.equal(text(a.encode({ ...first, ts: 9 })), ":ana!ana@lanchat QUIT :Quit: off\r\n");
  // So is one after a room message (a message ends a member's run of leaves too).
  const said: MessageEvent = {
    type: "msg",
    room: "#lobby",
    id: 4,
    ts: 10,
    from: "bo",
    text: "hi",
    kind: "say",
  };
  assert.equal(text(a.encode(said)), ":bo!bo@lanchat PRIVMSG #lobby :hi\r\n");
  assert.equal(text(a.encode({ ...first, ts: 11 })), ":ana!ana@lanchat QUIT :Quit: off\r\n");
});

Deno.test("IrcCodec gives 451 before registration and 461 for missing parameters", () => {
  const irc = codec();
  const { frames } = irc.decode(bytes("JOIN #a\r\nPRIVMSG #a :hi\r\nUSER x\r\n"));
  const said = frames.map((f) =>
    f instanceof ProtocolError
      ? text(irc.encode({ type: "error", code: f.code, message: f.message }))
      : ""
  );
  assert.deepEqual(said, [
    ":lanchat 451 * :You have not registered\r\n",
    ":lanchat 451 * :You have not registered\r\n",
    ":lanchat 461 * USER :Not enough parameters\r\n",
  ]);
});

Deno.test("IrcCodec maps TOPIC and AWAY to the core's /topic, /away and /back; CTCP ACTION to a nick is /describe", () => {
  const irc = codec();
  irc.admitted(member("ana"));
  const { frames } = irc.decode(bytes(
    "TOPIC #dev\r\n" +
      "TOPIC #dev :\x02ship\x02 it\r\n" +
      "TOPIC #dev :\r\n" +
      "AWAY :lunch\r\n" +
      "PRIVMSG bo :\x01ACTION waves\x01\r\n",
  ));
  assert.deepEqual(requests(frames), [
    { type: "cmd", name: "topic", args: "#dev" },
    { type: "cmd", name: "topic", args: "#dev ship it" },
    { type: "cmd", name: "topic", args: "#dev --clear" },
    { type: "cmd", name: "away", args: "lunch" },
    { type: "cmd", name: "describe", args: "bo waves" },
  ]);
  // Not away: AWAY alone is answered 305 here (the core would refuse /back).
  const back = irc.decode(bytes("AWAY\r\n")).frames[0];
  assert.ok(back instanceof ProtocolError);
  assert.equal(
    text(irc.encode({ type: "error", code: "bad_frame", message: back.message })),
    ":lanchat 305 ana :You are no longer marked as being away\r\n",
  );
  // Once its own away event came, AWAY alone is /back.
  irc.encode({ type: "away", ts: 0, nick: "ana", message: "lunch", rooms: ["#lobby"] });
  assert.deepEqual(irc.decode(bytes("AWAY :\r\n")).frames, [
    { type: "cmd", name: "back", args: "" },
  ]);
  const missing = irc.decode(bytes("TOPIC\r\n")).frames[0];
  assert.ok(missing instanceof ProtocolError && / 461 ana TOPIC /.test(missing.message));
});

Deno.test("IrcCodec renders topics (TOPIC, 331/332/333) and away (306/305, 301, AWAY only with away-notify)", () => {
  const plain = codec();
  plain.admitted(member("ana"));
  const topic = { text: "ship it", by: "bo", ts: 1_700_000_000_000 };
  assert.equal(
    text(plain.encode({ type: "topic", room: "#dev", id: 4, ts: 0, nick: "bo", text: "ship it" })),
    ":bo!bo@lanchat TOPIC #dev :ship it\r\n",
  );
  assert.equal(
    text(plain.encode({ type: "room_topic", room: "#dev", topic })),
    ":lanchat 332 ana #dev :ship it\r\n:lanchat 333 ana #dev bo!bo@lanchat 1700000000\r\n",
  );
  assert.equal(
    text(plain.encode({ type: "room_topic", room: "#dev" })),
    ":lanchat 331 ana #dev :No topic is set\r\n",
  );
  const away = { type: "away" as const, ts: 0, nick: "bo", message: "lunch", rooms: ["#dev"] };
  assert.equal(text(plain.encode(away)), "", "no away-notify: no AWAY line");
  assert.equal(
    text(plain.encode({ ...away, rooms: [], dm: true })),
    ":lanchat 301 ana bo :lunch\r\n",
  );
  assert.equal(
    text(plain.encode({ ...away, nick: "ana" })),
    ":lanchat 306 ana :You have been marked as being away\r\n",
  );
  assert.equal(
    text(plain.encode({ type: "away", ts: 0, nick: "ana", rooms: ["#dev"] })),
    ":lanchat 305 ana :You are no longer marked as being away\r\n",
  );
  const notified = codec();
  notified.decode(bytes("CAP REQ :away-notify\r\n"));
  notified.admitted(member("cy"));
  assert.equal(text(notified.encode(away)), ":bo!bo@lanchat AWAY :lunch\r\n");
  assert.equal(
    text(notified.encode({ type: "away", ts: 0, nick: "bo", rooms: ["#dev"] })),
    ":bo!bo@lanchat AWAY\r\n",
  );
  // WHO: G for the away, H for the others.
  notified.decode(bytes("WHO #dev\r\n"));
  const who = text(
    notified.encode({ type: "who", room: "#dev", members: ["bo", "cy"], away: ["bo"] }),
  );
  assert.match(who, / 352 cy #dev bo lanchat lanchat bo G :0 bo\r\n/);
  assert.match(who, / 352 cy #dev cy lanchat lanchat cy H :0 cy\r\n/);
});

Deno.test("IrcCodec holds a line that is not UTF-8 behind a hello on its way, in its turn", () => {
  const irc = codec();
  const bad = new Uint8Array([...bytes("PRIVMSG #x :"), 0xff, 0xfe, 13, 10]);
  const first = irc.decode(
    new Uint8Array([...bytes("NICK a\r\nUSER a 0 * :a\r\nPRIVMSG #x :hi\r\n"), ...bad]),
  );
  assert.deepEqual(requests(first.frames).map((f) => (f as { type: string }).type), ["hello"]);
  irc.admitted(member("a"));
  const later = requests(irc.release()!.frames);
  assert.deepEqual(later[0], { type: "msg", text: "hi", room: "#x" });
  assert.equal(
    deliver(irc, later[1] as ProtocolError),
    ":lanchat FAIL PRIVMSG INVALID_UTF8 :Line is not valid UTF-8\r\n",
  );
});

Deno.test("IrcCodec's room events follow each CAP REQ, taken or dropped, from the next event on", () => {
  const irc = codec();
  irc.admitted(member("x"));
  const msg = (id: number, text = "hi"): MessageEvent => ({
    type: "msg",
    room: "#lobby",
    id,
    ts: 0,
    from: "ana",
    text,
    kind: "say",
  });
  const plain = ":ana!ana@lanchat PRIVMSG #lobby :hi\r\n";
  assert.equal(text(irc.encode(msg(1))), plain);
  irc.decode(bytes("CAP REQ :server-time message-tags\r\n"));
  const tagged = text(irc.encode(msg(2)));
  assert.match(tagged, /^@time=1970-01-01T00:00:00\.000Z;msgid=\S+ :ana!ana@lanchat PRIVMSG/);
  // Dropped in place (the same set): the next event has no msgid, then no tags at all.
  irc.decode(bytes("CAP REQ :-message-tags\r\n"));
  assert.equal(text(irc.encode(msg(3))), `@time=1970-01-01T00:00:00.000Z ${plain}`);
  irc.decode(bytes("CAP REQ :-server-time\r\n"));
  assert.equal(text(irc.encode(msg(4))), plain);
  // A multi-line message goes in a batch only with both draft/multiline and batch.
  irc.decode(bytes("CAP REQ :draft/multiline\r\n"));
  assert.doesNotMatch(text(irc.encode(msg(5, "a\nb"))), /BATCH/);
  irc.decode(bytes("CAP REQ :batch\r\n"));
  assert.match(text(irc.encode(msg(6, "a\nb"))), /BATCH \+m6 draft\/multiline #lobby/);
});

Deno.test("IrcCodec echoes a client's controls and bidi characters escaped, never as they came", () => {
  const irc = codec();
  const nak = irc.decode(bytes("CAP REQ :\x1b]0;pwn\x07\r\n"));
  assert.equal(text(nak.replies?.[0]), ":lanchat CAP * NAK :\\x1b]0;pwn\\x07\r\n");
  irc.admitted(member("ana"));
  const { frames } = irc.decode(bytes("\x1b[2J\u202eX\r\n"));
  assert.ok(frames[0] instanceof ProtocolError);
  assert.equal(deliver(irc, frames[0]), ":lanchat 421 ana \\x1b[2J\\u202eX :Unknown command\r\n");
  const pong = irc.encode({ type: "pong", token: "a\rb\x1b[31m\u2066" });
  assert.equal(text(pong), ":lanchat PONG lanchat :a\\x0db\\x1b[31m\\u2066\r\n");
  // What only a member says (a nick!user@host line) is the core's clean text, left as it is.
  const said = irc.encode({
    type: "msg",
    ts: 0,
    from: "bo",
    text: "\u{1F469}\u200D\u{1F4BB} ok",
    kind: "say",
    room: "#a",
    id: 1,
  } as MessageEvent);
  assert.equal(text(said), ":bo!bo@lanchat PRIVMSG #a :\u{1F469}\u200D\u{1F4BB} ok\r\n");
});
