// Hub.join(): the welcome, the nick checks, capacity and ids.

import assert from "node:assert/strict";
import { ChatError, NickError } from "./errors.ts";
import { Hub, LOBBY } from "./hub.ts";
import { RecordingSink } from "./_recording_sink.ts";
import { assertNothing, quiet, setup } from "./_hub_harness.ts";

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

Deno.test("Hub.join() makes an upload token only for a client that can use it (hello.uploads)", () => {
  const tokenFor: string[] = [];
  const hub = new Hub({
    welcomeFiles: (member) => {
      tokenFor.push(member.nick);
      return { token: `t-${member.nick}`, maxFileBytes: 1024 };
    },
  });
  const welcome = (nick: string, uploads?: boolean) => {
    const sink = new RecordingSink();
    hub.join({ nick, client: "test", uploads }, sink);
    return sink.events[0] as { type: string; files?: { token: string } };
  };
  assert.deepEqual(welcome("ana").files, { token: "t-ana", maxFileBytes: 1024 });
  assert.deepEqual(welcome("bob", true).files, { token: "t-bob", maxFileBytes: 1024 });
  const nc = welcome("cy", false);
  assert.equal(nc.type, "welcome");
  assert.equal("files" in nc, false);
  assert.deepEqual(tokenFor, ["ana", "bob"]);
});

Deno.test("Hub.join()'s welcome and /join's joined list their fields in one order, optional ones included", async () => {
  const { connect } = setup({
    motd: "Be nice",
    welcomeFiles: () => ({ token: "t", maxFileBytes: 1 }),
  });
  const ana = connect("ana");
  await ana.input("/topic Lunch at noon");
  await ana.input("/away eating");
  // Native clients see the keys in this order (JSON.stringify keeps it).
  const snapshotKeys = ["room", "members", "memberCount", "away", "topic", "history"];
  const bob = connect("bob");
  assert.deepEqual(Object.keys(bob.sink.only()), [
    ...["type", "protocol", "server", "motd", "nick", "rateLimit", "files"],
    ...snapshotKeys,
  ]);
  bob.sink.clear();
  await bob.input("/join #lobby");
  assert.deepEqual(Object.keys(bob.sink.only()), ["type", ...snapshotKeys]);
  // Without the optional fields: the same order, without them.
  const plain = new Hub({ motd: "", rateLimit: false });
  const sink = new RecordingSink();
  plain.join({ nick: "cy", client: "test" }, sink);
  assert.deepEqual(Object.keys(sink.only()), [
    ...["type", "protocol", "server", "nick"],
    ...["room", "members", "memberCount", "history"],
  ]);
});
