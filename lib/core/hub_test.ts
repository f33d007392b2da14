import assert from "node:assert/strict";
import { ChatError, NickError } from "./errors.ts";
import { helpOf, usageOf } from "./command_registry.ts";
import { COMMANDS } from "./commands.ts";
import type { ChatErrorCode as ErrorCode } from "./events.ts";
import { Hub, type HubOptions, LOBBY } from "./hub.ts";
import { MemoryStore } from "./state/history_store.ts";
import type { Member } from "./member.ts";
import { RecordingSink } from "./_recording_sink.ts";

const START = 1_700_000_000_000;

/** A connected member, its recorded events, and a way to type lines as it. */
interface Client {
  member: Member;
  sink: RecordingSink;
  input(line: string, room?: string): boolean | Promise<boolean>;
}

/** A hub with a clock the test controls, and a way to connect members. */
function setup(options: HubOptions = {}) {
  let time = START;
  const hub = new Hub({ now: () => time, ...options });
  return {
    hub,
    /** Moves the clock forward and returns the new time. */
    tick(ms = 1000): number {
      return time += ms;
    },
    connect(nick: string, echo?: boolean): Client {
      const sink = new RecordingSink();
      const member = hub.join({ nick, client: "test", echo }, sink);
      return { member, sink, input: (line, room) => hub.input(member, line, room) };
    },
  };
}

/** Forgets what the clients have been sent so far. */
function quiet(...clients: Client[]): void {
  for (const client of clients) client.sink.clear();
}

/** Asserts that `client` got exactly one event, an error with `code`. */
function assertError(client: Client, code: ErrorCode, message?: string | RegExp): void {
  const event = client.sink.only();
  assert.equal(event.type, "error");
  assert.equal(event.code, code);
  if (typeof message === "string") assert.equal(event.message, message);
  else if (message) assert.match(event.message, message);
}

function assertNothing(...clients: Client[]): void {
  for (const client of clients) {
    assert.deepEqual(client.sink.events, [], `${client.member.nick} should have been sent nothing`);
    assert.deepEqual(client.sink.ended, []);
  }
}

function texts(client: Client): string[] {
  return client.sink.of("msg").map((e) => e.text);
}

// ------------------------------------------------------------------ join

Deno.test("Hub.join() puts the member into #lobby and makes it the current room", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  assert.equal(LOBBY, "#lobby");
  assert.equal(ana.member.current?.name, "#lobby");
  assert.deepEqual([...ana.member.rooms.values()].map((r) => r.name), ["#lobby"]);
  assert.equal(hub.room("#lobby")?.members.has(ana.member), true);
  assert.equal(hub.size, 1);
  assert.equal(hub.member("ana"), ana.member);
  assert.equal(hub.member("ANA"), ana.member);
});

Deno.test("Hub.join() delivers a welcome with server, motd, nick, members and history", () => {
  const { connect, tick } = setup({ serverName: "office", motd: "Be nice" });
  const ana = connect("ana");
  const at = tick();
  ana.input("first!");
  const bob = connect("bob");
  assert.deepEqual(bob.sink.only(), {
    type: "welcome",
    protocol: 1,
    server: "office",
    motd: "Be nice",
    nick: "bob",
    rateLimit: { rate: 5, burst: 10 },
    room: "#lobby",
    members: ["ana", "bob"],
    memberCount: 2,
    history: [
      { type: "msg", room: "#lobby", id: 2, ts: at, from: "ana", text: "first!", kind: "say" },
    ],
  });
});

Deno.test("Hub.join() leaves motd out of the welcome when there is none", () => {
  const { connect } = setup({ motd: "" });
  const welcome = connect("ana").sink.only();
  assert.equal(welcome.type, "welcome");
  assert.equal("motd" in welcome, false);
  assert.equal(welcome.server, "lanchat");
});

Deno.test("Hub.join() tells the lobby, but not the joiner, with the clock's time", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  quiet(ana);
  const at = tick(5000);
  const bob = connect("bob");
  assert.deepEqual(ana.sink.only(), { type: "join", room: "#lobby", id: 2, ts: at, nick: "bob" });
  assert.deepEqual(bob.sink.of("join"), []);
});

Deno.test("Hub.join() normalises the nick to NFC", () => {
  const { hub, connect } = setup();
  const jose = connect("  Jose\u0301 ");
  assert.equal(jose.member.nick, "Jos\u00e9");
  const welcome = jose.sink.only();
  assert.equal(welcome.type === "welcome" && welcome.nick, "Jos\u00e9");
  assert.equal(hub.member("jos\u00e9"), jose.member);
});

Deno.test("Hub.join() rejects an invalid nick and admits no one", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.throws(
    () => connect("bad nick"),
    (error: unknown) => error instanceof NickError && error.code === "bad_nick",
  );
  assert.throws(() => connect("admin"), NickError);
  assert.equal(hub.size, 1);
  assertNothing(ana);
});

