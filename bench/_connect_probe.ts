/**
 * Runs a checkout's server.ts (`CONNECT_PROBE_SERVER`, its flags as this
 * script's arguments) and, on each SIGUSR1, writes one JSON line to stderr:
 * the bytes V8 has allocated since the process started and the process's
 * CPU time. bench/connect_cost.ts reads it before and after a connect.
 *
 * @module
 */

import { getHeapStatistics } from "node:v8";
import { cpuUsage } from "node:process";

Deno.addSignalListener("SIGUSR1", () => {
  const { user, system } = cpuUsage();
  const allocatedBytes = (getHeapStatistics() as { total_allocated_bytes?: number })
    .total_allocated_bytes;
  console.error(JSON.stringify({ probe: true, allocatedBytes, cpuUs: user + system }));
});

// SIGUSR2: exit now, so that a --cpu-prof profile is written (connect_cost.ts --cpu-prof-dir).
Deno.addSignalListener("SIGUSR2", () => Deno.exit(0));

await import(Deno.env.get("CONNECT_PROBE_SERVER")!);
