/** ChatView: the welcome, rooms joined and left, members, unread counts, reconnects. */

import assert from "node:assert/strict";
import { ChatView } from "./chat_view.ts";
import { lobbyMessage, msg, texts, TS, viewInTwoRooms, welcome } from "./_chat_view_fixtures.ts";

Deno.test("ChatView applies the welcome: server, nick, state, room, members", () => {
  const view = new ChatView();
  assert.equal(view.state, "connecting");
  assert.equal(view.apply(welcome()), false);
  assert.equal(view.server, "lan");
  assert.equal(view.nick, "ana");
  assert.equal(view.state, "connected");
  assert.equal(view.current?.name, "#lobby");
  assert.deepEqual(view.current?.members, ["ana", "bob"]);
});

Deno.test("ChatView shows the welcome's history first, marked as history, then the greeting and motd", () => {
  const view = new ChatView();
  view.apply(welcome({
    history: [msg("#lobby", "bob", "earlier"), msg("#lobby", "ana", "mine")],
    motd: "be nice\nno spam",
  }));
  const lines = view.current!.lines;
  assert.deepEqual(lines.slice(0, 2).map((l) => [l.kind, l.nick, l.text, l.history, l.own]), [
    ["msg", "bob", "earlier", true, false],
    ["msg", "ana", "mine", true, true],
  ]);
  assert.deepEqual([lines[2].kind, lines[2].text], [
    "notice",
    "── 2 messages from before you joined ──",
  ]);
  assert.equal(lines[3].text, "Welcome to lan, ana!");
  assert.deepEqual(texts(lines.slice(4, 6)), ["motd: be nice", "motd: no spam"]);
  assert.match(lines[6].text, /\/help/);
});

Deno.test("ChatView switches to a room it joined and keeps the old one", () => {
  const view = viewInTwoRooms();
  assert.equal(view.current?.name, "#dev");
  assert.deepEqual(view.current?.members, ["ana", "carol"]);
  assert.deepEqual([...view.rooms.values()].map((r) => r.name), ["#lobby", "#dev"]);
});

Deno.test("ChatView joined again to a known room keeps its lines and switches to it", () => {
  const view = viewInTwoRooms();
  view.apply(msg("#lobby", "bob", "still here"));
  view.apply({ type: "joined", room: "#LOBBY", members: ["ana", "bob", "dan"], history: [] });
  assert.equal(view.current?.name, "#lobby");
  assert.ok(texts(view.current!.lines).includes("still here"));
  assert.deepEqual(view.current?.members, ["ana", "bob", "dan"]);
});

Deno.test("ChatView on parted drops the room, shows the new current one and says so", () => {
  const view = viewInTwoRooms();
  view.apply({ type: "parted", room: "#dev", current: "#lobby" });
  assert.equal(view.rooms.has("#dev"), false);
  assert.equal(view.current?.name, "#lobby");
  assert.equal(view.current!.lines.at(-1)?.text, "You left #dev");
});

Deno.test("ChatView counts unread messages and mentions in rooms not shown", () => {
  const view = viewInTwoRooms();
  view.apply(msg("#lobby", "bob", "hello all"));
  view.apply(msg("#lobby", "bob", "ana, look"));
  view.apply(msg("#lobby", "bob", "waves", "action"));
  const lobby = view.rooms.get("#lobby")!;
  assert.equal(lobby.unread, 3);
  assert.equal(lobby.mentions, 1);
  view.apply(msg("#dev", "carol", "ana in the shown room"));
  assert.equal(view.current!.unread, 0);
  assert.equal(view.current!.mentions, 0);
});

Deno.test("ChatView does not count joins and leaves as unread", () => {
  const view = viewInTwoRooms();
  view.apply({ type: "join", room: "#lobby", id: 50, ts: TS, nick: "dan" });
  view.apply({ type: "leave", room: "#lobby", id: 51, ts: TS, nick: "dan", reason: "quit" });
  assert.equal(view.rooms.get("#lobby")!.unread, 0);
});

Deno.test("ChatView.switchTo() shows a room and clears its counts", () => {
  const view = viewInTwoRooms();
  view.apply(msg("#lobby", "bob", "ana?"));
  view.switchTo("#LOBBY");
  assert.equal(view.current?.name, "#lobby");
  assert.equal(view.current!.unread, 0);
  assert.equal(view.current!.mentions, 0);
});

Deno.test("ChatView.cycle() walks the joined rooms in order, both ways", () => {
  const view = viewInTwoRooms();
  view.apply({ type: "joined", room: "#ops", members: ["ana"], history: [] });
  view.cycle(1);
  assert.equal(view.current?.name, "#lobby");
  view.cycle(1);
  assert.equal(view.current?.name, "#dev");
  view.cycle(-1);
  view.cycle(-1);
  assert.equal(view.current?.name, "#ops");
});

Deno.test("ChatView ignores a message for a room it is not in", () => {
  const view = viewInTwoRooms();
  assert.equal(view.apply(msg("#elsewhere", "bob", "ana!")), false);
  assert.equal(view.rooms.size, 2);
});

