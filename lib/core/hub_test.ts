// The hub's limits: rooms, rate limits, and announcements in crowded rooms.

import assert from "node:assert/strict";
import { assertError, assertNothing, quiet, setup } from "./_hub_harness.ts";

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