Deno.test("Hub.join() rejects a nick already in use, with a suggestion", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  const sink = new RecordingSink();
  assert.throws(
    () => hub.join({ nick: "ana", client: "test" }, sink),
    (error: unknown) => {
      assert.ok(error instanceof NickError);
      assert.equal(error.code, "nick_taken");
      assert.equal(error.suggestion, "ana_");
      assert.equal(error.message, 'Nick "ana" is taken; try "ana_"');
      return true;
    },
  );
  assert.deepEqual(sink.events, [], "a refused member is sent nothing");
  assertNothing(ana);
  assert.equal(hub.size, 1);
});

Deno.test("Hub.join() suggests a nick that is actually free", () => {
  const { connect } = setup();
  connect("ana");
  connect("ana_");
  connect("ANA2");
  assert.throws(
    () => connect("Ana"),
    (error: unknown) => error instanceof NickError && error.suggestion === "Ana3",
  );
});

Deno.test("Hub.join() treats nicks that differ only in case as the same", () => {
  const { connect } = setup();
  connect("Ana");
  for (const nick of ["ana", "ANA", "aNa"]) {
    assert.throws(
      () => connect(nick),
      (e: unknown) => e instanceof NickError && e.code === "nick_taken",
    );
  }
});

Deno.test("Hub.join() treats NFC-equivalent nicks as the same and refuses full-width forms", () => {
  const { connect } = setup();
  connect("ana");
  connect("fiona");
  connect("Jos\u00e9");
  assert.throws(
    () => connect("jose\u0301"),
    (e: unknown) => e instanceof NickError && e.code === "nick_taken",
  );
  // Compatibility forms are outside the identifier profile: refused whoever is online.
  for (const nick of ["ａｎａ", "ＡＮＡ", "ﬁona"]) {
    assert.throws(
      () => connect(nick),
      (e: unknown) =>
        e instanceof NickError && e.code === "bad_nick" &&
        /a compatibility form of/.test(e.message),
      nick,
    );
  }
});

Deno.test("Hub.join() refuses with server_full once maxClients are connected", () => {
  const { hub, connect } = setup({ maxClients: 2 });
  const ana = connect("ana");
  connect("bob");
  quiet(ana);
  assert.throws(
    () => connect("carol"),
    (error: unknown) => {
      assert.ok(error instanceof ChatError);
      assert.equal(error.code, "server_full");
      assert.equal(error.message, "Server is full (2 clients)");
      return true;
    },
  );
  assert.equal(hub.size, 2);
  assert.equal(hub.member("carol"), undefined);
  assertNothing(ana);
});

Deno.test("Hub.join() admits again once a member of a full server leaves", () => {
  const { hub, connect } = setup({ maxClients: 1 });
  const ana = connect("ana");
  assert.throws(() => connect("bob"), ChatError);
  hub.leave(ana.member, "quit");
  assert.equal(connect("bob").member.current?.name, "#lobby");
});

Deno.test("Hub.join() gives every member a distinct id, never reused", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  hub.leave(ana.member, "quit");
  const again = connect("ana");
  const bob = connect("bob");
  assert.equal(new Set([ana.member.id, again.member.id, bob.member.id]).size, 3);
});

// ------------------------------------------------------------------ messages

