/**
 * Runs {@linkcode killUnderMirrors} `--trials N` times for each target and
 * prints one JSON line per trial: `deno run -q -P=test tests/kv_kill_measure_main.ts --trials 3`.
 *
 * @module
 */

import { NatsCluster } from "./_nats_cluster.ts";
import { killUnderMirrors } from "./_kv_kill.ts";

const at = Deno.args.indexOf("--trials");
const trials = at >= 0 ? Number(Deno.args[at + 1]) : 3;
const only = Deno.args.includes("--leader")
  ? ["leader"]
  : Deno.args.includes("--client-node")
  ? ["client-node"]
  : ["leader", "client-node"];
for (let i = 0; i < trials; i++) {
  for (const target of only as ("leader" | "client-node")[]) {
    await using cluster = await NatsCluster.start();
    console.log(JSON.stringify({ trial: i + 1, ...(await killUnderMirrors(cluster, target)) }));
  }
}
