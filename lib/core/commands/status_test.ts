// /topic, /away, /back and /describe, through the hub.

import assert from "node:assert/strict";
import { Hub } from "../hub.ts";
import { MemoryStore } from "../state/history_store.ts";
import { assertError, assertNothing, quiet, setup, START } from "../_hub_harness.ts";
import { MAX_TOPIC_LENGTH } from "./status.ts";

Deno.test("/topic sets the current room's topic; the room sees it, in order, with who and when", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  const at = tick(1000);
  assert.equal(ana.input("/topic release on friday"), true);
  const event = { type: "topic", room: "#lobby", ts: at, nick: "ana", text: "release on friday" };
  assert.deepEqual(bob.sink.only(), { ...event, id: 3 });
  assert.deepEqual(ana.sink.only(), { ...event, id: 3 });
  quiet(ana, bob);
  bob.input("/topic");
  assert.deepEqual(bob.sink.only(), {
    type: "room_topic",
    room: "#lobby",
    topic: { text: "release on friday", by: "ana", ts: at },
  });
});

Deno.test("a joiner's welcome and joined snapshot carry the room's topic", () => {
  const { connect, hub } = setup();
  const ana = connect("ana");
  ana.input("/topic hello all");
  ana.input("/join #dev");
  ana.input("/topic #dev the dev room");
  const bob = connect("bob");
  const welcome = bob.sink.of("welcome")[0];
  assert.equal(welcome.topic?.text, "hello all");
  bob.input("/join #dev");
  const joined = bob.sink.of("joined")[0];
  assert.deepEqual(joined.topic, { text: "the dev room", by: "ana", ts: START });
  assert.equal(hub.room("#dev")?.topic?.text, "the dev room");
});

Deno.test("/topic --clear removes it; /topic #room shows another room's; a room without one says so", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  ana.input("/topic x");
  quiet(ana, bob);
  ana.input("/topic --clear");
  assert.equal(bob.sink.of("topic")[0].text, "");
  quiet(ana);
  ana.input("/topic");
  assert.deepEqual(ana.sink.only(), { type: "room_topic", room: "#lobby" });
  quiet(ana);
  ana.input("/topic #dev");
  assert.deepEqual(ana.sink.only(), { type: "room_topic", room: "#dev" });
  quiet(ana);
  ana.input("/topic --clear");
  assertError(ana, "bad_args", "#lobby has no topic");
  quiet(ana);
  ana.input("/topic --clear words");
  assertError(ana, "bad_args", "Give a topic or --clear, not both");
});

Deno.test("only members of a room (and operators) set its topic; a muted member cannot", () => {
  const { connect, hub } = setup({ operators: ["SHA256:op"] });
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  quiet(ana, bob);
  ana.input("/topic #dev mine now");
  assertError(ana, "not_in_room", "You are not in #dev; /join it to set its topic");
  assertNothing(bob);
  const op = hub.join({ nick: "boss", client: "t", fingerprint: "SHA256:op" }, {
    deliver() {},
    end() {},
  });
  hub.input(op, "/topic #dev set by an operator");
  assert.equal(bob.sink.of("topic")[0].text, "set by an operator");
  hub.input(op, "/mute ana 5");
  quiet(ana);
  ana.input("/topic shh");
  assert.equal(ana.sink.only().type, "error");
  assert.equal(hub.room("#lobby")?.topic, undefined);
});

Deno.test("a topic is cleaned to one line and refused past the limit, not cut", () => {
  const { connect, hub } = setup();
  const ana = connect("ana");
  quiet(ana);
  // A control in the first word, which names no room, is cleaned as in the rest of the text.
  ana.input("/topic a\x1b[2Jb");
  assert.equal(hub.room("#lobby")?.topic?.text, "ab");
  ana.input("/topic about a\x1b[2Jb \u202e c\nd");
  assert.equal(hub.room("#lobby")?.topic?.text, "about ab  c d");
  quiet(ana);
  ana.input(`/topic ${"x".repeat(MAX_TOPIC_LENGTH + 1)}`);
  assertError(ana, "message_too_long", `Topic is 301 characters long; the limit is 300`);
  assert.equal(hub.room("#lobby")?.topic?.text, "about ab  c d");
});

Deno.test("a topic is charged to the rate limit like a message", () => {
  const { connect } = setup({ rateLimit: { rate: 1, burst: 2, floodLimit: 10 } });
  const ana = connect("ana");
  quiet(ana);
  ana.input("/topic one");
  ana.input("/topic two");
  ana.input("/topic three");
  assert.equal(ana.sink.of("topic").length, 2);
  assert.equal(ana.sink.of("error")[0].code, "rate_limited");
});