Deno.test("Hub.input() sends a message to everyone in the room, the sender included", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  const at = tick();
  assert.equal(ana.input("hello"), true);
  const expected = {
    type: "msg",
    room: "#lobby",
    id: 3,
    ts: at,
    from: "ana",
    text: "hello",
    kind: "say",
  };
  assert.deepEqual(ana.sink.only(), expected);
  assert.deepEqual(bob.sink.only(), expected);
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

Deno.test("Hub keeps only the last historySize messages of a room", () => {
  const { connect } = setup({ historySize: 3 });
  const ana = connect("ana");
  for (let i = 1; i <= 5; i++) ana.input(`message ${i}`);
  const bob = connect("bob");
  const welcome = bob.sink.only();
  assert.equal(welcome.type, "welcome");
  assert.deepEqual(welcome.history.map((m) => m.text), ["message 3", "message 4", "message 5"]);
});

Deno.test("Hub bounds the replay history of all rooms by bytes, oldest messages of all first; /history still pages from the store", async () => {
  const text = "漢".repeat(3990); // with "1.01 " and "ana": 2 x 3998 + 128 = 8,124 bytes counted
  const store = new MemoryStore(10_000, 1024 * 1024 * 1024);
  const { connect, hub } = setup({
    rateLimit: false,
    historyMemoryBytes: 20 * 8124,
    store,
  });
  const ana = connect("ana");
  for (let r = 1; r <= 5; r++) {
    ana.input(`/join #r${r}`);
    for (let i = 1; i <= 10; i++) ana.input(`${r}.${String(i).padStart(2, "0")} ${text}`);
  }
  assert.equal(hub.historyMemory.usedBytes, 20 * 8124);
  assert.equal(hub.historyMemory.evicted, 30);
  const replay = (room: string) => {
    const bob = connect(`bob${room.slice(1)}`);
    bob.input(`/join ${room}`);
    const joined = bob.sink.of("joined")[0];
    return joined.history.map((m) => m.text.split(" ")[0]);
  };
  assert.deepEqual(replay("#r1"), [], "the oldest room's replay went first");
  assert.deepEqual(replay("#r3"), [], "then the next oldest");
  assert.equal(replay("#r4").length, 10, "the newest 20 messages are kept");
  assert.deepEqual(
    replay("#r5"),
    Array.from({ length: 10 }, (_, i) => `5.${String(i + 1).padStart(2, "0")}`),
  );
  const carol = connect("carol");
  carol.input("/join #r1");
  await carol.input("/history 5");
  const page = carol.sink.of("history")[0];
  assert.deepEqual(page.messages.map((m) => m.text.split(" ")[0]), [
    "1.06",
    "1.07",
    "1.08",
    "1.09",
    "1.10",
  ]);
});

Deno.test("Hub keeps no history with historySize 0", () => {
  const { connect } = setup({ historySize: 0 });
  const ana = connect("ana");
  ana.input("gone");
  const welcome = connect("bob").sink.only();
  assert.equal(welcome.type === "welcome" && welcome.history.length, 0);
});

Deno.test("Hub history holds messages only, not joins or leaves", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("hi");
  bob.input("/quit");
  const welcome = connect("carol").sink.only();
  assert.equal(welcome.type, "welcome");
  assert.deepEqual(welcome.history.map((m) => [m.type, m.text]), [["msg", "hi"]]);
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

// ------------------------------------------------------------------ commands

Deno.test("/nick renames the member and tells it and the members it shares a room with", () => {
  const { hub, connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  const at = tick();
  assert.equal(ana.input("/nick anna"), true);
  const expected = { type: "nick", ts: at, old: "ana", new: "anna", rooms: ["#lobby"] };
  assert.deepEqual(ana.sink.only(), expected);
  assert.deepEqual(bob.sink.only(), expected);
  assert.equal(ana.member.nick, "anna");
  assert.equal(hub.member("anna"), ana.member);
  assert.equal(hub.member("ana"), undefined);
});

Deno.test("/nick does not tell members who share no room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const carol = connect("carol");
  carol.input("/join #elsewhere");
  carol.input("/part #lobby");
  quiet(ana, carol);
  ana.input("/nick anna");
  assertNothing(carol);
});

Deno.test("/nick sends one event per peer listing all the rooms they share", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const carol = connect("carol");
  ana.input("/join #dev");
  bob.input("/join #dev");
  quiet(ana, bob, carol);
  ana.input("/nick anna");
  const toBob = bob.sink.only();
  assert.equal(toBob.type, "nick");
  assert.deepEqual(toBob.rooms, ["#lobby", "#dev"]);
  const toCarol = carol.sink.only();
  assert.equal(toCarol.type === "nick" && toCarol.rooms.join(), "#lobby");
});

Deno.test("/nick shows the new nick on later messages and frees the old one", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/nick anna");
  quiet(ana);
  ana.input("hi");
  assert.deepEqual(ana.sink.of("msg").map((e) => e.from), ["anna"]);
  const newcomer = connect("ana");
  assert.equal(newcomer.member.nick, "ana");
});

Deno.test("/nick refuses a nick in use, with a suggestion, only telling the sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/nick BOB"), false);
  assertError(ana, "nick_taken", 'Nick "BOB" is taken; try "BOB_"');
  assertNothing(bob);
  assert.equal(ana.member.nick, "ana");
});

Deno.test("/nick refuses an equivalent of a nick in use, and a full-width form", () => {
  const { connect } = setup();
  const ana = connect("ana");
  connect("bob");
  quiet(ana);
  ana.input("/nick BOB");
  assertError(ana, "nick_taken");
  quiet(ana);
  ana.input("/nick ｂｏｂ");
  assertError(ana, "bad_nick", /a compatibility form of "b"/);
});

Deno.test("/nick refuses an invalid nick with bad_nick", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/nick root");
  assertError(ana, "bad_nick", /reserved/);
  quiet(ana);
  ana.input("/nick -dash");
  assertError(ana, "bad_nick");
  assert.equal(ana.member.nick, "ana");
});

Deno.test("/nick lets a member change the case of its own nick", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/nick Ana"), true);
  const event = ana.sink.only();
  assert.equal(event.type === "nick" && `${event.old}->${event.new}`, "ana->Ana");
  assert.equal(hub.member("ana")?.nick, "Ana");
});

Deno.test("/nick to the same nick answers only the sender with an error", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/nick ana"), false);
  assertError(ana, "bad_args", 'You are already "ana"');
  assertNothing(bob);
});

Deno.test("/msg reaches only the recipient and the sender", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const carol = connect("carol");
  quiet(ana, bob, carol);
  const at = tick();
  assert.equal(ana.input("/msg Bob meet me   at noon"), true);
  const expected = {
    type: "dm",
    ts: at,
    from: "ana",
    to: "bob",
    text: "meet me   at noon",
    kind: "say",
  };
  assert.deepEqual(bob.sink.only(), expected);
  assert.deepEqual(ana.sink.only(), expected);
  assertNothing(carol);
});

