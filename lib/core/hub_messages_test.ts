// Hub.input() of messages: routing, order, sanitising and length limits.

import assert from "node:assert/strict";
import {
  assertError,
  assertLobbyMessage,
  assertNothing,
  type Client,
  quiet,
  setup,
  texts,
} from "./_hub_harness.ts";

Deno.test("Hub.input() sends a message to everyone in the room, the sender included", () => {
  assertLobbyMessage("hello", "hello", "say");
});

Deno.test("Hub.input() does not echo a message to a member that asked for no echo", () => {
  const { connect } = setup();
  const ana = connect("ana", false);
  const bob = connect("bob");
  quiet(ana, bob);
  ana.input("hello");
  assertNothing(ana);
  assert.deepEqual(texts(bob), ["hello"]);
});

Deno.test("Hub.input() keeps a message inside its room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  quiet(ana, bob);
  ana.input("only for dev");
  assert.deepEqual(texts(ana), ["only for dev"]);
  assertNothing(bob);
});

Deno.test("Hub.input() sends to a named room the member is in", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  quiet(ana, bob);
  assert.equal(ana.input("back in the lobby", "#lobby"), true);
  assert.deepEqual(bob.sink.of("msg").map((e) => [e.room, e.text]), [[
    "#lobby",
    "back in the lobby",
  ]]);
  assert.equal(ana.member.current?.name, "#dev", "a named room does not change the current one");
});

Deno.test("Hub.input() refuses a message to a room the member is not in", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #secret");
  quiet(ana, bob);
  assert.equal(ana.input("hi", "#secret"), false);
  assertError(ana, "not_in_room", 'You are not in "#secret"; /join it first');
  assertNothing(bob);
});

Deno.test("Hub.input() sends '//text' as the literal message '/text'", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("//join is how you join"), true);
  assert.deepEqual(texts(bob), ["/join is how you join"]);
  assert.equal(ana.member.rooms.size, 1, "no command ran");
});

Deno.test("Hub.message() never treats its text as a command", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(hub.message(ana.member, "/quit"), true);
  assert.deepEqual(texts(ana), ["/quit"]);
  assert.deepEqual(ana.sink.ended, []);
});

Deno.test("Hub.input() gives message ids that increase by one per room", () => {
  const { connect } = setup();
  const ana = connect("ana"); // #lobby 1
  const bob = connect("bob"); // #lobby 2
  ana.input("/join #dev"); // #dev 1
  bob.input("/join #dev"); // #dev 2
  quiet(ana, bob);
  ana.input("a", "#lobby");
  ana.input("b", "#dev");
  bob.input("c", "#lobby");
  bob.input("d", "#dev");
  ana.input("e", "#dev");
  const ids = ana.sink.of("msg").map((e) => `${e.room}:${e.id}:${e.text}`);
  assert.deepEqual(ids, ["#lobby:3:a", "#dev:3:b", "#lobby:4:c", "#dev:4:d", "#dev:5:e"]);
});

Deno.test("Hub gives every member of a room the same events in the same order", () => {
  const { connect } = setup();
  const clients = ["ana", "bob", "carol", "dave"].map((nick) => connect(nick));
  quiet(...clients);
  for (let round = 0; round < 5; round++) {
    for (const client of clients) client.input(`${client.member.nick} ${round}`);
  }
  clients[3].input("/quit");
  clients[0].input("last");
  const seen = (client: Client) =>
    client.sink.events
      .filter((e) => e.type === "msg" || e.type === "leave")
      .map((e) => JSON.stringify(e));
  const reference = seen(clients[0]);
  assert.equal(reference.length, 22);
  assert.deepEqual(seen(clients[1]), reference);
  assert.deepEqual(seen(clients[2]), reference);
  const ids = clients[0].sink.events.flatMap((e) => "id" in e ? [e.id] : []);
  for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1] + 1);
});

Deno.test("Hub strips terminal escape sequences from a message before relaying it", () => {
  const { connect } = setup();
  const mallory = connect("mallory");
  const ana = connect("ana");
  quiet(mallory, ana);
  mallory.input("hi\x1b[2J\x1b[H there \x1b]0;pwned\x07\x1bc!");
  assert.deepEqual(texts(ana), ["hi there !"]);
});

