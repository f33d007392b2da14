import assert from "node:assert/strict";
import { SendQueue } from "./send_queue.ts";
import { mulberry32 } from "../../tests/fuzz/random.ts";

/** A seeded generator, so that a failure replays. */
const random = mulberry32;

/**
 * Chunks as codecs make them: consecutive parts carved from shared slabs
 * (never written again once handed out), some buffers of their own, and
 * the same chunk handed to several queues in a row (a broadcast).
 */
function chunkMaker(next: () => number): () => Uint8Array {
  let slab = new Uint8Array(2048);
  let used = 0;
  let stamp = 0;
  return () => {
    const size = next() < 0.1 ? 0 : 1 + Math.floor(next() * (next() < 0.1 ? 3000 : 90));
    if (size > 256) {
      const own = new Uint8Array(size);
      for (let i = 0; i < size; i++) own[i] = stamp++ & 0xff;
      return own;
    }
    if (used + size > slab.length) {
      slab = new Uint8Array(2048);
      used = 0;
    }
    // Sometimes a part is written and not handed out (utf8Bytes meeting non-ASCII).
    if (next() < 0.1 && used + size <= slab.length) {
      for (let i = 0; i < size; i++) slab[used + i] = 0xee;
    }
    for (let i = 0; i < size; i++) slab[used + i] = stamp++ & 0xff;
    const part = slab.subarray(used, used + size);
    used += size;
    return part;
  };
}

interface Taken {
  bytes: Uint8Array;
  copy: number[];
}

for (let seed = 1; seed <= 12; seed++) {
  Deno.test(`SendQueue model (seed ${seed}): queues sharing chunks give every byte once, in order, and a take stays intact until the next`, () => {
    const next = random(seed);
    const make = chunkMaker(next);
    const limit = 4096;
    const queues = Array.from({ length: 4 }, () => new SendQueue(limit));
    const expected: number[][] = queues.map(() => []);
    const got: number[][] = queues.map(() => []);
    /** Each queue's last take, which must hold its bytes until that queue's next take or release. */
    const last: (Taken | undefined)[] = queues.map(() => undefined);
    /** Bytes handed out that nothing may write again: copies of what each was. */
    const checkLast = (q: number) => {
      const taken = last[q];
      if (taken) assert.deepEqual([...taken.bytes], taken.copy, `queue ${q}'s last take changed`);
    };
    const take = (q: number, max?: number) => {
      checkLast(q);
      const bytes = queues[q].take(max);
      if (max !== undefined) assert.ok(bytes.length <= Math.max(max, 0));
      got[q].push(...bytes);
      last[q] = { bytes, copy: [...bytes] };
    };
    for (let step = 0; step < 1500; step++) {
      const what = next();
      if (what < 0.55) {
        // A broadcast: the same chunk to some queues in turn; sometimes a second frame after.
        const chunk = make();
        for (let q = 0; q < queues.length; q++) {
          if (next() < 0.05) continue;
          const queue = queues[q];
          if (next() < 0.05) {
            queue.pushFinal(chunk);
            expected[q].push(...chunk);
          } else if (queue.push(chunk)) expected[q].push(...chunk);
          else {
            // Refused: the connection clears and drops what is queued.
            assert.ok(queue.bytes > 0 && queue.bytes + chunk.length > limit);
            const dropped = queue.bytes;
            queue.clear();
            expected[q].length -= dropped;
            assert.equal(queue.bytes, 0);
          }
          assert.equal(queue.bytes + got[q].length, expected[q].length);
        }
      } else if (what < 0.65) take(Math.floor(next() * queues.length));
      else if (what < 0.75) {
        // The writers of a burst's recipients, in some order (a flood's pattern).
        const start = Math.floor(next() * queues.length);
        for (let i = 0; i < queues.length; i++) take((start + i) % queues.length);
      } else if (what < 0.85) {
        take(Math.floor(next() * queues.length), Math.floor(next() * 600));
      } else if (what < 0.92) {
        for (const queue of queues) queue.consolidate();
      } else if (what < 0.96) {
        const q = Math.floor(next() * queues.length);
        if (queues[q].bytes === 0) queues[q].trim();
        else queues[q].consolidate();
      } else {
        const q = Math.floor(next() * queues.length);
        checkLast(q);
        queues[q].release();
        last[q] = undefined;
      }
      for (let q = 0; q < queues.length; q++) checkLast(q);
    }
    for (let q = 0; q < queues.length; q++) {
      take(q);
      assert.equal(queues[q].bytes, 0);
      assert.deepEqual(got[q], expected[q], `queue ${q}`);
    }
  });
}