Deno.test("/msg is not kept in any room's history", () => {
  const { connect } = setup();
  const ana = connect("ana");
  connect("bob");
  ana.input("/msg bob secret");
  const welcome = connect("carol").sink.only();
  assert.equal(welcome.type === "welcome" && welcome.history.length, 0);
});

Deno.test("/msg reaches a member who shares no room with the sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #far");
  bob.input("/part #lobby");
  quiet(bob);
  ana.input("/msg bob hello over there");
  assert.deepEqual(bob.sink.of("dm").map((e) => e.text), ["hello over there"]);
});

Deno.test("/msg to oneself is delivered once", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/msg ana note to self");
  assert.equal(ana.sink.only().type, "dm");
});

Deno.test("/msg works through its /dm and /query aliases", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  ana.input("/dm bob one");
  ana.input("/QUERY bob two");
  assert.deepEqual(bob.sink.of("dm").map((e) => e.text), ["one", "two"]);
});

Deno.test("/msg to an unknown nick fails with no_such_nick", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/msg zed hi"), false);
  assertError(ana, "no_such_nick", 'No one called "zed" is here');
  assertNothing(bob);
});

Deno.test("/msg to a member who has left fails with no_such_nick", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  hub.leave(bob.member, "dropped");
  quiet(ana, bob);
  ana.input("/msg bob are you there?");
  assertError(ana, "no_such_nick");
  assertNothing(bob);
});

Deno.test("/me sends an action to the current room", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  const at = tick();
  assert.equal(ana.input("/me waves  at everyone"), true);
  assert.deepEqual(bob.sink.only(), {
    type: "msg",
    room: "#lobby",
    id: 3,
    ts: at,
    from: "ana",
    text: "waves  at everyone",
    kind: "action",
  });
});

Deno.test("/me in a named room acts there", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/join #dev");
  quiet(ana);
  ana.input("/me nods", "#lobby");
  const event = ana.sink.only();
  assert.equal(event.type === "msg" && `${event.room} ${event.kind}`, "#lobby action");
});

Deno.test("/who lists the members of the current room, sorted", () => {
  const { connect } = setup();
  const carol = connect("carol");
  connect("ana");
  connect("Bob");
  quiet(carol);
  assert.equal(carol.input("/who"), true);
  assert.deepEqual(carol.sink.only(), {
    type: "who",
    room: "#lobby",
    members: ["ana", "Bob", "carol"],
  });
});

Deno.test("/who lists another room by name, with or without '#'", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  quiet(ana);
  ana.input("/who #dev");
  ana.input("/names DEV");
  assert.deepEqual(ana.sink.events, [
    { type: "who", room: "#dev", members: ["bob"] },
    { type: "who", room: "#dev", members: ["bob"] },
  ]);
});

Deno.test("/who of a room that does not exist fails with bad_room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/who #nowhere");
  assertError(ana, "bad_room", 'There is no room "#nowhere"');
});

Deno.test("/join creates a room and answers with a joined snapshot", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/join #dev"), true);
  assert.deepEqual(ana.sink.only(), {
    type: "joined",
    room: "#dev",
    members: ["ana"],
    memberCount: 1,
    history: [],
  });
  assert.equal(ana.member.current?.name, "#dev");
  assert.deepEqual([...ana.member.rooms.values()].map((r) => r.name), ["#lobby", "#dev"]);
  assert.ok(hub.room("#dev"));
});

Deno.test("/join adds the '#' when it is left out", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/join dev");
  const event = ana.sink.only();
  assert.equal(event.type === "joined" && event.room, "#dev");
});

Deno.test("/join replays the room's history and tells its members", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  ana.input("one");
  ana.input("/me two");
  quiet(ana, bob);
  const at = tick();
  bob.input("/join #dev");
  const joined = bob.sink.only();
  assert.equal(joined.type, "joined");
  assert.deepEqual(joined.members, ["ana", "bob"]);
  assert.deepEqual(joined.history.map((m) => `${m.id} ${m.kind} ${m.text}`), [
    "2 say one",
    "3 action two",
  ]);
  assert.deepEqual(ana.sink.only(), { type: "join", room: "#dev", id: 4, ts: at, nick: "bob" });
});

Deno.test("/join finds a room regardless of case and keeps its first spelling", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #Dev");
  quiet(ana, bob);
  bob.input("/join #DEV");
  const joined = bob.sink.only();
  assert.equal(joined.type === "joined" && joined.room, "#Dev");
  assert.equal(ana.sink.of("join").length, 1);
});

Deno.test("/join of a room the member is already in only switches to it", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  quiet(ana, bob);
  assert.equal(ana.input("/join #lobby"), true);
  assert.equal(ana.member.current?.name, "#lobby");
  assert.equal(ana.sink.only().type, "joined");
  assertNothing(bob);
  assert.equal(ana.member.rooms.size, 2);
});

