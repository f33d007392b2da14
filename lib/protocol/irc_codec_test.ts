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
    ":lanchat CAP * LS :batch cap-notify draft/multiline=max-bytes=4000,max-lines=20 echo-message message-tags multi-prefix sasl=PLAIN,EXTERNAL server-time\r\n",
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
      "NOTICE #dev :\x01ACTION waves\x01\r\n" +
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
  // The core's own error for the message that followed: 442 with lanchat's words.
  const notIn = irc.encode({ type: "error", code: "not_in_room", message: "You are not in #a" });
  assert.equal(text(notIn), ":lanchat 442 ana #a :You are not in #a\r\n");
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
});

Deno.test("IrcCodec gives 451 before registration and 461 for missing parameters", () => {
  const irc = codec();
  const { frames } = irc.decode(bytes("JOIN #a\r\nUSER x\r\n"));
  const said = frames.map((f) =>
    f instanceof ProtocolError
      ? text(irc.encode({ type: "error", code: f.code, message: f.message }))
      : ""
  );
  assert.deepEqual(said, [
    ":lanchat 451 * :You have not registered\r\n",
    ":lanchat 461 * USER :Not enough parameters\r\n",
  ]);
});
