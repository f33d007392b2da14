import assert from "node:assert/strict";
import { Hub } from "../hub.ts";
import { RecordingSink } from "../_recording_sink.ts";
import { LocalRoomLog, type RoomEvent, type RoomLog } from "./room_log.ts";

function recorded(log: RoomLog): [RoomEvent, string][] {
  const seen: [RoomEvent, string][] = [];
  log.listen((event, folded) => seen.push([event, folded]));
  return seen;
}

Deno.test("LocalRoomLog numbers each room on its own and hands each event on before append returns", () => {
  const log = new LocalRoomLog();
  const seen = recorded(log);
  log.append("#a", "#A", { type: "join", ts: 1, nick: "ana" });
  assert.equal(seen.length, 1, "delivered synchronously");
  log.append("#b", "#b", { type: "join", ts: 2, nick: "bo" });
  log.append("#a", "#A", { type: "msg", ts: 3, from: "ana", text: "hi", kind: "say" });
  assert.deepEqual(seen.map(([event, folded]) => [folded, event.room, event.id, event.type]), [
    ["#a", "#A", 1, "join"],
    ["#b", "#b", 1, "join"],
    ["#a", "#A", 2, "msg"],
  ]);
  assert.equal(log.lastId("#a"), 2);
  assert.equal(log.lastId("#c"), 0);
});

Deno.test("LocalRoomLog.open() continues from a stored id and never goes back", () => {
  const log = new LocalRoomLog();
  const seen = recorded(log);
  log.open("#a", 41);
  log.append("#a", "#a", { type: "join", ts: 1, nick: "ana" });
  log.open("#a", 7);
  log.append("#a", "#a", { type: "join", ts: 2, nick: "bo" });
  assert.deepEqual(seen.map(([event]) => event.id), [42, 43]);
  log.close("#a");
  assert.equal(log.lastId("#a"), 0, "a closed room's counter is forgotten");
});

Deno.test("a hub delivers what its room log orders, in the log's order and with its ids", () => {
  // A log that numbers from 100 and lets the test see every event it orders.
  class CountingLog extends LocalRoomLog {
    ordered: number[] = [];
    override open(folded: string, lastId: number): void {
      super.open(folded, Math.max(lastId, 100));
    }
    override append(...args: Parameters<LocalRoomLog["append"]>): void {
      super.append(...args);
      this.ordered.push(this.lastId(args[0]));
    }
  }
  const log = new CountingLog();
  const hub = new Hub({ roomLog: log, rateLimit: false });
  const anaSink = new RecordingSink();
  const boSink = new RecordingSink();
  const ana = hub.join({ nick: "ana", client: "t" }, anaSink);
  hub.join({ nick: "bo", client: "t" }, boSink);
  hub.input(ana, "one");
  hub.input(ana, "two");
  assert.deepEqual(log.ordered, [101, 102, 103, 104], "two joins, then two messages");
  assert.deepEqual(boSink.of("msg").map((m) => [m.id, m.text]), [[103, "one"], [104, "two"]]);
  assert.deepEqual(anaSink.of("join").map((j) => [j.id, j.nick]), [[102, "bo"]]);
  assert.deepEqual(boSink.of("join"), [], "the joiner is the origin, skipped");
});