Deno.test("/join refuses an invalid room name with bad_room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  for (const name of ["#", "##", "#bad!", "#a/b", "#" + "x".repeat(33)]) {
    quiet(ana, bob);
    assert.equal(ana.input(`/join ${name}`), false, name);
    assertError(ana, "bad_room", /^Room name ".*" must be "#" and 1 to 32 letters/);
    assertNothing(bob);
  }
  assert.equal(ana.member.rooms.size, 1);
});

Deno.test("/join accepts a room name of 32 letters, digits, '_', '-' and '.'", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const name = "#" + "Ab1_-.".repeat(5) + "zé";
  assert.equal([...name].length, 33);
  assert.equal(ana.input(`/join ${name}`), true);
  assert.equal(ana.member.current?.name, name);
});

Deno.test("/join quotes an invalid room name safely in its error", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/join #\x1b[2Jx");
  const error = ana.sink.only();
  assert.equal(error.type, "error");
  assert.equal(error.code, "bad_room");
  assert.ok(!error.message.includes("\x1b"), error.message);
});

Deno.test("/part refuses to leave the member's only room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/part"), false);
  assertError(ana, "bad_args", "#lobby is your only room; /join another before leaving it");
  assertNothing(bob);
  assert.equal(ana.member.current?.name, "#lobby");
});

Deno.test("/part leaves the current room, tells it, and falls back to the last joined room", () => {
  const { connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #a");
  ana.input("/join #b");
  bob.input("/join #b");
  ana.input("/join #b"); // current again
  quiet(ana, bob);
  const at = tick();
  assert.equal(ana.input("/part"), true);
  assert.deepEqual(ana.sink.only(), { type: "parted", room: "#b", current: "#a" });
  assert.deepEqual(bob.sink.of("leave"), [
    { type: "leave", room: "#b", id: 3, ts: at, nick: "ana", reason: "part" },
  ]);
  assert.equal(ana.member.current?.name, "#a");
});

Deno.test("/part #room leaves that room with a reason", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  quiet(ana, bob);
  ana.input("/part #lobby off to work  now");
  const leave = bob.sink.only();
  assert.equal(leave.type, "leave");
  assert.equal(leave.reason, "part");
  assert.equal(leave.message, "off to work  now");
  assert.deepEqual(ana.sink.only(), { type: "parted", room: "#lobby", current: "#dev" });
});

Deno.test("/part without a room name takes its words as the reason", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  ana.input("/join #dev");
  quiet(ana, bob);
  ana.input("/part bye all");
  const leave = bob.sink.of("leave")[0];
  assert.equal(leave.room, "#dev");
  assert.equal(leave.message, "bye all");
});

Deno.test("/part sanitises its reason", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/join #dev");
  quiet(bob);
  ana.input("/part #lobby \x1b]0;pwned\x07bye\u202E");
  assert.equal(bob.sink.of("leave")[0].message, "bye");
});

Deno.test("/part of a room the member is not in fails with not_in_room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/join #dev");
  quiet(ana);
  ana.input("/part #elsewhere");
  assertError(ana, "not_in_room", "You are not in #elsewhere");
});

Deno.test("/part forgets an empty room that has no history", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  ana.input("/join #quiet");
  ana.input("/part #quiet");
  assert.equal(hub.room("#quiet"), undefined);
});

Deno.test("/part keeps an empty room that has history, for the next joiner", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  ana.input("/join #notes");
  ana.input("remember this");
  ana.input("/part #notes");
  assert.ok(hub.room("#notes"));
  const bob = connect("bob");
  quiet(bob);
  bob.input("/join #notes");
  const joined = bob.sink.only();
  assert.deepEqual(joined.type === "joined" && joined.history.map((m) => m.text), [
    "remember this",
  ]);
});

Deno.test("/rooms lists every room with its member count, fullest first", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  connect("carol");
  ana.input("/join #zeta");
  bob.input("/join #zeta");
  ana.input("/join #alpha");
  bob.input("/join #beta");
  quiet(ana);
  assert.equal(ana.input("/rooms"), true);
  assert.deepEqual(ana.sink.only(), {
    type: "rooms",
    rooms: [
      { room: "#lobby", members: 3 },
      { room: "#zeta", members: 2 },
      { room: "#alpha", members: 1 },
      { room: "#beta", members: 1 },
    ],
  });
});

Deno.test("/help lists every command a member may run, in table order, with its usage", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/help"), true);
  assert.deepEqual(ana.sink.only(), {
    type: "help",
    commands: COMMANDS.filter((c) => !c.op).map((c) => ({
      name: c.name,
      usage: usageOf(c),
      help: helpOf(c),
    })),
  });
  const help = ana.sink.only();
  assert.equal(help.type === "help" && help.commands.length, 13);
});

Deno.test("/help explains one command, found by name or alias, with or without '/'", () => {
  const { connect } = setup();
  const ana = connect("ana");
  for (const name of ["msg", "/msg", "dm", "MSG"]) {
    quiet(ana);
    ana.input(`/help ${name}`);
    const help = ana.sink.only();
    assert.equal(help.type, "help");
    assert.deepEqual(help.commands.map((c) => c.usage), ["/msg <nick> <text>"], name);
  }
});

