/**
 * Test helper (lib/server/send_queue_runs_test.ts), run with `--expose-gc`:
 * queues parts of 2 KiB slabs behind a stalled write, as a codec carves
 * them, lets the server's sweep consolidate them twice, then collects
 * garbage and prints how many of the slabs are still alive (weakly held
 * here). The queued bytes are then pieces of their own: no slab should be.
 */

import { SendQueue } from "./send_queue.ts";

const SLABS = 8;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const queue = new SendQueue(1 << 20);
const refs: WeakRef<ArrayBufferLike>[] = [];
(() => {
  for (let s = 0; s < SLABS; s++) {
    const slab = new Uint8Array(2048);
    refs.push(new WeakRef(slab.buffer));
    // Parts with a gap between them: each is a chunk of its own, not a run.
    for (let at = 0; at < 2048; at += 100) queue.push(slab.subarray(at, at + 60));
  }
  // A push to another queue, so that the module's cache of the last chunk pushed holds no slab.
  new SendQueue(8).push(new Uint8Array(8));
})();
queue.consolidate(); // the sweep before: marks what waits
queue.consolidate(); // a sweep with no take between: the write stalled
await new Promise((resolve) => setTimeout(resolve, 0)); // WeakRefs hold for a turn
gc();
console.log(refs.filter((ref) => ref.deref() !== undefined).length);
