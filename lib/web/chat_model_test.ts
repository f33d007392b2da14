import assert from "node:assert/strict";
import type { MessageEvent } from "../core/events.ts";
import { ChatModel, dmKey, mentions, roomKey } from "./chat_model.ts";

function msg(id: number, from: string, text: string, room = "#lobby"): MessageEvent {
  return { type: "msg", room, id, ts: 1_800_000_000_000 + id, from, text, kind: "say" };
}

function joined(): ChatModel {
  const model = new ChatModel();
  model.apply({
    type: "welcome",
    protocol: 1,
    server: "office",
    nick: "ana",
    room: "#lobby",
    members: ["ana", "bo"],
    history: [msg(1, "bo", "earlier"), msg(2, "ana", "mine")],
  });
  return model;
}

Deno.test("ChatModel: the welcome opens the lobby with its history, and the first live line gets the new-messages marker", () => {
  const model = joined();
  const lobby = model.shown!;
  assert.equal(lobby.key, roomKey("#lobby"));
  assert.deepEqual(lobby.members, ["ana", "bo"]);
  assert.deepEqual(lobby.lines.map((l) => [l.text, l.history, l.own]), [
    ["earlier", true, false],
    ["mine", true, true],
  ]);
  model.apply(msg(3, "bo", "live"));
  assert.equal(lobby.markerBefore, lobby.lines[2].key);
  assert.equal(lobby.unread, 0, "the room shown is read");
});

Deno.test("ChatModel: the motd sits after the replay and above the marker; the user's own line clears the marker", () => {
  const model = new ChatModel();
  model.apply({
    type: "welcome",
    protocol: 1,
    server: "office",
    motd: "be kind",
    nick: "ana",
    room: "#lobby",
    members: ["ana", "bo"],
    history: [msg(1, "bo", "earlier")],
  });
  const lobby = model.shown!;
  assert.deepEqual(lobby.lines.map((l) => [l.kind, l.text]), [["say", "earlier"], [
    "motd",
    "be kind",
  ]]);
  assert.equal(lobby.markerBefore, undefined, "the motd is not new");
  model.apply(msg(2, "bo", "live"));
  assert.equal(lobby.lines.find((l) => l.key === lobby.markerBefore)?.text, "live");
  model.apply(msg(3, "ana", "my answer"));
  assert.equal(lobby.markerBefore, undefined, "what is above my own line was seen");
  model.apply(msg(4, "bo", "after"));
  assert.equal(lobby.markerBefore, undefined, "a line arriving while I look is not unread");
});

Deno.test("ChatModel: speaking first after the replay leaves no marker above my line", () => {
  const model = joined();
  const lobby = model.shown!;
  model.apply(msg(3, "ana", "hello"));
  model.apply(msg(4, "bo", "hi"));
  assert.equal(lobby.markerBefore, undefined);
});

Deno.test("ChatModel: a message in another room counts as unread, a mention marks it, and showing it moves the marker to the first unread", () => {
  const model = joined();
  model.apply({ type: "joined", room: "#dev", members: ["ana"], history: [] });
  assert.equal(model.current, roomKey("#dev"));
  model.apply(msg(4, "bo", "anyone?"));
  const alert = model.apply(msg(5, "bo", "Ana: look"));
  const lobby = model.find(roomKey("#lobby"))!;
  assert.equal(lobby.unread, 2);
  assert.equal(lobby.mention, true);
  assert.deepEqual(alert, { key: lobby.key, title: "bo in #lobby", body: "Ana: look" });
  model.show(lobby.key);
  assert.equal(lobby.unread, 0);
  assert.equal(lobby.mention, false);
  assert.equal(lobby.lines.find((l) => l.key === lobby.markerBefore)?.text, "anyone?");
});

Deno.test("ChatModel: private messages open a conversation with the other nick, listed like a room, and follow a nick change", () => {
  const model = joined();
  const alert = model.apply({
    type: "dm",
    ts: 1,
    from: "bo",
    to: "ana",
    text: "psst",
    kind: "say",
  });
  const dm = model.find(dmKey("bo"))!;
  assert.equal(dm.kind, "dm");
  assert.equal(dm.name, "bo");
  assert.equal(dm.unread, 1);
  assert.equal(dm.mention, true, "a private message always counts as a mention");
  assert.equal(alert?.key, dm.key);
  model.apply({ type: "dm", ts: 2, from: "ana", to: "BO", text: "yes?", kind: "say" });
  assert.equal(dm.lines.length, 2, "my answer goes to the same conversation");
  model.apply({ type: "nick", ts: 3, old: "bo", new: "bob", rooms: ["#lobby"] });
  assert.equal(dm.name, "bob");
  assert.equal(dm.key, dmKey("bob"));
  assert.deepEqual(model.find(roomKey("#lobby"))!.members, ["ana", "bob"]);
});

Deno.test("ChatModel: /history pages go before what is shown, without repeats, and say whether there is more", () => {
  const model = joined();
  const lobby = model.shown!;
  model.apply({
    type: "history",
    room: "#LOBBY",
    messages: [msg(0, "cy", "oldest"), msg(1, "bo", "earlier")],
    more: false,
  });
  assert.deepEqual(lobby.lines.map((l) => l.text), ["oldest", "earlier", "mine"]);
  assert.equal(lobby.more, false);
  assert.equal(model.oldestId(lobby.key), 0);
});

