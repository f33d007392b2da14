/**
 * Measures {@linkcode killUnderPresences} over fresh clusters:
 * `deno run -P=test tests/presence_kill_measure_main.ts --trials N`; one JSON line per run.
 */

import { NatsCluster } from "./_nats_cluster.ts";
import { killUnderPresences } from "./_presence_kill.ts";

const at = Deno.args.indexOf("--trials");
const trials = at >= 0 ? Number(Deno.args[at + 1]) : 3;
for (let trial = 1; trial <= trials; trial++) {
  await using cluster = await NatsCluster.start();
  const result = await killUnderPresences(cluster, 20_000);
  console.log(JSON.stringify({ trial, ...result }));
}