Deno.test("a topic survives the room being forgotten and a new hub on the same store", () => {
  const store = new MemoryStore();
  const first = new Hub({ store });
  const sink = { deliver() {}, end() {} };
  const ana = first.join({ nick: "ana", client: "t" }, sink);
  first.input(ana, "/join #dev");
  first.input(ana, "/topic #dev kept");
  first.input(ana, "/part #dev");
  assert.equal(first.room("#dev"), undefined, "the empty room without history is forgotten");
  first.input(ana, "/topic #dev");
  first.input(ana, "/join #dev");
  assert.equal(first.room("#dev")?.topic?.text, "kept");
  const second = new Hub({ store });
  const events: unknown[] = [];
  const bo = second.join({ nick: "bo", client: "t" }, { deliver: (e) => events.push(e), end() {} });
  second.input(bo, "/join #dev");
  assert.equal(second.room("#dev")?.topic?.text, "kept");
});

Deno.test("/rooms lists topics beside member counts", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/topic welcome");
  quiet(ana);
  ana.input("/rooms");
  assert.deepEqual(ana.sink.only(), {
    type: "rooms",
    rooms: [{ room: "#lobby", members: 1, topic: "welcome" }],
  });
});

Deno.test("/away tells the member and everyone sharing a room once; /back and /away alone clear it", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const cy = connect("cy");
  ana.input("/join #dev");
  bob.input("/join #dev");
  cy.input("/join #ops");
  cy.input("/part #lobby");
  quiet(ana, bob, cy);
  const at = tick(5);
  ana.input("/away lunch");
  const away = { type: "away", ts: at, nick: "ana", message: "lunch" };
  assert.deepEqual(ana.sink.only(), { ...away, rooms: ["#lobby", "#dev"] });
  assert.deepEqual(bob.sink.only(), { ...away, rooms: ["#lobby", "#dev"] });
  assertNothing(cy);
  quiet(ana, bob);
  ana.input("/back");
  assert.deepEqual(bob.sink.only(), {
    type: "away",
    ts: at,
    nick: "ana",
    rooms: ["#lobby", "#dev"],
  });
  ana.input("/away gone");
  quiet(ana, bob);
  ana.input("/away");
  assert.equal(bob.sink.only().type, "away");
  assert.equal(ana.member.away, undefined);
  quiet(ana);
  ana.input("/back");
  assertError(ana, "bad_args", "You are not away");
});

Deno.test("/who and snapshots list away members; /whois shows the message", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/away on a call\x07");
  quiet(bob);
  bob.input("/who");
  assert.deepEqual(bob.sink.only(), {
    type: "who",
    room: "#lobby",
    members: ["ana", "bob"],
    away: ["ana"],
  });
  quiet(bob);
  bob.input("/whois ana");
  const whois = bob.sink.only();
  assert.equal(whois.type === "whois" && whois.away, "on a call");
  const cy = connect("cy");
  assert.deepEqual(cy.sink.of("welcome")[0].away, ["ana"]);
  ana.input("/join #dev");
  cy.input("/join #dev");
  assert.deepEqual(cy.sink.of("joined")[0].away, ["ana"]);
});

Deno.test("a private message to an away member answers the sender, every time", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/away lunch");
  quiet(ana, bob);
  bob.input("/msg ana are you there?");
  bob.input("/describe ana waves");
  const answers = bob.sink.of("away");
  assert.equal(answers.length, 2);
  assert.deepEqual(answers[0], {
    type: "away",
    ts: START,
    nick: "ana",
    message: "lunch",
    rooms: [],
    dm: true,
  });
  assert.equal(ana.sink.of("away").length, 0);
  quiet(ana, bob);
  ana.input("/msg bob back soon");
  assert.equal(ana.sink.of("away").length, 0, "bob is not away");
});

Deno.test("/describe is a private /me: a dm of kind action to both, nobody else", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const cy = connect("cy");
  quiet(ana, bob, cy);
  ana.input("/describe bob waves");
  const dm = { type: "dm", ts: START, from: "ana", to: "bob", text: "waves", kind: "action" };
  assert.deepEqual(bob.sink.only(), dm);
  assert.deepEqual(ana.sink.only(), dm);
  assertNothing(cy);
  quiet(ana);
  ana.input("/action nobody waves");
  assertError(ana, "no_such_nick");
});

Deno.test("away clears when the member leaves: a new member with that nick is not away", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/away brb");
  ana.input("/quit");
  const again = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  bob.input("/who");
  assert.deepEqual(bob.sink.only(), { type: "who", room: "#lobby", members: ["ana", "bob"] });
  assert.equal(again.member.away, undefined);
});

Deno.test("an away member joining a room is announced as away to its new room-mates after the join", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  ana.input("/away lunch");
  quiet(ana, bob);
  ana.input("/join #dev");
  assert.deepEqual(bob.sink.events.map((e) => e.type), ["join", "away"]);
  assert.deepEqual(bob.sink.of("away")[0], {
    type: "away",
    ts: START,
    nick: "ana",
    message: "lunch",
    rooms: ["#dev"],
  });
  assert.equal(ana.sink.of("away").length, 0);
});
