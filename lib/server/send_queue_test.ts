import assert from "node:assert/strict";
import { SendQueue } from "./send_queue.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("SendQueue starts empty and take() returns no bytes", () => {
  const queue = new SendQueue(10);
  assert.equal(queue.bytes, 0);
  const taken = queue.take();
  assert.ok(taken instanceof Uint8Array);
  assert.equal(taken.length, 0);
});

Deno.test("SendQueue.push() counts the queued bytes", () => {
  const queue = new SendQueue(10);
  assert.equal(queue.push(bytes(1, 2, 3)), true);
  assert.equal(queue.push(bytes(4)), true);
  assert.equal(queue.bytes, 4);
});

Deno.test("SendQueue.take() joins the queued chunks in order and empties the queue", () => {
  const queue = new SendQueue(100);
  queue.push(bytes(1, 2));
  queue.push(bytes(3));
  queue.push(bytes(4, 5, 6));
  assert.deepEqual(queue.take(), bytes(1, 2, 3, 4, 5, 6));
  assert.equal(queue.bytes, 0);
  assert.equal(queue.take().length, 0);
});

Deno.test("SendQueue.take() of a single chunk returns its bytes", () => {
  const queue = new SendQueue(100);
  queue.push(bytes(7, 8, 9));
  assert.deepEqual(queue.take(), bytes(7, 8, 9));
  assert.equal(queue.bytes, 0);
});

Deno.test("SendQueue.push() accepts a chunk that fills the queue exactly to the limit", () => {
  const queue = new SendQueue(5);
  assert.equal(queue.push(bytes(1, 2, 3)), true);
  assert.equal(queue.push(bytes(4, 5)), true);
  assert.equal(queue.bytes, 5);
});

Deno.test("SendQueue.push() refuses a chunk that would pass the limit and queues nothing", () => {
  const queue = new SendQueue(5);
  queue.push(bytes(1, 2, 3, 4));
  assert.equal(queue.push(bytes(5, 6)), false);
  assert.equal(queue.bytes, 4);
  assert.deepEqual(queue.take(), bytes(1, 2, 3, 4));
});

Deno.test("SendQueue.push() takes a chunk larger than the limit into an empty queue", () => {
  const queue = new SendQueue(4);
  assert.equal(queue.push(new Uint8Array(10)), true);
  assert.equal(queue.bytes, 10);
  assert.equal(queue.push(bytes(1)), false, "nothing more fits behind the large chunk");
  assert.equal(queue.bytes, 10);
});

Deno.test("SendQueue.pushFinal() queues past the limit", () => {
  const queue = new SendQueue(4);
  queue.push(bytes(1, 2, 3, 4));
  queue.pushFinal(bytes(5, 6, 7));
  assert.equal(queue.bytes, 7);
  assert.deepEqual(queue.take(), bytes(1, 2, 3, 4, 5, 6, 7));
});

Deno.test("SendQueue.clear() drops everything queued", () => {
  const queue = new SendQueue(10);
  queue.push(bytes(1, 2, 3));
  queue.pushFinal(bytes(4));
  queue.clear();
  assert.equal(queue.bytes, 0);
  assert.equal(queue.take().length, 0);
});

Deno.test("SendQueue accepts a full limit again after take()", () => {
  const queue = new SendQueue(3);
  queue.push(bytes(1, 2, 3));
  assert.equal(queue.push(bytes(4)), false);
  queue.take();
  assert.equal(queue.push(bytes(4, 5, 6)), true);
  assert.deepEqual(queue.take(), bytes(4, 5, 6));
});

Deno.test("SendQueue.take(max) hands out at most max bytes, in order, splitting a chunk that does not fit", () => {
  const queue = new SendQueue(1000);
  queue.push(bytes(1, 2, 3));
  queue.push(bytes(4, 5));
  queue.push(bytes(6, 7, 8, 9));
  assert.deepEqual([...queue.take(6)], [1, 2, 3, 4, 5]); // Whole chunks that fit.
  assert.equal(queue.bytes, 4);
  assert.deepEqual([...queue.take(3)], [6, 7, 8]); // A chunk bigger than max is split.
  assert.deepEqual([...queue.take(3)], [9]);
  assert.equal(queue.bytes, 0);
  queue.push(bytes(1, 2));
  assert.deepEqual([...queue.take(10)], [1, 2]);
});

