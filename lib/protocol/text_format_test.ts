import assert from "node:assert/strict";
import type {
  AwayEvent,
  DirectEvent,
  JoinEvent,
  LeaveEvent,
  LeaveReason,
  MessageEvent,
  NickEvent,
} from "../core/events.ts";
import { formatEvent, formatTime } from "./text_format.ts";

// Local times, so the tests pass in any time zone.
const NOW = new Date(2024, 4, 17, 18, 30).getTime(); // May 17, 18:30
const TS = new Date(2024, 4, 17, 9, 5).getTime(); // same day, 09:05
const EARLIER = new Date(2024, 0, 3, 23, 59).getTime(); // Jan 03, 23:59

function message(overrides: Partial<MessageEvent> = {}): MessageEvent {
  return {
    type: "msg",
    room: "#lobby",
    id: 1,
    ts: TS,
    from: "ana",
    text: "hi",
    kind: "say",
    ...overrides,
  };
}

const here = { currentRoom: "#lobby", now: NOW };

Deno.test("formatTime() shows HH:MM for a time from today", () => {
  assert.equal(formatTime(TS, NOW), "09:05");
  assert.equal(formatTime(new Date(2024, 4, 17, 0, 0).getTime(), NOW), "00:00");
});

Deno.test("formatTime() puts the month and day in front of an older time", () => {
  assert.equal(formatTime(EARLIER, NOW), "Jan 03 23:59");
  assert.equal(formatTime(new Date(2024, 4, 16, 12, 0).getTime(), NOW), "May 16 12:00");
});

Deno.test("formatEvent() renders a message in the current room without a room prefix", () => {
  assert.deepEqual(formatEvent(message(), here), ["[09:05] <ana> hi"]);
});

Deno.test("formatEvent() prefixes a message from another room with the room", () => {
  assert.deepEqual(formatEvent(message({ room: "#dev" }), here), ["[09:05] #dev <ana> hi"]);
  assert.deepEqual(formatEvent(message(), { now: NOW }), ["[09:05] #lobby <ana> hi"]);
});

Deno.test("formatEvent() renders a /me action with an asterisk", () => {
  assert.deepEqual(formatEvent(message({ kind: "action", text: "waves" }), here), [
    "[09:05] * ana waves",
  ]);
});

Deno.test("formatEvent() marks a notice with the nick between dashes, in a room and in private", () => {
  assert.deepEqual(formatEvent(message({ kind: "notice", text: "build green" }), here), [
    "[09:05] -ana- build green",
  ]);
  assert.deepEqual(
    formatEvent({ type: "dm", ts: TS, from: "ana", to: "bo", text: "ping", kind: "notice" }, here),
    ["[09:05] [ana -> bo] -ana- ping"],
  );
});

Deno.test("formatEvent() indents the later lines of a multi-line message under its text", () => {
  assert.deepEqual(formatEvent(message({ text: "one\ntwo\nthree" }), here), [
    "[09:05] <ana> one",
    "              two",
    "              three",
  ]);
});

Deno.test("formatEvent() indents at most 40 columns, however long the head", () => {
  const from = "n".repeat(50);
  const lines = formatEvent(message({ from, text: "a\nb" }), here);
  assert.equal(lines[1], " ".repeat(40) + "b");
});

Deno.test("formatEvent() renders a join", () => {
  const event: JoinEvent = { type: "join", room: "#lobby", id: 2, ts: TS, nick: "bob" };
  assert.deepEqual(formatEvent(event, here), ["[09:05] -> bob joined #lobby"]);
  assert.deepEqual(formatEvent({ ...event, room: "#dev" }, here), [
    "[09:05] #dev -> bob joined #dev",
  ]);
});

Deno.test("formatEvent() renders a part with the room and the reason", () => {
  const event: LeaveEvent = {
    type: "leave",
    room: "#lobby",
    id: 3,
    ts: TS,
    nick: "bob",
    reason: "part",
    message: "lunch",
  };
  assert.deepEqual(formatEvent(event, here), ["[09:05] <- bob left #lobby: lunch"]);
  assert.deepEqual(formatEvent({ ...event, message: undefined }, here), [
    "[09:05] <- bob left #lobby",
  ]);
});

