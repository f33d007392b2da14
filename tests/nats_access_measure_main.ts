/**
 * How long a ban or a mute written on one node takes to reach another
 * node's mirror (and, for a ban, its listener), on the 3-node harness:
 * `deno run -q -P=test tests/nats_access_measure_main.ts --trials 50`.
 * Prints one JSON line per figure.
 */

import { connect } from "@nats-io/transport-node";
import { NatsCluster } from "./_nats_cluster.ts";
import { NatsAccessStore } from "../lib/cluster/nats_access.ts";
import { NatsMuteStore } from "../lib/cluster/nats_mutes.ts";

const trials = Number(Deno.args[Deno.args.indexOf("--trials") + 1]) || 50;
await using cluster = await NatsCluster.start();
const ncA = await connect({ servers: cluster.urls[0] });
const ncB = await connect({ servers: cluster.urls[1] });
const a = await NatsAccessStore.open({ nc: ncA, node: "a" });
const b = await NatsAccessStore.open({ nc: ncB, node: "b" });
const muteA = await NatsMuteStore.open({ nc: ncA, node: "a" });
const muteB = await NatsMuteStore.open({ nc: ncB, node: "b" });
let heard: (() => void) | undefined;
b.follow((change) => change.kind === "ban" && heard?.());
const ack: number[] = [];
const banSeen: number[] = [];
const muteSeen: number[] = [];
for (let i = 0; i < trials; i++) {
  const seen = new Promise<void>((resolve) => heard = resolve);
  const start = performance.now();
  await a.addBan({ kind: "ip", value: `10.1.${i >> 8}.${i & 255}`, by: "op", ts: i });
  ack.push(performance.now() - start);
  await seen;
  banSeen.push(performance.now() - start);
  const id = `ip 10.2.0.${i}`;
  const mStart = performance.now();
  await muteA.set({ id, until: Infinity, by: "op" });
  while (muteB.until(id) === undefined) await new Promise((r) => setTimeout(r, 0));
  muteSeen.push(performance.now() - mStart);
}
const stats = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const at = (q: number) => Number(s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2));
  return { n: s.length, median_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1) };
};
console.log(JSON.stringify({ figure: "ban put acknowledged (R3)", ...stats(ack) }));
console.log(JSON.stringify({ figure: "ban on A -> B's listener", ...stats(banSeen) }));
console.log(JSON.stringify({ figure: "mute on A -> B's mirror", ...stats(muteSeen) }));
await Promise.all([a.stop(), b.stop(), muteA.stop(), muteB.stop()]);
await Promise.all([ncA.close(), ncB.close()]);
