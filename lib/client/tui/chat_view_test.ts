import assert from "node:assert/strict";
import type { MessageEvent, WelcomeEvent } from "../../core/events.ts";
import { ChatView } from "./chat_view.ts";
import type { ViewLine } from "./room_pane.ts";
import { parseServerFrame } from "../../protocol/server_frames.ts";
import type { ChatEvent } from "../../core/events.ts";

/** An event as the client gets it: sent over the wire, checked and cleaned where it enters. */
function fromWire(event: ChatEvent): ChatEvent {
  return parseServerFrame(JSON.stringify(event))!;
}

const TS = 1_700_000_000_000;
let nextId = 1;

function welcome(overrides: Partial<WelcomeEvent> = {}): WelcomeEvent {
  return {
    type: "welcome",
    protocol: 1,
    server: "lan",
    nick: "ana",
    room: "#lobby",
    members: ["ana", "bob"],
    history: [],
    ...overrides,
  };
}

function msg(
  room: string,
  from: string,
  text: string,
  kind: "say" | "action" = "say",
): MessageEvent {
  return { type: "msg", room, id: nextId++, ts: TS, from, text, kind };
}

/** bob's message `m<id>` in #lobby, with that id. */
function lobbyMessage(id: number, text = `m${id}`): MessageEvent {
  return { type: "msg", room: "#lobby", id, ts: 1, from: "bob", text, kind: "say" };
}

/** A view welcomed as ana in #lobby with bob, then joined to #dev (shown) with carol. */
function viewInTwoRooms(): ChatView {
  const view = new ChatView();
  view.apply(welcome());
  view.apply({ type: "joined", room: "#dev", members: ["ana", "carol"], history: [] });
  return view;
}

function texts(lines: ViewLine[]): string[] {
  return lines.map((line) => line.text);
}

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