Deno.test("/help of a command names its aliases, for every command that has some", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/help msg");
  const msg = ana.sink.only();
  assert.equal(
    msg.type === "help" && msg.commands[0].help,
    "Send a private message that only you and <nick> see (also /dm, /query)",
  );
  const withAliases = COMMANDS.filter((c) => c.aliases?.length);
  assert.ok(withAliases.length >= 5);
  for (const command of withAliases) {
    quiet(ana);
    ana.input(`/help ${command.aliases!.at(-1)}`);
    const help = ana.sink.only();
    const text = help.type === "help" ? help.commands[0].help : "";
    for (const alias of command.aliases!) {
      assert.ok(text.includes(`/${alias}`), `${alias}: ${text}`);
    }
  }
});

Deno.test("/help of an unknown command fails with unknown_command", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/help fly");
  assertError(ana, "unknown_command", 'Unknown command "fly"');
});

Deno.test("/quit says bye through sink.end and tells every room with the reason", () => {
  const { hub, connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const carol = connect("carol");
  ana.input("/join #dev");
  carol.input("/join #dev");
  quiet(ana, bob, carol);
  const at = tick();
  assert.equal(ana.input("/quit see you  tomorrow"), true);
  assert.deepEqual(ana.sink.ended, [{ type: "bye", reason: "quit", message: "Goodbye" }]);
  assert.deepEqual(bob.sink.only(), {
    type: "leave",
    room: "#lobby",
    id: 4,
    ts: at,
    nick: "ana",
    reason: "quit",
    message: "see you  tomorrow",
  });
  assert.deepEqual(carol.sink.events.map((e) => e.type === "leave" && [e.room, e.reason]), [
    ["#lobby", "quit"],
    ["#dev", "quit"],
  ]);
  assert.equal(hub.size, 2);
  assert.equal(hub.member("ana"), undefined);
  assert.equal(ana.member.gone, true);
});

Deno.test("/quit without a reason sends a leave without a message", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  ana.input("/exit");
  const leave = bob.sink.only();
  assert.equal(leave.type, "leave");
  assert.equal("message" in leave, false);
  assert.equal(ana.sink.ended.length, 1);
});

Deno.test("/quit sanitises and shortens its reason", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  ana.input("/quit \x1b[2J" + "z".repeat(300) + "\nmore");
  const leave = bob.sink.only();
  assert.equal(leave.type === "leave" && leave.message, "z".repeat(200));
});

Deno.test("Hub ignores input from a member who has quit", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("/quit");
  quiet(ana, bob);
  assert.equal(ana.input("still here?"), false);
  assert.equal(ana.input("/rooms"), false);
  assert.deepEqual(ana.sink.events, []);
  assertNothing(bob);
});

Deno.test("An unknown command answers only its sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/frobnicate the widgets"), false);
  assertError(ana, "unknown_command", 'Unknown command "/frobnicate"; type /help for a list');
  assertNothing(bob);
});

Deno.test("A lone '/' is an error naming the missing command", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/"), false);
  assertError(ana, "unknown_command", 'Missing command name after "/"');
});

Deno.test("Command names are case-insensitive", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/ROOMS"), true);
  assert.equal(ana.sink.only().type, "rooms");
});

Deno.test("Malformed arguments answer 'Usage: ...' only to the sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const cases: [string, string][] = [
    ["/nick", "Usage: /nick <nick>"],
    ["/nick two words", "Usage: /nick <nick>"],
    ["/msg bob", "Usage: /msg <nick> <text>"],
    ["/msg", "Usage: /msg <nick> <text>"],
    ["/me", "Usage: /me <action>"],
    ["/me    ", "Usage: /me <action>"],
    ["/join", "Usage: /join <#room>"],
    ["/rooms please", "Usage: /rooms"],
    ["/who #a #b", "Usage: /who [#room]"],
    ["/help a b", "Usage: /help [command]"],
  ];
  for (const [line, usage] of cases) {
    quiet(ana, bob);
    assert.equal(ana.input(line), false, line);
    assertError(ana, "bad_args", usage);
    assertNothing(bob);
  }
  assert.equal(ana.member.nick, "ana");
  assert.equal(ana.member.rooms.size, 1);
});

Deno.test("Hub.command() runs a command given by name and argument string", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(hub.command(ana.member, "join", "#dev"), true);
  assert.equal(ana.member.current?.name, "#dev");
});

// ------------------------------------------------------------------ leaving

Deno.test("Hub.leave() tells each room of the member why it left", () => {
  const { hub, connect, tick } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(bob);
  const at = tick();
  hub.leave(ana.member, "timeout", "No ping in 60 s");
  assert.deepEqual(bob.sink.only(), {
    type: "leave",
    room: "#lobby",
    id: 3,
    ts: at,
    nick: "ana",
    reason: "timeout",
    message: "No ping in 60 s",
  });
  assert.deepEqual(ana.sink.ended, [], "leave() does not end the connection itself");
  assert.equal(ana.member.current, undefined);
  assert.equal(ana.member.rooms.size, 0);
});

