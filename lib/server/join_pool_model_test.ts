import assert from "node:assert/strict";
import { SendQueue } from "./send_queue.ts";
import { trimJoinPool } from "./join_pool.ts";
import { mulberry32 } from "../../tests/fuzz/random.ts";

/*
 * send_queue_model_test.ts with what it leaves out: long runs (8 KiB or more, taken as views),
 * 64 KiB slabs, limits past which a queue joins everything, and the writer's written() that gives a
 * join buffer back to the pool, which any queue's next join may then write over. Each queue's write
 * in flight is checked intact when its writer says it is done (or lets it go).
 */

/** A seeded generator, so that a failure replays. */
const random = mulberry32;

function chunkMaker(next: () => number): () => Uint8Array {
  let slab = new Uint8Array(64 * 1024);
  let used = 0;
  let stamp = 0;
  return () => {
    const r = next();
    const size = r < 0.05
      ? 0
      : r < 0.15
      ? 8000 + Math.floor(next() * 20000)
      : 1 + Math.floor(next() * 600);
    if (size > 512) {
      const own = new Uint8Array(size);
      for (let i = 0; i < size; i++) own[i] = stamp++ & 0xff;
      return own;
    }
    if (used + size > slab.length) {
      slab = new Uint8Array(64 * 1024);
      used = 0;
    }
    for (let i = 0; i < size; i++) slab[used + i] = stamp++ & 0xff;
    const part = slab.subarray(used, used + size);
    used += size;
    return part;
  };
}

for (let seed = 1; seed <= 6; seed++) {
  Deno.test(`SendQueue pool model (seed ${seed}): a write in flight is never written over before written() (one let go by release(), never), every byte leaves once, in order`, () => {
    const next = random(seed * 7919);
    const make = chunkMaker(next);
    const limit = 64 * 1024 + Math.floor(next() * 512 * 1024);
    const n = 4;
    // Half the seeds as Deno's own TCP writer takes (long runs alone), half as node:tls and WebSocket.
    const queues = Array.from({ length: n }, () => new SendQueue(limit, seed % 2 === 1));
    const expected: number[][] = queues.map(() => []);
    const got: number[][] = queues.map(() => []);
    // The write in flight of each queue: must stay intact until written().
    const inFlight: ({ bytes: Uint8Array; copy: Uint8Array } | undefined)[] = queues.map(() =>
      undefined
    );
    const abandoned: { bytes: Uint8Array; copy: Uint8Array }[] = [];
    const same = (a: Uint8Array, b: Uint8Array) =>
      a.length === b.length && a.every((v, i) => v === b[i]);
    const check = (q: number) => {
      const f = inFlight[q];
      if (f) assert.ok(same(f.bytes, f.copy), `seed ${seed}: queue ${q}'s write in flight changed`);
    };
    const finish = (q: number) => {
      check(q);
      if (!inFlight[q]) return;
      inFlight[q] = undefined;
      queues[q].written();
    };
    const take = (q: number, max?: number) => {
      finish(q);
      const bytes = queues[q].take(max);
      for (const v of bytes) got[q].push(v);
      inFlight[q] = { bytes, copy: bytes.slice() };
    };
    for (let step = 0; step < 800; step++) {
      const what = next();
      if (what < 0.5) {
        const chunk = make();
        for (let q = 0; q < n; q++) {
          if (next() < 0.1) continue;
          if (queues[q].push(chunk)) { for (const v of chunk) expected[q].push(v); }
          else {
            const dropped = queues[q].bytes;
            queues[q].clear();
            expected[q].length -= dropped;
          }
        }
      } else if (what < 0.62) take(Math.floor(next() * n));
      else if (what < 0.72) {
        const s = Math.floor(next() * n);
        for (let i = 0; i < n; i++) take((s + i) % n);
      } else if (what < 0.8) take(Math.floor(next() * n), 1 + Math.floor(next() * 70000));
      else if (what < 0.9) finish(Math.floor(next() * n));
      else if (what < 0.95) {
        for (const q of queues) q.consolidate();
        if (next() < 0.3) trimJoinPool();
      } else {
        const q = Math.floor(next() * n);
        check(q);
        queues[q].release();
        // Let go without a give-back (a write that may still read it): it must stay intact for good.
        if (inFlight[q]) abandoned.push(inFlight[q]!);
        inFlight[q] = undefined;
      }
    }
    for (let q = 0; q < n; q++) {
      while (queues[q].bytes > 0) take(q);
      finish(q);
      assert.equal(got[q].length, expected[q].length);
      assert.ok(
        got[q].every((v, i) => v === expected[q][i]),
        `seed ${seed} queue ${q} bytes differ`,
      );
    }
    for (const f of abandoned) {
      assert.ok(same(f.bytes, f.copy), `seed ${seed}: a write let go changed`);
    }
  });
}