Deno.test("ChatView does not ring for a mention replayed from history, but marks it", () => {
  const view = new ChatView();
  view.apply(welcome({ history: [msg("#lobby", "bob", "ana: you there?")] }));
  assert.equal(view.current!.lines[0].mention, true);
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

Deno.test("ChatView shows a message from the wire without escape sequences or control characters", () => {
  const view = viewInTwoRooms();
  view.apply(fromWire(msg("#dev", "carol", "hi\x1b[2J\x1b]0;owned\x07 there\x00\x7f\u202e!")));
  assert.equal(view.current!.lines.at(-1)?.text, "hi there!");
});

Deno.test("ChatView keeps line breaks in messages from the wire but not control characters around them", () => {
  const view = viewInTwoRooms();
  view.apply(fromWire(msg("#dev", "carol", "one\r\ntwo\tthree\x1b[31m")));
  assert.equal(view.current!.lines.at(-1)?.text, "one\ntwo three");
});

Deno.test("ChatView shows DMs, errors, leave messages, the bye and the motd from the wire cleaned", () => {
  const view = new ChatView();
  view.apply(fromWire(welcome({ motd: "hello\x1b[5m blink" })));
  view.apply(
    fromWire({ type: "dm", ts: TS, from: "bob", to: "ana", text: "a\x1b[?1049lb", kind: "say" }),
  );
  view.apply(fromWire({
    type: "leave",
    room: "#lobby",
    id: 9,
    ts: TS,
    nick: "bob",
    reason: "quit",
    message: "gone\x07\x1b[H",
  }));
  view.apply(fromWire({ type: "error", code: "bad_args", message: "bad\x1b[2K" }));
  view.apply(fromWire({ type: "bye", reason: "quit", message: "bye\r\x1b[1A" }));
  for (const line of view.current!.lines) {
    assert.doesNotMatch(line.text, /[\x00-\x09\x0b-\x1f\x7f]/, JSON.stringify(line.text));
  }
  assert.ok(texts(view.current!.lines).includes("motd: hello blink"));
});

Deno.test("ChatView.scroll() stays within 0 and the maximum", () => {
  const view = viewInTwoRooms();
  view.scroll(5, 3);
  assert.equal(view.current!.scroll, 3);
  view.scroll(-10, 3);
  assert.equal(view.current!.scroll, 0);
});

Deno.test("ChatView keeps lines that arrive while scrolled up hidden below, counting the messages", () => {
  const view = viewInTwoRooms();
  view.scroll(4, 100);
  view.apply(msg("#dev", "carol", "one"));
  view.apply({ type: "join", room: "#dev", id: 70, ts: TS, nick: "dan" });
  view.apply(msg("#dev", "dan", "two", "action"));
  const room = view.current!;
  assert.equal(room.scroll, 4, "the reader's position does not move");
  assert.equal(room.hidden, 3);
  assert.equal(room.newBelow, 2, "the join is not a new message");
});

Deno.test("ChatView forgets the hidden lines once scrolled back to the bottom", () => {
  const view = viewInTwoRooms();
  view.scroll(4, 100);
  view.apply(msg("#dev", "carol", "one"));
  view.scroll(-2, 100);
  assert.equal(view.current!.hidden, 1, "still scrolled up");
  view.scroll(-2, 100);
  assert.equal(view.current!.scroll, 0);
  assert.equal(view.current!.hidden, 0);
  assert.equal(view.current!.newBelow, 0);
});

Deno.test("ChatView does not hide lines while following the bottom", () => {
  const view = viewInTwoRooms();
  view.apply(msg("#dev", "carol", "one"));
  assert.equal(view.current!.hidden, 0);
  assert.equal(view.current!.newBelow, 0);
});

Deno.test("ChatView.note() adds a local line to the shown room", () => {
  const view = viewInTwoRooms();
  view.note("Not connected", "error");
  assert.deepEqual(view.current!.lines.at(-1), { kind: "error", text: "Not connected" });
});

Deno.test("ChatView pages back more than once, and stops at the beginning", () => {
  const view = new ChatView();
  view.apply(welcome({ members: ["ana"], history: [lobbyMessage(101, "newest")] }));
  assert.equal(view.olderPageBefore(), 101);
  assert.equal(view.olderPageBefore(), undefined, "one request at a time");
  const page = (from: number) => Array.from({ length: 50 }, (_, i) => lobbyMessage(from + i));
  view.apply({ type: "history", room: "#lobby", messages: page(51), more: true });
  assert.equal(view.olderPageBefore(), 51);
  view.apply({ type: "history", room: "#lobby", messages: page(1), more: false });
  assert.equal(view.olderPageBefore(), undefined, "at the beginning");
  const ids = view.current!.lines.flatMap((l) => l.id === undefined ? [] : [l.id]);
  assert.deepEqual(ids.slice(0, 3), [1, 2, 3]);
  assert.equal(ids.length, 101);
});

Deno.test("ChatView answers a typed /history where the eye is: added above, already shown, or the beginning", () => {
  const view = new ChatView();
  view.apply(welcome({ members: ["ana"], history: [lobbyMessage(9), lobbyMessage(10)] }));
  const last = () => view.current!.lines.at(-1)!;
  view.apply({
    type: "history",
    room: "#lobby",
    messages: [lobbyMessage(9), lobbyMessage(10)],
    more: true,
  });
  assert.deepEqual([last().kind, last().text], [
    "info",
    "Those messages are shown already; /history without an id loads the ones above",
  ]);
  view.apply({
    type: "history",
    room: "#lobby",
    messages: [lobbyMessage(6), lobbyMessage(7), lobbyMessage(8), lobbyMessage(9)],
    more: true,
  });
  assert.equal(last().text, "3 older messages added above (PgUp to read)");
  const ids = view.current!.lines.flatMap((l) => l.id === undefined ? [] : [l.id]);
  assert.deepEqual(ids, [6, 7, 8, 9, 10], "each message once, in order");
  view.apply({ type: "history", room: "#lobby", messages: [lobbyMessage(5)], more: false });
  assert.equal(last().text, "1 older message added above (PgUp to read)");
  view.apply({ type: "history", room: "#lobby", messages: [lobbyMessage(5)], more: false });
  assert.equal(last().text, "No older messages: that is the beginning of #lobby");
  const markers = view.current!.lines.filter((l) => l.text.startsWith("── the beginning"));
  assert.equal(markers.length, 1, "one beginning marker however often it is asked");
  // Scrolling to the top fetches quietly: no note.
  const fresh = new ChatView();
  fresh.apply(welcome({ members: ["ana"], history: [lobbyMessage(10)] }));
  assert.equal(fresh.olderPageBefore(), 10);
  const shown = fresh.current!.lines.length;
  fresh.apply({ type: "history", room: "#lobby", messages: [lobbyMessage(9)], more: true });
  assert.equal(fresh.current!.lines.length, shown + 1, "only the older message, no note");
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

Deno.test("ChatView shows an invalid frame as an error line and goes on", () => {
  const view = new ChatView();
  view.apply(welcome());
  view.apply({
    type: "invalid_frame",
    message: 'The server sent an invalid frame: "ts" of a "msg" frame is 1e+308, not a time',
  });
  assert.deepEqual(view.current!.lines.at(-1), {
    kind: "error",
    text: 'The server sent an invalid frame: "ts" of a "msg" frame is 1e+308, not a time (ignored)',
  });
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