Deno.test("Hub.leave() is idempotent", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  hub.leave(ana.member, "dropped");
  quiet(ana, bob);
  hub.leave(ana.member, "dropped");
  hub.leave(ana.member, "quit", "again");
  assertNothing(ana, bob);
  assert.equal(hub.size, 1);
});

Deno.test("Hub.leave() of a stale member does not remove the new holder of its nick", () => {
  const { hub, connect } = setup();
  const old = connect("ana");
  hub.leave(old.member, "dropped");
  const fresh = connect("ana");
  hub.leave(old.member, "dropped");
  assert.equal(hub.member("ana"), fresh.member);
  assert.equal(hub.size, 1);
});

Deno.test("Hub.leave() frees the nick for someone else", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  hub.leave(ana.member, "quit");
  assert.equal(hub.member("ana"), undefined);
  assert.equal(connect("ANA").member.nick, "ANA");
});

Deno.test("Hub.shutdown() ends everyone with a bye", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  bob.input("/join #dev");
  quiet(ana, bob);
  hub.shutdown();
  for (const client of [ana, bob]) {
    assert.deepEqual(client.sink.ended, [
      { type: "bye", reason: "shutdown", message: "Server shutting down" },
    ]);
    assert.deepEqual(client.sink.events, [], "no leave events while everyone goes");
    assert.equal(client.member.gone, true);
  }
  assert.equal(hub.size, 0);
  assert.equal(hub.room("#lobby"), undefined);
  assert.equal(hub.room("#dev"), undefined);
});

Deno.test("Hub.shutdown() passes on its message", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  hub.shutdown("Back in 5 minutes");
  assert.deepEqual(ana.sink.ended, [{
    type: "bye",
    reason: "shutdown",
    message: "Back in 5 minutes",
  }]);
});

Deno.test("Hub ignores members after shutdown() and leave() on them does nothing", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  hub.shutdown();
  quiet(ana, bob);
  assert.equal(ana.input("hello?"), false);
  hub.leave(ana.member, "dropped");
  hub.leave(bob.member, "dropped");
  for (const client of [ana, bob]) {
    assert.deepEqual(client.sink.events, []);
    assert.equal(client.sink.ended.length, 1, "only the one bye from shutdown()");
  }
});

Deno.test("/part of another room keeps the current room", () => {
  const { connect } = setup();
  const ana = connect("ana");
  ana.input("/join #a");
  ana.input("/join #b");
  ana.input("/join #a");
  quiet(ana);
  assert.equal(ana.input("/part #lobby"), true);
  const parted = ana.sink.only();
  assert.equal(parted.type === "parted" && parted.current, "#a");
  assert.equal(ana.member.current?.name, "#a");
});

Deno.test("errors that quote user input never carry escape sequences", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const hostile = "x\x1b[2J\x1b]0;pwned\x07y";
  for (
    const line of [
      `/nick ${hostile}`,
      `/msg ${hostile} hi`,
      `/${hostile}`,
      `/help ${hostile}`,
      `/who #${hostile}`,
    ]
  ) {
    quiet(ana);
    assert.equal(ana.input(line), false, line);
    const event = ana.sink.only();
    assert.equal(event.type, "error");
    assert.doesNotMatch(JSON.stringify(event), /\\u001b|\\u0007/, line);
  }
});

Deno.test("/quit and /nick work even when the frame names a room the member left", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  ana.input("/join #dev");
  ana.input("/part #lobby");
  quiet(ana);
  assert.equal(hub.command(ana.member, "nick", "ana2", "#lobby"), true);
  assert.equal(hub.command(ana.member, "quit", "", "#lobby"), true);
  assert.equal(ana.sink.ended[0]?.reason, "quit");
});

Deno.test("Hub refuses to create rooms past maxRooms, and joining an existing one still works", () => {
  const { connect } = setup({ maxRooms: 2 });
  const ana = connect("ana");
  assert.equal(ana.input("/join #one"), true);
  quiet(ana);
  assert.equal(ana.input("/join #two"), false);
  assertError(ana, "too_many_rooms", "There are already 2 rooms; join one of them");
  quiet(ana);
  assert.equal(ana.input("/join #lobby"), true);
});

Deno.test("rate limit: a burst passes, the excess is refused with a notice, and time refills it", () => {
  const { connect, tick } = setup({ rateLimit: { rate: 2, burst: 3, floodLimit: 10 } });
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  for (let i = 0; i < 3; i++) assert.equal(ana.input(`m${i}`), true);
  assert.equal(ana.input("too fast"), false);
  const refused = ana.sink.events.at(-1)!;
  assert.equal(refused.type, "error");
  assert.equal(refused.type === "error" && refused.code, "rate_limited");
  assert.match(
    refused.type === "error" ? refused.message : "",
    /^Slow down: at most 2 messages a second/,
  );
  assert.ok(!bob.sink.events.some((e) => e.type === "msg" && e.text === "too fast"));
  tick(500); // one token back
  assert.equal(ana.input("patient"), true);
  assert.ok(bob.sink.of("msg").some((e) => e.text === "patient"));
});

