/** ChatView: messages, mentions, actions, DMs, local lines and lines queued offline. */

import assert from "node:assert/strict";
import { ChatView } from "./chat_view.ts";
import { msg, texts, TS, viewInTwoRooms, welcome } from "./_chat_view_fixtures.ts";

Deno.test("ChatView does not ring for a mention replayed from history, but marks it", () => {
  const view = new ChatView();
  view.apply(welcome({ history: [msg("#lobby", "bob", "ana: you there?")] }));
  assert.equal(view.current!.lines[0].mention, true);
});

Deno.test("ChatView rings for a message that mentions our nick", () => {
  const view = viewInTwoRooms();
  assert.equal(view.apply(msg("#dev", "carol", "ping ana")), true);
  assert.equal(view.current!.lines.at(-1)?.mention, true);
  assert.equal(view.apply(msg("#dev", "carol", "no ping")), false);
  assert.equal(view.current!.lines.at(-1)?.mention, false);
});

Deno.test("ChatView detects a mention as a whole word, in any case", () => {
  const view = new ChatView();
  view.apply(welcome());
  for (const text of ["ana", "ANA: hi", "hey Ana!", "@ana", "(ana)", "ok, ana."]) {
    assert.equal(view.mentions(text), true, text);
  }
  for (const text of ["banana", "anabel", "ana_b", "ana2", "kana", "an a"]) {
    assert.equal(view.mentions(text), false, text);
  }
});

Deno.test("ChatView matches a nick with regex characters literally", () => {
  const view = new ChatView();
  view.apply(welcome({ nick: "a.b" }));
  assert.equal(view.mentions("hi a.b!"), true);
  assert.equal(view.mentions("hi aXb"), false);
});

Deno.test("ChatView does not treat our own message as a mention", () => {
  const view = viewInTwoRooms();
  assert.equal(view.apply(msg("#dev", "ana", "I am ana")), false);
  const line = view.current!.lines.at(-1)!;
  assert.equal(line.own, true);
  assert.equal(line.mention, false);
});

Deno.test("ChatView shows an action with its kind", () => {
  const view = viewInTwoRooms();
  view.apply(msg("#dev", "carol", "waves", "action"));
  assert.deepEqual(
    { kind: view.current!.lines.at(-1)!.kind, nick: view.current!.lines.at(-1)!.nick },
    { kind: "action", nick: "carol" },
  );
});

Deno.test("ChatView shows a notice as one, in a room and in private", () => {
  const view = viewInTwoRooms();
  view.apply({ ...msg("#dev", "carol", "build green"), kind: "notice" });
  const line = view.current!.lines.at(-1)!;
  assert.deepEqual([line.kind, line.nick, line.text], ["nick_notice", "carol", "build green"]);
  view.apply({ type: "dm", ts: TS, from: "bob", to: "ana", text: "ping", kind: "notice" });
  assert.equal(view.current!.lines.at(-1)!.text, "-bob- ping");
});

Deno.test("ChatView follows our own nick change, so mentions use the new nick", () => {
  const view = viewInTwoRooms();
  view.apply({ type: "nick", ts: TS, old: "ana", new: "anna", rooms: ["#lobby", "#dev"] });
  assert.equal(view.nick, "anna");
  assert.deepEqual(view.rooms.get("#lobby")!.members, ["anna", "bob"]);
  assert.deepEqual(view.rooms.get("#dev")!.members, ["anna", "carol"]);
  assert.equal(view.apply(msg("#dev", "carol", "anna?")), true);
  assert.equal(view.apply(msg("#dev", "carol", "ana?")), false);
  assert.equal(view.apply(msg("#dev", "anna", "anna here")), false, "own message");
});

Deno.test("ChatView shows a DM in the current room, rings only for an incoming one", () => {
  const view = viewInTwoRooms();
  assert.equal(
    view.apply({ type: "dm", ts: TS, from: "bob", to: "ana", text: "psst", kind: "say" }),
    true,
  );
  assert.deepEqual(view.current!.lines.at(-1)?.dm, { peer: "bob", outgoing: false });
  assert.equal(
    view.apply({ type: "dm", ts: TS, from: "ana", to: "bob", text: "yes?", kind: "say" }),
    false,
  );
  assert.deepEqual(view.current!.lines.at(-1)?.dm, { peer: "bob", outgoing: true });
  assert.equal(view.current!.lines.at(-1)?.own, true);
});

Deno.test("ChatView shows who, rooms, help, pong, errors and bye as local lines", () => {
  const view = viewInTwoRooms();
  view.apply({ type: "who", room: "#dev", members: ["ana", "carol", "dan"] });
  assert.deepEqual(view.current!.members, ["ana", "carol", "dan"]);
  view.apply({
    type: "rooms",
    rooms: [{ room: "#lobby", members: 2 }, { room: "#dev", members: 3 }],
  });
  view.apply({ type: "help", commands: [{ name: "who", usage: "/who", help: "List members" }] });
  view.apply({ type: "pong" });
  view.apply({ type: "error", code: "nick_taken", message: 'Nick "bob" is taken' });
  view.apply({ type: "bye", reason: "shutdown", message: "Server shutting down" });
  assert.deepEqual(view.current!.lines.slice(-6).map((l) => [l.kind, l.text]), [
    ["info", "#dev (3): ana, carol, dan"],
    ["info", "Rooms: #lobby (2), #dev (3)"],
    ["info", "/who — List members"],
    ["info", "pong"],
    ["error", 'Nick "bob" is taken'],
    ["notice", "Server shutting down"],
  ]);
});

Deno.test("ChatView.note() adds a local line to the shown room", () => {
  const view = viewInTwoRooms();
  view.note("Not connected", "error");
  assert.deepEqual(view.current!.lines.at(-1), { kind: "error", text: "Not connected" });
});

Deno.test("ChatView shows a message typed offline as queued until its echo replaces it", () => {
  const view = viewInTwoRooms();
  view.queued("#dev", "first");
  view.queued("#dev", "refused by the server");
  view.queued("#dev", "third");
  view.queued("#lobby", "elsewhere");
  const dev = view.rooms.get("#dev")!;
  assert.deepEqual(
    dev.lines.filter((l) => l.queued).map((l) => [l.nick, l.own, l.text]),
    [["ana", true, "first"], ["ana", true, "refused by the server"], ["ana", true, "third"]],
  );
  view.apply(msg("#dev", "ana", "first"));
  assert.deepEqual(texts(dev.lines.filter((l) => l.queued)), ["refused by the server", "third"]);
  view.apply({ type: "error", code: "message_too_long", message: "Message is too long" });
  // The server handled the queue in order: by the echo of "third", the one
  // before it was answered (here refused), so it waits no more.
  view.apply(msg("#dev", "ana", "third"));
  assert.deepEqual(texts(dev.lines.filter((l) => l.queued)), []);
  assert.deepEqual(texts(dev.lines).slice(-3), ["first", "Message is too long", "third"]);
  // Another room's queue is its own.
  assert.deepEqual(texts(view.rooms.get("#lobby")!.lines.filter((l) => l.queued)), ["elsewhere"]);
});
