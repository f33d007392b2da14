/**
 * Preloaded into a server by bench/heap_breakdown.ts (`deno run --preload`):
 * on SIGUSR2 (SIGUSR1: without the snapshot) it collects garbage twice (the server runs with `--expose-gc`)
 * and writes `Deno.memoryUsage()` (read before the snapshot) and a heap snapshot to
 * `/tmp/lanchat-heap-<pid>-<n>.heapsnapshot` and `.json`, the `.json` last,
 * so that a reader waits for it.
 *
 * @module
 */

import { writeHeapSnapshot } from "node:v8";

let taken = 0;
// Usage only (no snapshot, whose own memory would stay in the RSS): SIGUSR1.
Deno.addSignalListener("SIGUSR1", () => measure(false));
Deno.addSignalListener("SIGUSR2", () => measure(true));

function measure(snapshot: boolean): void {
  // As found (garbage and all: what the crowd bench reads), then after collections.
  const found = Deno.memoryUsage();
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  gc?.();
  setTimeout(() => {
    gc?.();
    const base = `/tmp/lanchat-heap-${Deno.pid}-${taken++}`;
    const usage = JSON.stringify({ ...Deno.memoryUsage(), found });
    if (snapshot) writeHeapSnapshot(`${base}.heapsnapshot`);
    Deno.writeTextFileSync(`${base}.json`, usage);
  }, 100);
}
