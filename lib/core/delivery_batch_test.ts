// delivery_batch.ts: a window's room events go to each member as runs, and
// every member's sequence of events is the one it gets without the window.

import assert from "node:assert/strict";
import type { ByeEvent, ChatEvent } from "./events.ts";
import type { MemberSink } from "./member.ts";
import type { RoomEvent } from "./state/room_log.ts";
import { Hub } from "./hub.ts";
import { closeWindow, deliveriesHeld, flushDeliveries, openWindow } from "./delivery_batch.ts";
import { START } from "./_hub_harness.ts";

/**
 * A sink as a connection's is: what it is told directly goes after any held
 * run (`flushDeliveries`), and it takes runs when `runs` is set, recording
 * each run's length.
 */
class RunSink implements MemberSink {
  events: ChatEvent[] = [];
  runs: number[] = [];
  ended: ByeEvent[] = [];
  deliverRun?: (events: readonly RoomEvent[]) => boolean;

  constructor(runs: boolean) {
    if (runs) {
      this.deliverRun = (events) => {
        this.runs.push(events.length);
        this.events.push(...events);
        return true;
      };
    }
  }

  deliver(event: ChatEvent): void {
    flushDeliveries();
    this.events.push(event);
  }

  end(event: ByeEvent): void {
    flushDeliveries();
    this.ended.push(event);
  }
}

type Step = (hub: Hub, sinks: Map<string, RunSink>) => unknown;

/** Runs `before` plainly, then `steps` in one window (or not), and returns each sink. */
function play(windowed: boolean, before: Step[], steps: Step[]): Map<string, RunSink> {
  let time = START;
  const hub = new Hub({ now: () => ++time, rateLimit: false });
  const sinks = new Map<string, RunSink>();
  for (const step of before) step(hub, sinks);
  const opened = windowed && openWindow();
  try {
    for (const step of steps) step(hub, sinks);
  } finally {
    if (opened) closeWindow();
  }
  assert.equal(deliveriesHeld(), false, "nothing is held once the window closed");
  return sinks;
}

/** A member joins with a sink that takes runs (or not) and echo on (or off). */
function join(nick: string, runs = true, echo = true): Step {
  return (hub, sinks) => {
    const sink = new RunSink(runs);
    sinks.set(nick, sink);
    hub.join({ nick, client: "test", echo }, sink);
  };
}

/** `nick` types `line`. */
function say(nick: string, line: string, room?: string): Step {
  return (hub) => {
    const member = [...hub.members()].find((m) => m.nick === nick);
    assert.ok(member, `${nick} is connected`);
    hub.input(member, line, room);
  };
}

/** Asserts that with and without the window every member got the same events, in order. */
function assertSameAsUnbatched(before: Step[], steps: Step[]): Map<string, RunSink> {
  const plain = play(false, before, steps);
  const batched = play(true, before, steps);
  assert.deepEqual([...batched.keys()], [...plain.keys()]);
  for (const [nick, sink] of plain) {
    assert.deepEqual(batched.get(nick)!.events, sink.events, `what ${nick} got`);
    assert.deepEqual(batched.get(nick)!.ended, sink.ended, `how ${nick} was ended`);
  }
  return batched;
}

Deno.test("delivery batch: a window's messages to one room reach each member as one run", () => {
  const batched = assertSameAsUnbatched(
    [join("ana"), join("bob"), join("cid", false)],
    [say("ana", "one"), say("ana", "two"), say("ana", "three")],
  );
  assert.deepEqual(batched.get("bob")!.runs, [3], "bob: one run of three");
  assert.deepEqual(batched.get("ana")!.runs, [3], "ana's echoes: one run of three");
  assert.deepEqual(batched.get("cid")!.runs, [], "a sink without runs gets them one by one");
  assert.deepEqual(
    batched.get("cid")!.events.slice(-3).map((e) => e.type === "msg" && e.text),
    ["one", "two", "three"],
  );
});