Deno.test("formatEvent() words every leave reason", () => {
  const words: Record<LeaveReason, string> = {
    part: "left #lobby",
    quit: "quit",
    timeout: "timed out",
    dropped: "was dropped",
    shutdown: "left: server shutting down",
    kicked: "was kicked",
  };
  for (const [reason, word] of Object.entries(words)) {
    const event: LeaveEvent = {
      type: "leave",
      room: "#lobby",
      id: 4,
      ts: TS,
      nick: "bob",
      reason: reason as LeaveReason,
    };
    assert.deepEqual(formatEvent(event, here), [`[09:05] <- bob ${word}`]);
  }
});

Deno.test("formatEvent() says a member removed by /ban was banned, and by whom", () => {
  const event: LeaveEvent = {
    type: "leave",
    room: "#lobby",
    id: 5,
    ts: TS,
    nick: "eve",
    reason: "kicked",
    code: "banned",
    message: "by opana: spamming",
  };
  assert.deepEqual(formatEvent(event, here), ["[09:05] <- eve was banned by opana: spamming"]);
  assert.deepEqual(formatEvent({ ...event, code: undefined }, here), [
    "[09:05] <- eve was kicked by opana: spamming",
  ]);
  assert.deepEqual(formatEvent({ ...event, message: undefined }, here), [
    "[09:05] <- eve was banned",
  ]);
});

Deno.test("formatEvent() renders a quit from another room with its message", () => {
  const event: LeaveEvent = {
    type: "leave",
    room: "#dev",
    id: 4,
    ts: TS,
    nick: "bob",
    reason: "quit",
    message: "bye all",
  };
  assert.deepEqual(formatEvent(event, here), ["[09:05] #dev <- bob quit: bye all"]);
});

Deno.test("formatEvent() renders a nick change", () => {
  const event: NickEvent = { type: "nick", ts: TS, old: "ana", new: "anna", rooms: ["#lobby"] };
  assert.deepEqual(formatEvent(event, here), ["[09:05] ana is now known as anna"]);
});

Deno.test("formatEvent() renders a private message with sender and recipient", () => {
  const event: DirectEvent = {
    type: "dm",
    ts: TS,
    from: "ana",
    to: "bob",
    text: "psst\nover here",
    kind: "say",
  };
  assert.deepEqual(formatEvent(event, here), [
    "[09:05] [ana -> bob] psst",
    "                     over here",
  ]);
  assert.deepEqual(formatEvent({ ...event, kind: "action", text: "nods" }, here), [
    "[09:05] [ana -> bob] * ana nods",
  ]);
});

Deno.test("formatEvent() renders a welcome with the motd, the room, its history and a hint", () => {
  const lines = formatEvent({
    type: "welcome",
    protocol: 1,
    server: "office",
    motd: "Be nice\nNo spam",
    nick: "bob",
    room: "#lobby",
    members: ["ana", "bob", "carol"],
    history: [message(), message({ id: 2, ts: EARLIER, kind: "action", text: "waves" })],
  }, here);
  assert.deepEqual(lines, [
    "Welcome to office, bob!",
    "motd: Be nice",
    "motd: No spam",
    "You are in #lobby (3 here: ana, bob, carol)",
    "[09:05] (history) <ana> hi",
    "[Jan 03 23:59] (history) * ana waves",
    "Type /help for the commands.",
  ]);
});

Deno.test("formatEvent() renders a welcome to an empty room", () => {
  const lines = formatEvent({
    type: "welcome",
    protocol: 1,
    server: "lanchat",
    nick: "ana",
    room: "#lobby",
    members: ["ana"],
    history: [],
  }, here);
  assert.deepEqual(lines, [
    "Welcome to lanchat, ana!",
    "You are in #lobby; no one else is here",
    "Type /help for the commands.",
  ]);
});

