/**
 * History reads and key listings when the request that makes their R1
 * consumer goes unanswered, as JetStream leaves one it placed on a dead
 * replica (one nats-server; the connection's consumer-create requests hang
 * when told to, standing for such a request): the read must not wait out
 * the request's timeout (before the hedge: `/history` refused after 5 s).
 */

import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { soloNats } from "../../tests/_solo_nats.ts";
import { delay } from "../../tests/_waiting.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import { ROOM_STREAM } from "./cluster_names.ts";
import { NatsHistoryStore } from "./nats_history.ts";
import { NatsTopics } from "./nats_history_topics.ts";
import { NatsRoomLog } from "./nats_room_log.ts";
import { publishMessages } from "./_room_log_fill.ts";
import { bounded } from "./nats_link.ts";
import { CONSUMER_HEDGE_MS } from "./reader_recovery.ts";

/**
 * `nc`, except that the next `hang.count` consumer-create requests are
 * never answered, or with `hang.lateMs` sent on only that much later, and
 * the next `hang.refuse` ones are refused at once.
 */
function unanswering(nc: NatsConnection) {
  const hang = { count: 0, asked: 0, lateMs: 0, late: [] as Promise<unknown>[], refuse: 0 };
  const proxy = new Proxy(nc, {
    get(target, property) {
      if (property === "request") {
        return (subject: string, ...rest: unknown[]) => {
          if (!subject.startsWith("$JS.API.CONSUMER.CREATE.")) {
            return (target.request as (...args: unknown[]) => unknown)(subject, ...rest);
          }
          hang.asked++;
          const send = () => (target.request as (...args: unknown[]) => unknown)(subject, ...rest);
          if (hang.refuse > 0) {
            hang.refuse--;
            return Promise.reject(new Error("JetStream system temporarily unavailable"));
          }
          if (hang.count === 0) return send();
          hang.count--;
          if (!hang.lateMs) return new Promise(() => {});
          const late = delay(hang.lateMs).then(send);
          hang.late.push(late);
          return late;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { nc: proxy, hang };
}

async function cluster(messages: number) {
  const nats = await soloNats();
  const nc = await connect({ servers: nats.url });
  const log = await NatsRoomLog.start({ nc, node: "a", replicas: 1 });
  await publishMessages(log, messages);
  const { nc: reading, hang } = unanswering(nc);
  const store = await NatsHistoryStore.start({ nc: reading, replicas: 1 });
  return {
    nc: reading,
    hang,
    store,
    async [Symbol.asyncDispose]() {
      store.close();
      await store.settled();
      await log.stop();
      await nc.close();
      await nats[Symbol.asyncDispose]();
    },
  };
}

/** Ms `promise` took, and its value. */
async function timed<T>(promise: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await promise;
  return [value, Math.round(performance.now() - started)];
}

const newest = { below: { id: Number.MAX_SAFE_INTEGER }, newest: true, limit: 5 } as const;

Deno.test("NatsHistoryStore.range() answers when the request for its consumer goes unanswered", async () => {
  await using c = await cluster(10);
  c.hang.count = 1;
  const asked = c.hang.asked;
  // Unhedged, the read waited for the unanswered request and was refused after 5 s.
  const [read, ms] = await timed(c.store.range("#lobby", newest));
  assert.deepEqual(read.map((m) => m.type === "msg" && m.text), ["m5", "m6", "m7", "m8", "m9"]);
  assert.equal(c.hang.asked - asked, 2, "one request unanswered, the next made the consumer");
  assert.ok(ms < CONSUMER_HEDGE_MS + 1_000, `answered in ${ms} ms`);
});

Deno.test("NatsHistoryStore.range() answers when several requests for its consumer go unanswered", async () => {
  await using c = await cluster(10);
  c.hang.count = 3;
  const [read, ms] = await timed(c.store.range("#lobby", newest));
  assert.equal(read.length, 5);
  assert.ok(ms < 3 * CONSUMER_HEDGE_MS + 1_000, `answered in ${ms} ms`);
});

Deno.test("NatsHistoryStore.range(): a consumer made late, after another answered the read, is deleted", async () => {
  await using c = await cluster(10);
  const jsm = await jetstreamManager(c.nc);
  const consumers = async () => (await (await jsm.consumers.list(ROOM_STREAM)).next()).length;
  const before = await consumers(); // The log's reader.
  c.hang.count = 1;
  c.hang.lateMs = CONSUMER_HEDGE_MS + 1_000;
  const [read, ms] = await timed(c.store.range("#lobby", newest));
  assert.equal(read.length, 5);
  assert.ok(ms < CONSUMER_HEDGE_MS + 1_000, `answered in ${ms} ms`);
  // The late one is made when its request is sent on, then deleted (else it stays 30 s).
  await Promise.all(c.hang.late);
  let left = await consumers() - before;
  for (let i = 0; i < 20 && left > 0; i++) await delay(50), left = await consumers() - before;
  assert.equal(left, 0, "the consumer made late was deleted");
});

Deno.test("NatsHistoryStore.range() fails at once when JetStream refuses its consumer (only unanswered requests are asked again)", async () => {
  await using c = await cluster(10);
  c.hang.refuse = 1;
  const started = performance.now();
  await assert.rejects(c.store.range("#lobby", newest), /temporarily unavailable/);
  const ms = Math.round(performance.now() - started);
  assert.ok(ms < CONSUMER_HEDGE_MS, `refused after ${ms} ms`);
  assert.equal((await c.store.range("#lobby", newest)).length, 5, "the next read is made");
});

Deno.test("NatsTopics.all() lists the topics when the request for its listing goes unanswered", async () => {
  await using c = await cluster(0);
  const topics = await NatsTopics.open(c.nc, 1);
  await topics.record("#lobby", {
    room: "#Lobby",
    id: 1,
    topic: { text: "plans", by: "ana", ts: 1 },
  });
  c.hang.count = 1;
  // Unhedged, the listing waited for the unanswered request (for good here, 5 s on NATS).
  const all = await bounded(CONSUMER_HEDGE_MS + 1_000, topics.all(), "Topics listing");
  assert.deepEqual([...all.keys()], ["#lobby"]);
});
