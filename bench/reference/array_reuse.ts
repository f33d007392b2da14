/**
 * What emptying a scratch array costs in allocation, by how it is emptied:
 * four items pushed, then `length = 0`, pops, or `splice(0)`, 100,000
 * rounds each (V8's `total_allocated_bytes`, deterministic). `length = 0`
 * lets V8 drop the backing store, so the next push allocates a new one
 * (lib/core/arrays.ts).
 *
 *   deno run -A bench/reference/array_reuse.ts
 *
 * @module
 */

import v8 from "node:v8";

const allocated = () =>
  (v8.getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes ?? NaN;
const array: object[] = [];
const item = {};

function fill(): void {
  for (let k = 0; k < 4; k++) array.push(item);
}

const ways: [string, () => void][] = [
  ["length = 0", () => {
    fill();
    array.length = 0;
  }],
  ["pop() until empty", () => {
    fill();
    while (array.length > 0) array.pop();
  }],
  ["splice(0)", () => {
    fill();
    array.splice(0);
  }],
];

console.log("| emptied by | bytes allocated a round |\n|---|---:|");
for (const [name, round] of ways) {
  for (let i = 0; i < 1000; i++) round();
  const before = allocated();
  for (let i = 0; i < 100_000; i++) round();
  console.log(`| ${name} | ${((allocated() - before) / 100_000).toFixed(1)} |`);
}
