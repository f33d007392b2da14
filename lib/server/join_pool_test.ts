import assert from "node:assert/strict";
import { SendQueue } from "./send_queue.ts";
import { joinPoolBytes, trimJoinPool } from "./join_pool.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

/** Empties the join pool (a sweep with no join since the last one lets its buffers go). */
function emptyJoinPool(): void {
  trimJoinPool();
  trimJoinPool();
  assert.equal(joinPoolBytes(), 0);
}

Deno.test("SendQueue.take() joins into a pooled buffer that goes back when written() says its write is done", () => {
  emptyJoinPool();
  const queue = new SendQueue(1 << 20);
  queue.push(bytes(1, 2));
  queue.push(bytes(3));
  const first = queue.take();
  assert.deepEqual(first, bytes(1, 2, 3));
  assert.equal(first.buffer.byteLength, 4096, "the smallest pooled buffer");
  // Taken again without written(): the first write may still read its bytes, so a fresh buffer.
  queue.push(bytes(4));
  queue.push(bytes(5, 6));
  const second = queue.take();
  assert.deepEqual(second, bytes(4, 5, 6));
  assert.notEqual(second.buffer, first.buffer);
  assert.deepEqual(first, bytes(1, 2, 3), "a join is not written over while its write may read it");
  queue.written();
  assert.equal(joinPoolBytes(), 4096, "given back");
  // Any queue's next join of that size class reuses it.
  const other = new SendQueue(1 << 20);
  other.push(bytes(7));
  other.push(bytes(8, 9));
  const third = other.take();
  assert.deepEqual(third, bytes(7, 8, 9));
  assert.equal(third.buffer, second.buffer, "the buffer given back is reused");
  assert.equal(joinPoolBytes(), 0);
  // release() lets the buffer go without giving it back (a write that may still read it).
  other.release();
  other.written();
  assert.equal(joinPoolBytes(), 0);
  assert.deepEqual(third, bytes(7, 8, 9));
  // A view of one chunk is not pooled: written() gives nothing back.
  other.push(bytes(1));
  other.take();
  other.written();
  assert.equal(joinPoolBytes(), 0);
  // Sizes round up to a power of two; past 1 MiB a join gets a buffer of its own, never pooled.
  for (let i = 0; i < 20; i++) queue.push(new Uint8Array(4000).fill(i));
  const mid = queue.take();
  assert.equal(mid.length, 80_000);
  assert.deepEqual([mid[0], mid[3999], mid[4000], mid[79_999]], [0, 0, 1, 19]);
  assert.equal(mid.buffer.byteLength, 128 * 1024);
  queue.written();
  assert.equal(joinPoolBytes(), 128 * 1024);
  const huge = new SendQueue(4 << 20);
  for (let i = 0; i < 300; i++) huge.push(new Uint8Array(4000).fill(i % 256));
  const big = huge.take();
  assert.equal(big.buffer.byteLength, 1_200_000, "made to measure");
  huge.written();
  assert.equal(joinPoolBytes(), 128 * 1024);
  // A sweep after joins keeps the idle buffers; the next one with none since lets them go.
  trimJoinPool();
  assert.equal(joinPoolBytes(), 128 * 1024);
  trimJoinPool();
  assert.equal(joinPoolBytes(), 0);
});

Deno.test("SendQueue: a join shared after its first queue gave the buffer back is made again, not read from the reused buffer", () => {
  emptyJoinPool();
  const a = new SendQueue(1 << 20);
  const b = new SendQueue(1 << 20);
  const c = new SendQueue(1 << 20);
  const x = bytes(1, 2);
  const y = bytes(3);
  for (const queue of [a, b]) {
    queue.push(x);
    queue.push(y);
  }
  const fromA = a.take();
  assert.deepEqual(fromA, bytes(1, 2, 3));
  a.written();
  // Another queue's join now takes A's buffer and writes other bytes into it (a slice, as a TLS
  // writer takes: a join that is not offered for sharing).
  c.push(bytes(9, 9));
  c.push(bytes(9));
  c.push(bytes(9));
  const slice = c.take(3);
  assert.deepEqual(slice, bytes(9, 9, 9));
  assert.equal(slice.buffer, fromA.buffer);
  // B holds the chunks A joined: its bytes are still its own.
  assert.deepEqual(b.take(), bytes(1, 2, 3));
});