Deno.test("SendQueue: queues holding the same chunks share one join, which later joins never overwrite", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const text = (data: Uint8Array) => new TextDecoder().decode(data);
  const [a, b] = [bytes("frame a\n"), bytes("frame b\n")];
  const queues = [new SendQueue(1024), new SendQueue(1024), new SendQueue(1024)];
  for (const queue of queues) {
    queue.push(a);
    queue.push(b);
  }
  const first = queues[0].take();
  const second = queues[1].take();
  const third = queues[2].take();
  assert.equal(text(first), "frame a\nframe b\n");
  assert.equal(text(second), "frame a\nframe b\n");
  assert.strictEqual(third, second, "the third takes the shared join");
  // The first queue joins again into its reused buffer: the shared join stays as it was.
  queues[0].push(bytes("other 1\n"));
  queues[0].push(bytes("other 2\n"));
  assert.equal(text(queues[0].take()), "other 1\nother 2\n");
  queues[1].push(bytes("later x\n"));
  queues[1].push(bytes("later y\n"));
  assert.equal(text(queues[1].take()), "later x\nlater y\n");
  assert.equal(text(second), "frame a\nframe b\n");
  assert.equal(text(third), "frame a\nframe b\n");
});

Deno.test("SendQueue: a queue with the same chunks as a join since overwritten still gets its own bytes", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const text = (data: Uint8Array) => new TextDecoder().decode(data);
  const [a, b] = [bytes("frame a\n"), bytes("frame b\n")];
  const one = new SendQueue(1024);
  const two = new SendQueue(1024);
  for (const queue of [one, two]) {
    queue.push(a);
    queue.push(b);
  }
  one.take();
  // `one` writes again, a slice of several chunks (as over TLS), into its reused buffer.
  for (const part of ["xxxxxxx\n", "yyyyyyy\n", "zzzzzzz\n"]) one.push(bytes(part));
  assert.equal(text(one.take(16)), "xxxxxxx\nyyyyyyy\n");
  assert.equal(text(two.take()), "frame a\nframe b\n");
});

Deno.test("SendQueue keeps order across bursts of different sizes, partial takes and release()", () => {
  const queue = new SendQueue(1 << 20);
  let next = 0;
  const burst = (count: number) => {
    const expected: number[] = [];
    for (let i = 0; i < count; i++) {
      const value = next++ & 0xff;
      queue.push(bytes(value));
      expected.push(value);
    }
    return expected;
  };
  // A long burst, then shorter ones: no chunk of an earlier burst comes back.
  for (const count of [1000, 3, 1, 300, 2]) {
    const expected = burst(count);
    assert.deepEqual([...queue.take()], expected);
    assert.equal(queue.bytes, 0);
    assert.equal(queue.take().length, 0);
  }
  // A partial take leaves the rest in order, and more can queue behind it.
  const first = burst(10);
  assert.deepEqual([...queue.take(4)], first.slice(0, 4));
  const second = burst(5);
  assert.deepEqual([...queue.take(3)], first.slice(4, 7));
  assert.deepEqual([...queue.take()], [...first.slice(7), ...second]);
  // Emptied and released after a burst longer than the slots it keeps: it still queues in order.
  burst(500);
  queue.take();
  queue.release();
  assert.deepEqual([...queue.take()], []);
  const after = burst(20);
  queue.clear();
  assert.equal(queue.bytes, 0);
  assert.equal(after.length, 20);
  const last = burst(7);
  assert.deepEqual([...queue.take()], last);
});

Deno.test("SendQueue.trim() keeps what is queued, and the queue works on after trimming an empty one", () => {
  const queue = new SendQueue(100);
  queue.push(bytes(1, 2));
  queue.push(bytes(3));
  queue.trim();
  assert.equal(queue.bytes, 3);
  assert.deepEqual(queue.take(), bytes(1, 2, 3));
  queue.trim();
  assert.equal(queue.bytes, 0);
  queue.push(bytes(4));
  queue.push(bytes(5, 6));
  assert.deepEqual(queue.take(), bytes(4, 5, 6));
});

/** `count` parts of `size` bytes, each carved from another 2 KiB slab (as `utf8Bytes` hands out). */
function slabParts(count: number, size: number, first = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const slab = new Uint8Array(2048);
    const part = slab.subarray(100, 100 + size);
    part.fill((first + i) % 256);
    return part;
  });
}

/** Bytes copied by `Uint8Array.prototype.set` while `run` runs. */
function copiedBy(run: () => void): number {
  const set = Uint8Array.prototype.set;
  let copied = 0;
  Uint8Array.prototype.set = function (this: Uint8Array, source: ArrayLike<number>, at?: number) {
    copied += source.length;
    return set.call(this, source, at);
  };
  try {
    run();
  } finally {
    Uint8Array.prototype.set = set;
  }
  return copied;
}

