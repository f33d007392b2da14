/**
 * `deno run -P=test tests/cluster_e2e_measure_main.ts [--trials T] [--only node|leader]`:
 * the failover times of issue 17 end to end, on this machine, each trial on
 * a fresh 3-node NATS cluster with three chat-server processes
 * (tests/_cluster_failovers.ts, the same runs the e2e test asserts):
 *
 * - `node`: kill -9 of a chat-server node; until the others see its member
 *   leave, until it is back (its `client.ts` failed over, same nick), until
 *   a line typed after the kill is delivered, until a keyless member's nick
 *   is free again on another node;
 * - `leader`: kill -9 of the NATS node leading the room stream while three
 *   senders chat; until the first message sent after the kill is accepted.
 *
 * Prints one JSON object per trial (a failed trial prints its error); the
 * figures go to docs/cluster_progress.md.
 *
 * @module
 */

import { killChatNode, killStreamLeader } from "./_cluster_failovers.ts";

function arg(name: string): string | undefined {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Deno.args[at + 1] : undefined;
}

const trials = Number(arg("--trials") ?? 3);
const only = arg("--only");
const runs: [string, () => Promise<unknown>][] = [
  ["node_kill", killChatNode],
  ["leader_kill", killStreamLeader],
];
for (const [name, run] of runs) {
  if (only && !name.startsWith(only)) continue;
  for (let trial = 1; trial <= trials; trial++) {
    try {
      console.log(JSON.stringify({ run: name, trial, ...await run() as object }));
    } catch (error) {
      const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
      console.log(JSON.stringify({ run: name, trial, failed: message }));
    }
  }
}
