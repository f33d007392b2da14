import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Hub } from "./hub.ts";
import type { Member } from "./member.ts";
import { RecordingSink } from "./_recording_sink.ts";
import { LocalRoomLog, type RoomEventBody } from "./state/room_log.ts";

/**
 * A shared room log stood in by the local one: messages wait for an
 * acknowledgement the test gives (`settle`) or refuses, as JetStream would.
 */
class AckingLog extends LocalRoomLog {
  readonly waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  override append(folded: string, name: string, body: RoomEventBody, origin?: Member) {
    if (body.type !== "msg") return super.append(folded, name, body, origin);
    return new Promise<number>((resolve, reject) => {
      this.waiting.push({
        resolve: () => {
          super.append(folded, name, body, origin);
          resolve(this.lastId(folded));
        },
        reject,
      });
    });
  }
}

Deno.test("Hub.message() waits for a shared room log's acknowledgement, and answers the sender cluster_unavailable when it is refused", async () => {
  const log = new AckingLog();
  const hub = new Hub({ roomLog: log, rateLimit: false });
  const anaSink = new RecordingSink();
  const boSink = new RecordingSink();
  const ana = hub.join({ nick: "ana", client: "test" }, anaSink);
  hub.join({ nick: "bo", client: "test" }, boSink);
  boSink.events = [];
  anaSink.events = [];

  const first = hub.message(ana, "stored");
  const second = hub.message(ana, "refused");
  const third = hub.message(ana, "after");
  assertEquals(first instanceof Promise, true);
  // The member's requests keep their order: the second waits for the first's answer.
  assertEquals(log.waiting.length, 1);
  log.waiting[0].resolve();
  assertEquals(await first, true);
  assertEquals(log.waiting.length, 2);
  log.waiting[1].reject(new Error("no quorum"));
  assertEquals(await second, false);
  log.waiting[2].resolve();
  assertEquals(await third, true);

  const said = (sink: RecordingSink) => sink.of("msg").map((e) => e.text);
  assertEquals(said(boSink), ["stored", "after"]);
  assertEquals(said(anaSink), ["stored", "after"]);
  assertEquals(anaSink.of("error").map((e) => e.code), ["cluster_unavailable"]);
  assertEquals(boSink.of("error").length, 0);
});

Deno.test("Hub: /me and /notice to a room are refused with cluster_unavailable as messages are", async () => {
  const log = new AckingLog();
  const hub = new Hub({ roomLog: log, rateLimit: false });
  const sink = new RecordingSink();
  const ana = hub.join({ nick: "ana", client: "test" }, sink);
  sink.events = [];
  const me = hub.input(ana, "/me waves");
  const notice = hub.input(ana, "/notice #lobby build green");
  log.waiting[0].reject(new Error("down"));
  assertEquals(await me, false);
  log.waiting[1].reject(new Error("down"));
  assertEquals(await notice, false);
  assertEquals(sink.of("error").map((e) => e.code), [
    "cluster_unavailable",
    "cluster_unavailable",
  ]);
});

Deno.test("Hub.message() with the in-process log answers at once, as before", () => {
  const hub = new Hub({ rateLimit: false });
  const sink = new RecordingSink();
  const ana = hub.join({ nick: "ana", client: "test" }, sink);
  assertEquals(hub.message(ana, "hi"), true);
});