Deno.test("SendQueue.consolidate() behind a stalled write joins parts of many slabs into pieces of their own, copying each byte once", () => {
  const queue = new SendQueue(1024 * 1024);
  queue.push(bytes(0));
  queue.take(); // The write in flight, which never finishes.
  const parts = slabParts(300, 60);
  for (const part of parts) queue.push(part);
  assert.equal(queue.retainedBytes(), 300 * 2048);
  // The first sweep sees a take since the last: the write may still be moving.
  assert.equal(copiedBy(() => queue.consolidate()), 0);
  assert.equal(queue.retainedBytes(), 300 * 2048);
  // The next one sees none: everything queued is joined.
  assert.equal(copiedBy(() => queue.consolidate()), 300 * 60);
  assert.equal(queue.retainedBytes(), queue.bytes);
  // Later parts are joined at the next sweep; the pieces made are not copied again.
  const later = slabParts(100, 60, 300);
  for (const part of later) queue.push(part);
  assert.equal(copiedBy(() => queue.consolidate()), 100 * 60);
  assert.equal(queue.retainedBytes(), queue.bytes);
  assert.equal(copiedBy(() => queue.consolidate()), 0, "nothing new, nothing copied");
  // Fewer than a few new parts wait for the next sweep, then go with the others.
  const few = slabParts(3, 60, 400);
  for (const part of few) queue.push(part);
  assert.equal(copiedBy(() => queue.consolidate()), 0);
  const more = slabParts(3, 60, 403);
  for (const part of more) queue.push(part);
  assert.equal(copiedBy(() => queue.consolidate()), 6 * 60);
  assert.equal(queue.retainedBytes(), queue.bytes);
  const expected = [...parts, ...later, ...few, ...more].flatMap((part) => [...part]);
  assert.deepEqual(drain(queue), expected);
});

/** Everything queued, take after take, as the writer takes it. */
function drain(queue: SendQueue): number[] {
  const out: number[] = [];
  while (queue.bytes > 0) out.push(...queue.take());
  return out;
}

Deno.test("SendQueue.take() with longRunsAlone: a run of 8 KiB or more leaves alone and as it is, short chunks before it joined; past a quarter of the limit, all joined", () => {
  const queue = new SendQueue(1 << 20, true);
  const slab = new Uint8Array(64 * 1024).map((_, i) => i % 251);
  // Short chunks, then a long run made of consecutive parts of one slab (as a codec carves lines),
  // then a short chunk.
  queue.push(bytes(1, 2));
  queue.push(bytes(3));
  queue.push(slab.subarray(0, 5000));
  queue.push(slab.subarray(5000, 9000));
  queue.push(bytes(4, 5));
  assert.deepEqual(queue.take(), bytes(1, 2, 3), "the short chunks before the run, joined");
  const run = queue.take();
  assert.equal(run.buffer, slab.buffer, "the run itself, not a copy");
  assert.equal(run.byteOffset, 0);
  assert.equal(run.length, 9000);
  assert.deepEqual(queue.take(), bytes(4, 5));
  assert.equal(queue.bytes, 0);
  // Two long runs of different slabs: one write each, no copy.
  const other = new Uint8Array(20_000).fill(9);
  queue.push(slab.subarray(0, 10_000));
  queue.push(other.subarray(0, 10_000));
  assert.equal(
    copiedBy(() => {
      assert.equal(queue.take().buffer, slab.buffer);
      assert.equal(queue.take().buffer, other.buffer);
    }),
    0,
  );
  // Short chunks of many slabs, as a stalled reader's: one join of all.
  for (const part of slabParts(200, 60)) queue.push(part);
  assert.equal(queue.take().length, 200 * 60);
  assert.equal(queue.bytes, 0);
  // Long frames of their own past a quarter of the limit (a fast reader's backlog): one write of
  // all that fits, so that it drains in few writes before it overflows; under it, a frame a write.
  for (let i = 0; i < 50; i++) queue.push(new Uint8Array(12_000).fill(i));
  const backlog = queue.take();
  assert.equal(backlog.length, 50 * 12_000);
  assert.deepEqual([backlog[0], backlog[12_000], backlog[599_999]], [0, 1, 49]);
  for (let i = 0; i < 3; i++) queue.push(new Uint8Array(12_000).fill(i));
  assert.equal(queue.take().length, 12_000);
  assert.equal(queue.take(16_000).length, 12_000, "within max, the same");
  assert.equal(queue.take().length, 12_000);
  // Without longRunsAlone (node:tls, WebSocket: a write costs more than the copy), all is joined.
  const joining = new SendQueue(1 << 20);
  joining.push(slab.subarray(0, 10_000));
  joining.push(other.subarray(0, 10_000));
  const all = joining.take();
  assert.equal(all.length, 20_000);
  assert.notEqual(all.buffer, slab.buffer);
});

