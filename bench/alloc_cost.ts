/**
 * What a fresh buffer costs in Deno against a reused one: for each size, a
 * loop makes `new Uint8Array(size)` and copies `size` bytes into it, then
 * copies the same bytes into one buffer made before the loop. The send
 * queue's join pool (lib/server/join_pool.ts) rests on the difference.
 *
 * Usage: deno run bench/alloc_cost.ts [--rounds 2000]
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "2000" } } });
const rounds = Number(values.rounds);
const source = new Uint8Array(1 << 20).fill(7);
const reused = new Uint8Array(1 << 20);
let kept: Uint8Array | undefined;

/** Mean µs of `make` over `rounds` calls, after a warm-up. */
function time(make: () => Uint8Array): number {
  for (let i = 0; i < 50; i++) kept = make();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) kept = make();
  return (performance.now() - start) * 1000 / rounds;
}

console.log("| bytes | fresh buffer + copy µs | reused buffer + copy µs |");
console.log("|---:|---:|---:|");
for (const size of [4096, 16384, 65536, 262144, 655360]) {
  const part = source.subarray(0, size);
  const fresh = time(() => {
    const buffer = new Uint8Array(size);
    buffer.set(part);
    return buffer;
  });
  const pooled = time(() => {
    const buffer = reused.subarray(0, size);
    buffer.set(part);
    return buffer;
  });
  console.log(`| ${size} | ${fresh.toFixed(2)} | ${pooled.toFixed(2)} |`);
}
if (kept === undefined) throw new Error("nothing made");