Deno.test("Hub strips OSC 8 hyperlinks from a message, keeping the visible text", () => {
  const { connect } = setup();
  const mallory = connect("mallory");
  const ana = connect("ana");
  quiet(ana);
  mallory.input("see \x1b]8;;https://evil.example/\x1b\\the docs\x1b]8;;\x1b\\");
  assert.deepEqual(texts(ana), ["see the docs"]);
});

Deno.test("Hub strips bidi overrides and NUL from a message", () => {
  const { connect } = setup();
  const mallory = connect("mallory");
  const ana = connect("ana");
  quiet(ana);
  mallory.input("invoice\u202Efdp.exe\u202C\x00\u2066x\u2069");
  assert.deepEqual(texts(ana), ["invoicefdp.exex"]);
});

Deno.test("Hub sanitises a message before it enters the history", () => {
  const { connect } = setup();
  const mallory = connect("mallory");
  mallory.input("\x1b[31mred\x1b[0m");
  const welcome = connect("ana").sink.only();
  assert.equal(welcome.type === "welcome" && welcome.history[0].text, "red");
});

Deno.test("Hub sanitises private messages and /me actions too", () => {
  const { connect } = setup();
  const mallory = connect("mallory");
  const ana = connect("ana");
  quiet(ana);
  mallory.input("/me \x1b[2Jwaves\u202E");
  mallory.input("/msg ana \x1b]8;;http://x\x07psst\x00");
  assert.deepEqual(ana.sink.events.map((e) => "text" in e && e.text), ["waves", "psst"]);
});

Deno.test("Hub keeps line breaks of a multi-line message and drops blank edges", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("\n\r\nline one\r\nline two\n\n");
  assert.deepEqual(texts(ana), ["line one\nline two"]);
});

Deno.test("Hub drops a blank leading or trailing edge alone, and keeps blank lines inside", () => {
  const { connect } = setup();
  const ana = connect("ana");
  for (
    const [text, sent] of [
      ["\n\nfirst\nsecond", "first\nsecond"],
      ["first\nsecond\r\n\n", "first\nsecond"],
      ["first\n\n\nsecond", "first\n\n\nsecond"],
      [" \nfirst\n ", " \nfirst\n "],
    ]
  ) {
    quiet(ana);
    ana.input(text);
    assert.deepEqual(texts(ana), [sent], JSON.stringify(text));
  }
});

Deno.test("Hub refuses an empty message, only telling the sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  for (const text of ["", "   ", "\n\n", "\t", "\x1b[2J", "\u202E\x00"]) {
    quiet(ana, bob);
    assert.equal(ana.input(text), false, JSON.stringify(text));
    assertError(ana, "empty_message", "Message is empty");
    assertNothing(bob);
  }
});

Deno.test("Hub accepts a message of exactly maxMessageLength characters", () => {
  const { connect } = setup({ maxMessageLength: 10 });
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("😀".repeat(10)), true, "characters are code points, not UTF-16 units");
  assert.deepEqual(texts(ana), ["😀".repeat(10)]);
});

Deno.test("Hub refuses a message longer than maxMessageLength, only telling the sender", () => {
  const { connect } = setup({ maxMessageLength: 10 });
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("x".repeat(11)), false);
  assertError(ana, "message_too_long", "Message is 11 characters long; the limit is 10");
  assertNothing(bob);
  // Counted in code points however long in UTF-16 units.
  quiet(ana, bob);
  assert.equal(ana.input("😀".repeat(11)), false);
  assertError(ana, "message_too_long", "Message is 11 characters long; the limit is 10");
  assertNothing(bob);
});

Deno.test("Hub measures the length of a message after sanitising it", () => {
  const { connect } = setup({ maxMessageLength: 5 });
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("\x1b[31mhello\x1b[0m"), true);
  assert.deepEqual(texts(ana), ["hello"]);
});

Deno.test("Hub refuses a message with more than maxMessageLines lines", () => {
  const { connect } = setup({ maxMessageLines: 3 });
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("1\n2\n3"), true);
  quiet(ana, bob);
  assert.equal(ana.input("1\n2\n3\n4"), false);
  assertError(ana, "message_too_long", "Message has 4 lines; the limit is 3");
  assertNothing(bob);
});