Deno.test("SendQueue.consolidate() leaves alone a queue taken from since the last sweep: a flood's queues keep sharing one join", () => {
  const queues = [
    new SendQueue(1024 * 1024),
    new SendQueue(1024 * 1024),
    new SendQueue(1024 * 1024),
  ];
  for (const queue of queues) queue.consolidate();
  const parts = slabParts(50, 60);
  for (const queue of queues) {
    queue.take(); // It writes between the two sweeps.
    for (const part of parts) queue.push(part);
  }
  assert.equal(copiedBy(() => queues.forEach((queue) => queue.consolidate())), 0);
  queues[0].take();
  assert.strictEqual(queues[2].take(), queues[1].take(), "the second and third share a join");
});

Deno.test("SendQueue.consolidate() behind a slow reader's slices (TLS) joins what waited through a sweep, in order", () => {
  const queue = new SendQueue(1024 * 1024);
  const parts = slabParts(400, 60);
  const taken: number[] = [];
  for (const part of parts.slice(0, 200)) queue.push(part);
  taken.push(...queue.take(1000));
  queue.consolidate();
  // A slice a sweep: the queue moves, and 100 more parts come meanwhile.
  taken.push(...queue.take(1000));
  for (const part of parts.slice(200, 300)) queue.push(part);
  queue.consolidate();
  // What waited through the last sweep is joined; the newer parts are not yet.
  assert.equal(queue.retainedBytes(), queue.bytes - 100 * 60 + 100 * 2048);
  taken.push(...queue.take(1000));
  for (const part of parts.slice(300)) queue.push(part);
  queue.consolidate();
  // The piece being sliced keeps its head (1000 bytes written) until it is done.
  assert.equal(queue.retainedBytes(), queue.bytes - 100 * 60 + 100 * 2048 + 1000);
  while (queue.bytes > 0) taken.push(...queue.take(1000));
  assert.deepEqual(taken, parts.flatMap((part) => [...part]));
});

Deno.test("SendQueue.consolidate() makes pieces of at most 64 KiB, and keeps a chunk that is a whole buffer as it is", () => {
  const queue = new SendQueue(4 * 1024 * 1024);
  queue.take();
  queue.consolidate();
  const parts = slabParts(3000, 60);
  const big = new Uint8Array(100_000).fill(7);
  for (const part of parts.slice(0, 1500)) queue.push(part);
  queue.push(big);
  for (const part of parts.slice(1500)) queue.push(part);
  assert.equal(copiedBy(() => queue.consolidate()), 3000 * 60);
  assert.equal(queue.retainedBytes(), queue.bytes);
  // Slices of 64 KiB: the first is a whole piece, handed out as it is.
  const first = queue.take(64 * 1024);
  assert.equal(first.byteLength, first.buffer.byteLength);
  assert.ok(first.length > 60_000 && first.length <= 64 * 1024, `${first.length}`);
  const rest: number[] = [...first];
  while (queue.bytes > 0) rest.push(...queue.take(64 * 1024));
  const expected = [...parts.slice(0, 1500), big, ...parts.slice(1500)].flatMap((p) => [...p]);
  assert.deepEqual(rest, expected);
});

Deno.test("SendQueue.consolidate() behind a stalled write joins even a few parts once they waited through a sweep", () => {
  const queue = new SendQueue(1024 * 1024);
  queue.push(bytes(0));
  queue.take(); // The write in flight, which never finishes.
  queue.consolidate();
  // Three short lines, each a part of another slab, and no more: nothing else comes to join them.
  const few = slabParts(3, 60);
  for (const part of few) queue.push(part);
  assert.equal(copiedBy(() => queue.consolidate()), 0, "fewer than a few new parts wait a sweep");
  assert.equal(queue.retainedBytes(), 3 * 2048);
  assert.equal(copiedBy(() => queue.consolidate()), 3 * 60, "then they are joined");
  assert.equal(queue.retainedBytes(), queue.bytes);
  assert.deepEqual(drain(queue), few.flatMap((part) => [...part]));
});
