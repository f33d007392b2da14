/**
 * `/history` reads and topic listings while one NATS node is down (docs/cluster_progress.md,
 * "History reads made on a dead replica"): a 3-node cluster, kill -9 of a follower of the room
 * stream (or its leader), then rounds of reads from nodes on the two survivors, each timed:
 * `deno run -P=test tests/history_kill_measure_main.ts [rounds] [follower|leader]`.
 */
import { connect } from "@nats-io/transport-node";
import { NatsCluster, url } from "./_nats_cluster.ts";
import { delay } from "./_waiting.ts";
import { ROOM_STREAM } from "../lib/cluster/cluster_names.ts";
import { NatsHistoryStore } from "../lib/cluster/nats_history.ts";
import { NatsRoomLog } from "../lib/cluster/nats_room_log.ts";
import { publishMessages } from "../lib/cluster/_room_log_fill.ts";
import { NatsTopics } from "../lib/cluster/nats_history_topics.ts";

const reads = Number(Deno.args[0] ?? 15);
const killWhat = Deno.args[1] ?? "follower"; // "follower" | "leader"
await using cluster = await NatsCluster.start();
const nc0 = await connect({ servers: cluster.urls });
const log = await NatsRoomLog.start({ nc: nc0, node: "a" });
await publishMessages(log, 300);
const topics0 = await NatsTopics.open(nc0, 3);
await topics0.record("#lobby", { room: "#lobby", id: 1, topic: { text: "t", by: "ana", ts: 1 } });
let leader: string | undefined;
while (!(leader = await cluster.streamLeader(ROOM_STREAM))) await delay(50);
const victim = killWhat === "leader" ? leader : cluster.nodes.find((n) => n.name !== leader)!.name;
const others = cluster.nodes.filter((n) => n.name !== victim);
const ncs = await Promise.all(others.map((n) => connect({ servers: url(n) })));
const stores = await Promise.all(ncs.map((nc) => NatsHistoryStore.start({ nc })));
const topics = await Promise.all(ncs.map((nc) => NatsTopics.open(nc, 3)));
console.log(
  `stream leader ${leader}; killing ${victim} (${killWhat}); clients on ${
    others.map((n) => n.name)
  }`,
);
await cluster.kill(victim);
await delay(2_000);
const newest = { below: { id: Number.MAX_SAFE_INTEGER }, newest: true, limit: 20 } as const;
const older = { below: { id: 100 }, newest: true, limit: 50 } as const;
const results: string[] = [];
const hist: number[] = [];
let failed = 0;
for (let round = 0; round < reads; round++) {
  const line: string[] = [];
  await Promise.all(stores.map(async (store, i) => {
    for (const range of [newest, older]) {
      const s = performance.now();
      try {
        const got = await store.range("#lobby", range);
        const ms = Math.round(performance.now() - s);
        hist.push(ms);
        line.push(`${others[i].name}:${ms}ms(${got.length})`);
      } catch (e) {
        const ms = Math.round(performance.now() - s);
        hist.push(ms);
        failed++;
        line.push(`${others[i].name}:FAIL ${ms}ms ${(e as Error).message.slice(0, 40)}`);
      }
    }
    const s = performance.now();
    try {
      const all = await topics[i].all();
      line.push(`topics:${Math.round(performance.now() - s)}ms(${all.size})`);
    } catch (e) {
      line.push(
        `topics:FAIL ${Math.round(performance.now() - s)}ms ${(e as Error).message.slice(0, 30)}`,
      );
    }
  }));
  results.push(line.join("  "));
  console.log(round, line.join("  "));
}
hist.sort((a, b) => a - b);
const slow = hist.filter((ms) => ms >= 2_000).length;
console.log(
  `history reads: ${hist.length}, failed ${failed}, >= 2 s: ${slow}, median ${
    hist[hist.length >> 1]
  } ms, max ${hist.at(-1)} ms`,
);
for (const store of stores) store.close();
await log.stop();
for (const nc of [...ncs, nc0]) await nc.close();
