import assert from "node:assert/strict";
import type { Member } from "../core/member.ts";
import { IrcCodec } from "./irc_codec.ts";
import { IrcRegistration } from "./irc_registration.ts";
import { ProtocolError } from "./protocol_error.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = () => new IrcCodec({ maxLineBytes: 65536, version: "0.1.0" });
const bytes = (lines: string) => encoder.encode(lines);
/** The frames for the core, without the codec's markers and own lines. */
const requests = (frames: unknown[]) => frames.filter((f) => !(f instanceof ProtocolError));
/** The codec's own lines among `frames`, as the session would deliver them in turn. */
const own = (irc: IrcCodec, frames: unknown[]) =>
  frames.filter((f) => f instanceof ProtocolError)
    .map((f) => decoder.decode(irc.encode({ type: "error", code: f.code, message: f.message })))
    .join("");

Deno.test("IrcRegistration sends one hello once NICK and USER are given and CAP is over", () => {
  const registration = new IrcRegistration();
  const caps = new Set<never>();
  const limits = { maxMessageLength: 4000, maxMessageLines: 20 };
  assert.ok(registration.cap(["LS", "302"], "*", caps, limits).say?.includes(" LS "));
  assert.equal(registration.nickname("ana"), undefined);
  assert.equal(registration.user(), undefined, "CAP still open");
  assert.equal(registration.pending, false);
  assert.deepEqual(registration.cap(["END"], "ana", caps, limits).hello, {
    type: "hello",
    protocol: 1,
    nick: "ana",
    client: "irc",
  });
  assert.equal(registration.pending, true);
  registration.refused();
  assert.equal(registration.pending, false);
  assert.equal(registration.nickname("bo")?.nick, "bo");
  registration.admitted();
  assert.equal(registration.pending, false);
});

Deno.test("IrcCodec holds the lines behind a hello on its way, and hands them over as the member's", () => {
  const irc = codec();
  const first = irc.decode(bytes("NICK a\r\nUSER a 0 * :a\r\nJOIN #x\r\nPRIVMSG #x :hi\r\n"));
  assert.deepEqual(requests(first.frames), [
    { type: "hello", protocol: 1, nick: "a", client: "irc" },
  ]);
  assert.equal(irc.release(), undefined, "still on its way");
  irc.admitted({ nick: "a" } as unknown as Member);
  const held = irc.release()!;
  assert.deepEqual(requests(held.frames), [
    { type: "cmd", name: "join", args: "#x" },
    { type: "msg", text: "hi", room: "#x" },
  ]);
  assert.equal(irc.release(), undefined, "nothing left");
});

Deno.test("IrcCodec: behind a refused hello the held lines get 451, and a NICK among them tries again", () => {
  const irc = codec();
  const { frames } = irc.decode(
    bytes("NICK ana\r\nUSER ana 0 * :ana\r\nJOIN #x\r\nNICK bo\r\nJOIN #y\r\n"),
  );
  assert.equal(own(irc, frames), "", "the marker naming ana for 433");
  const refused = irc.encode({ type: "error", code: "nick_taken", message: "ana is taken" });
  assert.equal(decoder.decode(refused), ":lanchat 433 * ana :ana is taken\r\n");
  const retry = irc.release()!;
  assert.equal(own(irc, retry.frames), ":lanchat 451 * :You have not registered\r\n");
  assert.deepEqual(requests(retry.frames), [
    { type: "hello", protocol: 1, nick: "bo", client: "irc" },
  ]);
  irc.admitted({ nick: "bo" } as unknown as Member);
  assert.deepEqual(requests(irc.release()!.frames), [{ type: "cmd", name: "join", args: "#y" }]);
});

Deno.test("IrcCodec holds at most 64 lines behind a hello: past that the connection ends as a flood", () => {
  const fits = codec();
  const held = fits.decode(bytes("NICK a\r\nUSER a 0 * :a\r\n" + "JOIN #x\r\n".repeat(64)));
  assert.equal(held.bye, undefined);
  fits.admitted({ nick: "a" } as unknown as Member);
  assert.equal(requests(fits.release()!.frames).length, 64);
  const irc = codec();
  const { frames, bye } = irc.decode(
    bytes("NICK a\r\nUSER a 0 * :a\r\n" + "JOIN #x\r\n".repeat(65)),
  );
  assert.match(bye?.message ?? "", /flood/);
  assert.doesNotMatch(own(irc, frames), / 451 /);
  assert.equal(irc.release(), undefined);
});

Deno.test("CAP REQ without a capability is 461 (its one parameter must list them), and enables nothing", () => {
  const irc = codec();
  for (const line of ["CAP REQ", "CAP REQ :", "CAP REQ : "]) {
    const answer = irc.decode(bytes(`${line}\r\n`));
    assert.equal(answer.replies, undefined, line);
    assert.equal(own(irc, answer.frames), ":lanchat 461 * CAP :Not enough parameters\r\n", line);
  }
  // Not negotiating: NICK and USER register without a CAP END.
  const hello = irc.decode(bytes("NICK ana\r\nUSER ana 0 * :Ana\r\n"));
  assert.deepEqual(requests(hello.frames).map((f) => (f as { type: string }).type), ["hello"]);
});
