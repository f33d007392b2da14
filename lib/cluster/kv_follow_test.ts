/**
 * {@linkcode KvFollow} when a watch's making goes unanswered, as JetStream
 * leaves a consumer request it placed on a dead replica (one nats-server;
 * the bucket's `watch` hangs for chosen calls, standing for such a request):
 * the follow must not wait for the unanswered one's timeout.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import { soloNats } from "../../tests/_solo_nats.ts";
import { until } from "../../tests/_waiting.ts";
import { openBucket } from "./node_registry.ts";
import { KvFollow, WATCH_HEDGE_MS, watchHedging } from "./kv_follow.ts";

/** The bucket `kv`, except that `watch` calls whose number (from 1) is in `hang` never settle. */
function hanging(kv: KV, hang: Set<number>): KV & { calls: number } {
  const state = { calls: 0 };
  return new Proxy(kv, {
    get(target, property) {
      if (property === "calls") return state.calls;
      if (property === "watch") {
        return (...args: Parameters<KV["watch"]>) =>
          hang.has(++state.calls) ? new Promise(() => {}) : target.watch(...args);
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as KV & { calls: number };
}

async function followed(hang: Set<number>) {
  const nats = await soloNats();
  const nc = await connect({ servers: nats.url });
  const kv = hanging(await openBucket(nc, "FOLLOW", { replicas: 1 }), hang);
  const keys: string[] = [];
  const startedAt = performance.now();
  const follow = await KvFollow.start({
    nc,
    kv,
    bucket: "FOLLOW",
    onEntry: (entry) => keys.push(entry.key),
  });
  return {
    kv,
    keys,
    follow,
    startMs: performance.now() - startedAt,
    async [Symbol.asyncDispose]() {
      await follow.stop();
      await nc.close();
      await nats[Symbol.asyncDispose]();
    },
  };
}

Deno.test("KvFollow.start() makes its watch when the first request for it goes unanswered", async () => {
  await using f = await followed(new Set([1]));
  // The second request, a hedge's length later; unhedged, start() failed after 5 s.
  assert.ok(f.startMs < WATCH_HEDGE_MS + 1_500, `started in ${Math.round(f.startMs)} ms`);
  await f.kv.put("one", "1");
  await until(() => f.keys.includes("one"), 2_000);
});

Deno.test("KvFollow.start() asks for its watch every second until its bound, however many requests go unanswered", async () => {
  // Right after an election every request can go unanswered for seconds: the one after it counts.
  await using f = await followed(new Set([1, 2, 3, 4]));
  assert.equal(f.kv.calls, 5);
  assert.ok(f.startMs < 4 * WATCH_HEDGE_MS + 1_000, `started in ${Math.round(f.startMs)} ms`);
});

Deno.test("KvFollow: a watch started again follows the bucket within a hedge's length when the first request for it goes unanswered", async () => {
  await using f = await followed(new Set([2]));
  await f.kv.put("one", "1");
  await until(() => f.keys.includes("one"), 2_000);
  f.follow.restart("test");
  await f.kv.put("two", "2");
  const restartedAt = performance.now();
  // Unhedged, the unanswered request was given up after 5 s (WATCH_START_MS), then asked again.
  await until(() => f.keys.includes("two"), WATCH_HEDGE_MS + 1_500);
  assert.ok(f.kv.calls >= 3, `watch asked for ${f.kv.calls} times`);
  assert.deepEqual(f.keys, ["one", "two"], "each entry once, in order");
  console.log(`seen after the restart in ${Math.round(performance.now() - restartedAt)} ms`);
});

Deno.test("KvFollow stops a watch made just as its attempt was given up for a fresh one (kicked)", async () => {
  const nats = await soloNats();
  const nc = await connect({ servers: nats.url });
  const bucket = await openBucket(nc, "FOLLOW", { replicas: 1 });
  // The second request's answer is handed over by the test, at the moment of its choosing.
  let answer!: (watch: Awaited<ReturnType<KV["watch"]>>) => void;
  let calls = 0;
  const kv = new Proxy(bucket, {
    get(target, property) {
      if (property === "watch") {
        return (...args: Parameters<KV["watch"]>) =>
          ++calls === 2 ? new Promise((resolve) => answer = resolve) : target.watch(...args);
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const follow = await KvFollow.start({ nc, kv, bucket: "FOLLOW", onEntry: () => {} });
  try {
    follow.restart("test");
    await until(() => calls === 2, 2_000);
    const made = await bucket.watch();
    let stopped = false;
    const stop = made.stop.bind(made);
    made.stop = () => (stopped = true, stop());
    // NATS recovers (a fresh attempt at once) in the same turn as the request's answer comes.
    follow.restart("recovered");
    answer(made);
    await until(() => calls >= 3, 2_000);
    await until(() => stopped, 2_000).catch(() => {});
    assert.ok(stopped, "the watch made as its attempt was given up is stopped, not left running");
  } finally {
    await follow.stop();
    await nc.close();
    await nats[Symbol.asyncDispose]();
  }
});

Deno.test("KvFollow: an attempt after a failed one spreads its requests over its longer bound (5 per attempt)", () => {
  // The first attempt (5 s) asks every second, as the tests above measure; after a failure the
  // bound doubles up to 30 s, and a cluster down for a minute is not asked 60 times.
  assert.deepEqual(watchHedging(5_000), { everyMs: WATCH_HEDGE_MS, attempts: 5 });
  assert.deepEqual(watchHedging(10_000), { everyMs: 2_000, attempts: 5 });
  assert.deepEqual(watchHedging(30_000), { everyMs: 6_000, attempts: 5 });
});