Deno.test("delivery batch: a sender without echo gets none of its run, the others all of it", () => {
  const batched = assertSameAsUnbatched(
    [join("ana", true, false), join("bob")],
    [say("ana", "one"), say("ana", "two")],
  );
  assert.deepEqual(batched.get("bob")!.runs, [2]);
  assert.deepEqual(batched.get("ana")!.runs, []);
});

Deno.test("delivery batch: events of two rooms keep their order for a member of both", () => {
  const batched = assertSameAsUnbatched(
    [join("ana"), join("bob"), say("ana", "/join #dev"), say("bob", "/join #dev")],
    [
      say("ana", "lobby 1", "#lobby"),
      say("ana", "lobby 2", "#lobby"),
      say("ana", "dev 1", "#dev"),
      say("ana", "lobby 3", "#lobby"),
    ],
  );
  const bob = batched.get("bob")!;
  assert.deepEqual(
    bob.events.filter((e) => e.type === "msg").map((e) => e.type === "msg" && e.text),
    ["lobby 1", "lobby 2", "dev 1", "lobby 3"],
  );
  assert.deepEqual(bob.runs, [2], "the first two lobby lines went as one run");
});

Deno.test("delivery batch: a member joining mid-window gets no event from before its welcome", () => {
  const batched = assertSameAsUnbatched(
    [join("ana"), join("bob")],
    [say("ana", "before"), say("ana", "before too"), join("cid"), say("ana", "after")],
  );
  const cid = batched.get("cid")!;
  assert.equal(cid.events[0].type, "welcome");
  const live = cid.events.filter((e) => e.type === "msg").map((e) => e.type === "msg" && e.text);
  assert.deepEqual(live, ["after"], "the earlier lines are in its history, not sent again");
});

Deno.test("delivery batch: a member leaving mid-window gets everything said before it left", () => {
  const batched = assertSameAsUnbatched(
    [join("ana"), join("bob"), say("bob", "/join #dev")],
    [say("ana", "one"), say("ana", "two"), say("bob", "/part #lobby"), say("ana", "three")],
  );
  const texts = batched.get("bob")!.events.filter((e) => e.type === "msg").map((e) =>
    e.type === "msg" && e.text
  );
  assert.deepEqual(texts, ["one", "two"]);
});

Deno.test("delivery batch: DMs, topics, nicks, actions and a /join switch keep every member's order", () => {
  assertSameAsUnbatched(
    [
      join("ana"),
      join("bob"),
      join("cid", false),
      say("ana", "/join #dev"),
      say("bob", "/join #dev"),
    ],
    [
      say("ana", "hello", "#lobby"),
      say("ana", "/msg bob psst"),
      say("ana", "again", "#lobby"),
      say("ana", "/topic #lobby plans"),
      say("ana", "/me waves", "#lobby"),
      say("ana", "/join #lobby"),
      say("ana", "in lobby now"),
      say("ana", "/nick anna"),
      say("anna", "renamed"),
      say("anna", "/join #dev"),
      say("anna", "dev line"),
      say("anna", "/quit bye"),
    ],
  );
});

Deno.test("delivery batch: a nested window holds until the outer one closes", () => {
  let time = START;
  const hub = new Hub({ now: () => ++time });
  const ana = new RunSink(true);
  const bob = new RunSink(true);
  const member = hub.join({ nick: "ana", client: "test" }, ana);
  hub.join({ nick: "bob", client: "test" }, bob);
  bob.events = [];
  const outer = openWindow();
  try {
    hub.input(member, "one");
    const inner = openWindow();
    assert.equal(inner, false, "a nested call does not open a window");
    hub.input(member, "two");
    assert.equal(deliveriesHeld(), true);
    assert.deepEqual(bob.events, [], "nothing sent inside the window");
  } finally {
    if (outer) closeWindow();
  }
  assert.deepEqual(bob.runs, [2]);
  hub.input(member, "outside");
  assert.deepEqual(bob.runs, [2], "outside a window an event goes out alone, at once");
  assert.equal(bob.events.length, 3);
});