Deno.test("formatEvent() lists a room's first names and counts the rest, for a shared frozen list and for one that changes", () => {
  const names = Array.from({ length: 25 }, (_, i) => `n${i}`);
  const first20 = names.slice(0, 20).join(", ");
  const joined = (members: string[], memberCount: number) =>
    formatEvent({ type: "joined", room: "#big", members, memberCount, history: [] }, here)[0];
  // One frozen list shared by the snapshots of a crowd joining: the count follows each.
  const shared = Object.freeze([...names]) as string[];
  assert.equal(joined(shared, 30), `You are in #big (30 here: ${first20} and 10 more)`);
  assert.equal(joined(shared, 31), `You are in #big (31 here: ${first20} and 11 more)`);
  // Another frozen list (the first names changed) has its own names.
  const changed = Object.freeze(["zed", ...names.slice(1)]) as string[];
  assert.equal(
    joined(changed, 31),
    `You are in #big (31 here: ${["zed", ...names.slice(1, 20)].join(", ")} and 11 more)`,
  );
  // A list that is not frozen may change under the same identity: read each time.
  const open = ["ana", "bob"];
  assert.equal(joined(open, 2), "You are in #big (2 here: ana, bob)");
  open[1] = "carol";
  assert.equal(joined(open, 2), "You are in #big (2 here: ana, carol)");
});

Deno.test("formatEvent() renders joining a room with one other member", () => {
  const lines = formatEvent(
    { type: "joined", room: "#dev", members: ["ana", "bob"], history: [] },
    here,
  );
  assert.deepEqual(lines, ["You are in #dev (2 here: ana, bob)"]);
});

Deno.test("formatEvent() renders parted, who and rooms answers", () => {
  assert.deepEqual(formatEvent({ type: "parted", room: "#dev", current: "#lobby" }, here), [
    "You left #dev; you are now in #lobby",
  ]);
  assert.deepEqual(
    formatEvent({ type: "who", room: "#dev", members: ["ana", "bob"] }, here),
    ["#dev (2): ana, bob"],
  );
  assert.deepEqual(
    formatEvent({
      type: "rooms",
      rooms: [{ room: "#lobby", members: 3 }, { room: "#dev", members: 1 }],
    }, here),
    ["Rooms: #lobby (3), #dev (1)"],
  );
  assert.deepEqual(formatEvent({ type: "rooms", rooms: [] }, here), ["Rooms: none"]);
});

Deno.test("formatEvent() lines up the help column", () => {
  const lines = formatEvent({
    type: "help",
    commands: [
      { name: "nick", usage: "/nick <nick>", help: "Change your nick" },
      { name: "rooms", usage: "/rooms", help: "List the rooms" },
    ],
  }, here);
  assert.deepEqual(lines, [
    "/nick <nick>  Change your nick",
    "/rooms        List the rooms",
  ]);
});

Deno.test("formatEvent() keeps the help column narrow when one usage is very long", () => {
  const history = "/history [count] [before-id] | --before|--after|--around|--latest <ref> [count]";
  const lines = formatEvent({
    type: "help",
    commands: [
      { name: "nick", usage: "/nick <nick>", help: "Change your nick" },
      { name: "history", usage: history, help: "Show older messages" },
      { name: "rooms", usage: "/rooms", help: "List the rooms" },
    ],
  }, here);
  assert.deepEqual(lines, [
    "/nick <nick>  Change your nick",
    `${history}  Show older messages`,
    "/rooms        List the rooms",
  ]);
});

Deno.test("formatEvent() renders pong, error and bye", () => {
  assert.deepEqual(formatEvent({ type: "pong" }, here), ["pong"]);
  assert.deepEqual(formatEvent({ type: "pong", token: "t7" }, here), ["pong t7"]);
  assert.deepEqual(
    formatEvent({ type: "error", code: "bad_args", message: "Usage: /nick <nick>" }, here),
    ["! Usage: /nick <nick>"],
  );
  assert.deepEqual(
    formatEvent({ type: "bye", reason: "shutdown", message: "Server shutting down" }, here),
    ["* Server shutting down"],
  );
});

Deno.test("formatEvent: a kick reads as who kicked and why", () => {
  const ts = new Date(2026, 10, 24, 9, 5).getTime();
  const leave = {
    type: "leave",
    room: "#lobby",
    id: 3,
    ts,
    nick: "eve",
    reason: "kicked",
    message: "by mod: spam",
  } as const;
  assert.deepEqual(formatEvent(leave, { currentRoom: "#lobby", now: ts }), [
    "[09:05] <- eve was kicked by mod: spam",
  ]);
});