Deno.test("ChatView adds and removes members on join and leave, with a line each", () => {
  const view = viewInTwoRooms();
  view.apply({ type: "join", room: "#dev", id: 60, ts: TS, nick: "bob" });
  assert.deepEqual(view.current!.members, ["ana", "bob", "carol"]);
  assert.equal(view.current!.lines.at(-1)?.text, "bob joined #dev");
  view.apply({
    type: "leave",
    room: "#dev",
    id: 61,
    ts: TS,
    nick: "carol",
    reason: "part",
    message: "bye",
  });
  assert.deepEqual(view.current!.members, ["ana", "bob"]);
  assert.equal(view.current!.lines.at(-1)?.text, "carol left #dev (bye)");
});

Deno.test("ChatView applies someone's nick change to the members of every listed room", () => {
  const view = viewInTwoRooms();
  view.apply({ type: "nick", ts: TS, old: "carol", new: "zed", rooms: ["#dev"] });
  assert.deepEqual(view.current!.members, ["ana", "zed"]);
  assert.equal(view.current!.lines.at(-1)?.text, "carol is now known as zed");
  assert.equal(view.nick, "ana");
});

Deno.test("ChatView after a reconnect stays on the room shown, rejoins quietly and follows a renamed server", () => {
  const view = new ChatView();
  view.apply(welcome({ server: "first" }));
  view.apply({ type: "joined", room: "#ops", members: ["ana"], history: [] });
  view.apply({ type: "parted", room: "#lobby", current: "#ops" });
  view.apply({ type: "joined", room: "#dev", members: ["ana"], history: [] });
  view.switchTo("#ops");
  const before = texts(view.current!.lines);
  view.apply({ type: "status", state: "offline", message: "Disconnected" });
  view.apply({ type: "status", state: "connected", message: "Reconnected" });
  view.apply(welcome({ server: "second", history: [lobbyMessage(7, "lobby news")] }));
  view.apply({
    type: "rejoined",
    room: "#ops",
    members: ["ana", "bob"],
    history: [{ ...lobbyMessage(3, "missed"), room: "#ops" }],
  });
  view.apply({ type: "rejoined", room: "#dev", members: ["ana"], history: [] });
  assert.equal(view.current?.name, "#ops", "still the room the user was looking at");
  assert.equal(view.server, "second");
  assert.deepEqual([...view.rooms.keys()], ["#ops", "#dev"], "the lobby left long ago stays left");
  const after = texts(view.current!.lines).slice(before.length);
  assert.deepEqual(after, [
    "Disconnected",
    "Reconnected",
    "The server now calls itself second (it was first)",
    "missed",
  ]);
  assert.deepEqual(view.current?.members, ["ana", "bob"]);
});

Deno.test("ChatView says where a /join put you and who is there", () => {
  const view = new ChatView();
  view.apply(welcome());
  view.apply({ type: "joined", room: "#qa", members: ["ana"], history: [] });
  assert.deepEqual(view.current!.lines.at(-1), {
    kind: "info",
    text: "You are in #qa; no one else is here",
  });
  view.apply({
    type: "joined",
    room: "#dev",
    members: ["ana", "bob"],
    history: [{ ...lobbyMessage(4, "earlier"), room: "#dev" }],
  });
  // Below the history, where the eye is.
  assert.deepEqual(texts(view.current!.lines), [
    "earlier",
    "── 1 message from before you joined ──",
    "You are in #dev (2 here: ana, bob)",
  ]);
});

Deno.test("ChatView: a reconnect the server refuses is 'refused' in the header, not 'reconnecting'", () => {
  const view = new ChatView();
  view.apply(welcome());
  view.apply({ type: "status", state: "offline", message: "Disconnected; reconnecting in 0.5 s" });
  assert.equal(view.state, "reconnecting");
  view.apply({
    type: "status",
    state: "offline",
    message: 'Refused: Nick "ana" is taken; try "ana_"; retrying in 1.1 s',
    refusal: 'Nick "ana" is taken; try "ana_"',
  });
  assert.equal(view.state, "refused");
  view.apply({ type: "status", state: "offline", message: "Still offline (attempt 3: x)" });
  assert.equal(view.state, "reconnecting");
});

Deno.test("ChatView: a ban shows as 'was banned', a kick as 'was kicked'", () => {
  const view = new ChatView();
  view.apply(welcome());
  for (const [nick, code] of [["eve", "banned"], ["bo", undefined]] as const) {
    view.apply({
      type: "leave",
      room: "#lobby",
      id: 9,
      ts: 1,
      nick,
      reason: "kicked",
      message: "by ana: spam",
      ...(code ? { code } : {}),
    });
  }
  const texts = view.current!.lines.map((line) => line.text);
  assert.ok(texts.includes("eve was banned (by ana: spam)"), texts.join("\n"));
  assert.ok(texts.includes("bo was kicked (by ana: spam)"), texts.join("\n"));
});