Deno.test("ChatModel: a line queued offline is replaced by its echo; the page hidden counts unseen lines for the title", () => {
  const model = joined();
  const lobby = model.shown!;
  model.addQueued(lobby.key, "typed offline");
  assert.equal(lobby.lines.at(-1)?.kind, "queued");
  model.apply(msg(7, "ana", "typed offline"));
  assert.deepEqual(lobby.lines.slice(-1).map((l) => [l.kind, l.own]), [["say", true]]);
  assert.equal(lobby.lines.filter((l) => l.kind === "queued").length, 0);
  model.setHidden(true);
  model.apply(msg(8, "bo", "one"));
  model.apply(msg(9, "bo", "two"));
  assert.equal(model.unseen, 2);
  assert.equal(lobby.unread, 2);
  model.setHidden(false);
  assert.equal(model.unseen, 0);
  assert.equal(lobby.unread, 0);
});

Deno.test("ChatModel: the connection's state follows the session's status, and a rejoin does not switch rooms", () => {
  const model = joined();
  model.apply({ type: "joined", room: "#dev", members: ["ana"], history: [] });
  model.show(roomKey("#lobby"));
  model.apply({ type: "status", state: "offline", message: "lost; retrying in 1 s" });
  assert.deepEqual(model.connection, { state: "offline", message: "lost; retrying in 1 s" });
  model.apply({ type: "status", state: "connected", message: "Reconnected" });
  model.apply({ type: "rejoined", room: "#dev", members: ["ana", "cy"], history: [] });
  assert.equal(model.connection.state, "connected");
  assert.equal(model.current, roomKey("#lobby"));
  assert.deepEqual(model.find(roomKey("#dev"))!.members, ["ana", "cy"]);
});

Deno.test("ChatModel: the help the page asked for itself feeds completion and is not shown", () => {
  const model = joined();
  const before = model.shown!.lines.length;
  model.helpAsked = true;
  model.apply({ type: "help", commands: [{ name: "join", usage: "/join <#room>", help: "Join" }] });
  assert.deepEqual(model.commands, [{ name: "join", usage: "/join <#room>", help: "Join" }]);
  assert.equal(model.shown!.lines.length, before);
  model.apply({ type: "help", commands: [{ name: "join", usage: "/join <#room>", help: "Join" }] });
  assert.equal(model.shown!.lines.length, before + 1, "a /help the user typed is shown");
  // The usage already names the command: it is not named twice.
  assert.match(JSON.stringify(model.shown!.lines.at(-1)), /\/join <#room> — Join/);
  assert.doesNotMatch(JSON.stringify(model.shown!.lines.at(-1)), /\/join \/join/);
});

Deno.test("mentions() finds the nick as a word in any case, not inside another word", () => {
  assert.ok(mentions("hi ana!", "ana"));
  assert.ok(mentions("ANA: look", "ana"));
  assert.ok(!mentions("banana", "ana"));
  assert.ok(!mentions("ana_b here", "ana"));
  assert.ok(mentions("ping a.b", "a.b"));
  assert.ok(!mentions("ping axb", "a.b"), "dots in a nick are not wildcards");
});

Deno.test("ChatModel: the topic of a room from the welcome and its changes; away members from events and /who", () => {
  const model = new ChatModel();
  model.apply({
    type: "welcome",
    protocol: 1,
    server: "office",
    nick: "ana",
    room: "#lobby",
    members: ["ana", "bo", "cy"],
    away: ["cy"],
    topic: { text: "be kind", by: "bo", ts: 1 },
    history: [],
  });
  const lobby = model.shown!;
  assert.equal(lobby.topic, "be kind");
  assert.deepEqual(lobby.away, ["cy"]);
  model.apply({ type: "topic", room: "#lobby", id: 3, ts: 2, nick: "bo", text: "ship it" });
  assert.equal(lobby.topic, "ship it");
  assert.equal(lobby.lines.at(-1)?.text, "bo set the topic: ship it");
  model.apply({ type: "away", ts: 3, nick: "bo", message: "lunch", rooms: ["#lobby"] });
  assert.deepEqual(lobby.away, ["bo", "cy"]);
  model.apply({ type: "away", ts: 4, nick: "cy", rooms: ["#lobby"] });
  assert.deepEqual(lobby.away, ["bo"]);
  model.apply({ type: "who", room: "#lobby", members: ["ana", "bo", "cy"], away: ["cy"] });
  assert.deepEqual(lobby.away, ["cy"]);
  assert.equal(lobby.lines.at(-1)?.text, "#lobby (3): ana, bo, cy (away)");
  // In a private conversation with an away member: the answer shows there.
  model.apply({ type: "dm", ts: 5, from: "ana", to: "cy", text: "hi", kind: "say" });
  model.apply({ type: "away", ts: 5, nick: "cy", message: "gone", rooms: [], dm: true });
  const dm = model.find(dmKey("cy"))!;
  assert.equal(dm.lines.at(-1)?.text, "cy is away: gone");
  model.apply({ type: "dm", ts: 6, from: "cy", to: "ana", text: "waves", kind: "action" });
  assert.deepEqual([dm.lines.at(-1)?.kind, dm.lines.at(-1)?.text], ["action", "waves"]);
});

Deno.test("ChatModel: a member's notice is a nick_notice line (never the server's notice), live, replayed and private", () => {
  const model = joined();
  const lobby = model.shown!;
  model.apply({ ...msg(3, "bo", "build green"), kind: "notice" });
  assert.deepEqual([lobby.lines.at(-1)?.kind, lobby.lines.at(-1)?.nick], ["nick_notice", "bo"]);
  model.apply({
    type: "joined",
    room: "#dev",
    members: ["ana"],
    history: [{ ...msg(1, "bo", "earlier", "#dev"), kind: "notice" }],
  });
  assert.equal(model.find(roomKey("#dev"))!.lines.at(-1)?.kind, "nick_notice");
  model.apply({ type: "dm", ts: 7, from: "bo", to: "ana", text: "ping", kind: "notice" });
  assert.equal(model.find(dmKey("bo"))!.lines.at(-1)?.kind, "nick_notice");
});