Deno.test("rate limit: a multi-line paste costs one token", () => {
  const { connect } = setup({ rateLimit: { rate: 1, burst: 1, floodLimit: 10 } });
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("line one\nline two\nline three"), true);
  assert.deepEqual(bob.sink.of("msg").map((e) => e.text), ["line one\nline two\nline three"]);
});

Deno.test("rate limit: sustained flooding disconnects the flooder and tells the room", () => {
  const { connect } = setup({ rateLimit: { rate: 1, burst: 2, floodLimit: 3 } });
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  for (let i = 0; i < 10; i++) ana.input(`flood ${i}`);
  assert.equal(ana.sink.ended[0]?.reason, "dropped");
  assert.equal(ana.sink.ended[0]?.code, "flooding");
  const leave = bob.sink.of("leave")[0];
  assert.deepEqual([leave.nick, leave.reason, leave.message], ["ana", "dropped", "flooding"]);
  assert.equal(bob.sink.of("msg").length, 2, "only the burst got through");
});

Deno.test("rate limit: /quit is never refused, and rateLimit false turns limiting off", () => {
  const limited = setup({ rateLimit: { rate: 1, burst: 1, floodLimit: 100 } });
  const ana = limited.connect("ana");
  ana.input("one");
  ana.input("two");
  assert.equal(ana.input("/quit"), true);
  assert.equal(ana.sink.ended[0]?.reason, "quit");
  const open = setup({ rateLimit: false });
  const bob = open.connect("bob");
  for (let i = 0; i < 100; i++) assert.equal(bob.input(`m${i}`), true);
});

Deno.test("nicks made of invisible characters are refused", () => {
  const { hub } = setup();
  for (const nick of ["\u3164", "a\u034fb", "ana\ufe0f", "\u115f\u1160"]) {
    assert.throws(
      () => hub.join({ nick, client: "t" }, new RecordingSink()),
      (e: unknown) => e instanceof NickError && e.code === "bad_nick",
      JSON.stringify(nick),
    );
  }
});

Deno.test("maxNickLength sets the longest nick", () => {
  const { hub } = setup({ maxNickLength: 5 });
  assert.throws(
    () => hub.join({ nick: "sixsix", client: "t" }, new RecordingSink()),
    /the limit is 5/,
  );
  assert.equal(hub.join({ nick: "fivee", client: "t" }, new RecordingSink()).nick, "fivee");
});

Deno.test("in a room past announceLimit, joins and leaves are not announced and welcomes list only that many", () => {
  const { connect } = setup({ announceLimit: 3 });
  const first = ["a1", "a2", "a3"].map((nick) => connect(nick));
  quiet(...first);
  const late = connect("late");
  const welcome = late.sink.only();
  assert.equal(welcome.type, "welcome");
  assert.deepEqual(welcome.type === "welcome" && [welcome.members, welcome.memberCount], [
    ["a1", "a2", "a3"],
    4,
  ]);
  assertNothing(...first);
  late.input("/quit");
  assertNothing(...first);
  first[2].input("/quit");
  assert.equal(first[0].sink.of("leave").length, 1, "announced again once the room is small");
});

Deno.test("Hub: past 20 joins and leaves at once a room is told how many in one notice, not line by line", () => {
  const { hub, connect, tick } = setup();
  const watcher = connect("watcher");
  quiet(watcher);
  // 20 come and go, each once (from as many addresses: nothing per address here).
  for (let i = 0; i < 20; i++) {
    const passer = connect(`passer${i}`);
    hub.leave(passer.member, "quit");
  }
  // 20 announcements at once, the watcher's own join among them.
  const shown = watcher.sink.events.filter((e) => e.type === "join" || e.type === "leave");
  assert.equal(shown.length, 19);
  assert.equal(watcher.sink.of("notice").length, 0);
  tick(1000);
  hub.tick();
  assert.deepEqual(watcher.sink.of("notice").map((n) => n.message), [
    "10 joined and 11 left #lobby (too many at once to show one by one)",
  ]);
  // Once the flurry is over, each is shown again.
  tick(30_000);
  const late = connect("late");
  assert.equal(watcher.sink.of("join").at(-1)?.nick, late.member.nick);
  hub.tick();
  assert.equal(watcher.sink.of("notice").length, 1);
});

Deno.test("Hub: with rateLimit off, every join and leave is announced (benchmarks)", () => {
  const { hub, connect } = setup({ rateLimit: false });
  const watcher = connect("watcher");
  quiet(watcher);
  for (let i = 0; i < 30; i++) hub.leave(connect(`p${i}`).member, "quit");
  assert.equal(
    watcher.sink.events.filter((e) => e.type === "join" || e.type === "leave").length,
    60,
  );
});