Deno.test("formatEvent: a history page points to the next page with the same count, or says it is the beginning", () => {
  const page = [7, 8, 9].map((id) => message({ id, text: `m${id}` }));
  const full = formatEvent({ type: "history", room: "#lobby", messages: page, more: true }, here);
  assert.deepEqual(full, [
    "[09:05] (history) <ana> m7",
    "[09:05] (history) <ana> m8",
    "[09:05] (history) <ana> m9",
    "-- older messages: /history 3 7 --",
  ]);
  const last = formatEvent({ type: "history", room: "#lobby", messages: page, more: false }, here);
  assert.equal(last.at(-1), "-- that is the beginning of #lobby --");
});

Deno.test("formatEvent() quotes the client name of /whois, so it cannot pass for more fields", () => {
  const line = formatEvent({
    type: "whois",
    nick: "eve",
    client: 'x", operator, from 10.0.0.1, "y',
    registered: false,
    operator: false,
    rooms: ["#lobby"],
  });
  assert.deepEqual(line, [
    'eve: no key, client "x\\", operator, from 10.0.0.1, \\"y", in #lobby',
  ]);
});

Deno.test("formatEvent() shows an operator the cluster node of a /whois", () => {
  const line = formatEvent({
    type: "whois",
    nick: "bob",
    client: "text",
    registered: false,
    operator: false,
    address: "10.0.0.4",
    node: "beta-1a2b3c4d",
    rooms: ["#lobby"],
  });
  assert.deepEqual(line, [
    'bob: no key, client "text", from 10.0.0.4, on node beta-1a2b3c4d, in #lobby',
  ]);
});

Deno.test("formatEvent() renders topics, away changes, away marks in /who, topics in /rooms and the private /me", () => {
  const topic = { type: "topic", room: "#lobby", id: 5, ts: TS, nick: "bo" } as const;
  assert.deepEqual(formatEvent({ ...topic, text: "ship it" }, here), [
    "[09:05] * bo set the topic of #lobby: ship it",
  ]);
  assert.deepEqual(formatEvent({ ...topic, room: "#dev", text: "" }, here), [
    "[09:05] #dev * bo cleared the topic of #dev",
  ]);
  assert.deepEqual(
    formatEvent({ type: "room_topic", room: "#dev", topic: { text: "t", by: "bo", ts: TS } }, here),
    ["Topic of #dev: t (set by bo 09:05)"],
  );
  assert.deepEqual(formatEvent({ type: "room_topic", room: "#dev" }, here), ["#dev has no topic"]);
  const away: AwayEvent = { type: "away", ts: TS, nick: "bo", rooms: ["#lobby"] };
  assert.deepEqual(formatEvent({ ...away, message: "lunch" }, here), [
    "[09:05] * bo is away: lunch",
  ]);
  assert.deepEqual(formatEvent(away, here), ["[09:05] * bo is back"]);
  assert.deepEqual(
    formatEvent({ type: "who", room: "#lobby", members: ["ana", "bo"], away: ["bo"] }, here),
    ["#lobby (2): ana, bo (away)"],
  );
  assert.deepEqual(
    formatEvent({
      type: "rooms",
      rooms: [{ room: "#lobby", members: 2, topic: "be kind" }, { room: "#dev", members: 1 }],
    }, here),
    ["Rooms:", "  #lobby (2): be kind", "  #dev (1)"],
  );
  assert.deepEqual(
    formatEvent({ type: "dm", ts: TS, from: "ana", to: "bo", text: "waves", kind: "action" }, here),
    ["[09:05] [ana -> bo] * ana waves"],
  );
  assert.deepEqual(
    formatEvent({
      type: "joined",
      room: "#dev",
      members: ["ana"],
      topic: { text: "the dev room", by: "bo", ts: TS },
      history: [],
    }, here),
    ["You are in #dev; no one else is here", "Topic: the dev room (set by bo)"],
  );
});
