import assert from "node:assert/strict";
import { SendQueue } from "./send_queue.ts";

/** A buffer with bytes 0, 1, 2, ... and its parts, as a codec carves frames from a slab. */
function slab(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => i % 251);
}

Deno.test("SendQueue: parts pushed in the order they lie in one buffer leave as one run, without a copy", () => {
  const buffer = slab(64);
  const queue = new SendQueue(1000);
  queue.push(buffer.subarray(0, 10));
  queue.push(buffer.subarray(10, 25));
  queue.push(buffer.subarray(25, 26));
  assert.equal(queue.bytes, 26);
  const out = queue.take();
  assert.deepEqual(out, buffer.subarray(0, 26));
  assert.equal(out.buffer, buffer.buffer, "the run is the buffer's own bytes");
  assert.equal(out.byteOffset, 0);
  assert.equal(queue.bytes, 0);
});

Deno.test("SendQueue: parts that do not follow each other in one buffer are never run together", () => {
  const buffer = slab(64);
  const other = slab(64);
  const queue = new SendQueue(1000);
  const parts = [
    buffer.subarray(0, 8),
    buffer.subarray(9, 12), // a gap of one byte
    buffer.subarray(4, 9), // backwards
    other.subarray(9, 12), // where the last one ended, but in another buffer
    buffer.subarray(12, 20), // right after the second part, not after the last
    buffer.subarray(12, 20), // the same bytes again
  ];
  for (const part of parts) queue.push(part);
  const expected = parts.flatMap((part) => [...part]);
  assert.deepEqual([...queue.take()], expected);
});

Deno.test("SendQueue.take(max) hands out a run in slices, in order, and the rest still runs on", () => {
  const buffer = slab(100);
  const queue = new SendQueue(1000);
  for (let at = 0; at < 40; at += 5) queue.push(buffer.subarray(at, at + 5));
  const got: number[] = [];
  got.push(...queue.take(12));
  assert.equal(queue.bytes, 28);
  queue.push(buffer.subarray(40, 50)); // follows the run's tail
  got.push(...queue.take(20));
  got.push(...queue.take());
  assert.deepEqual(got, [...buffer.subarray(0, 50)]);
  assert.equal(queue.bytes, 0);
});

Deno.test("SendQueue: queues holding the same runs share one join; a queue that missed a part gets its own bytes", () => {
  const first = slab(30);
  const second = slab(30).reverse();
  // One view of each frame, shared by every recipient (as a codec's output is).
  const frames = [first, second].flatMap((buffer) =>
    [0, 10, 20].map((at) => buffer.subarray(at, at + 10))
  );
  const push = (queue: SendQueue, skip?: number) => {
    frames.forEach((frame, i) => i !== skip && queue.push(frame));
  };
  const [a, b, c, sender] = Array.from({ length: 4 }, () => new SendQueue(1000));
  push(a);
  push(b);
  push(c);
  push(sender, 1); // its own message is not sent back to it
  const fromA = a.take();
  const fromB = b.take();
  const fromC = c.take();
  const fromSender = sender.take();
  const all = [...first, ...second];
  assert.deepEqual([...fromA], all);
  assert.deepEqual([...fromB], all);
  assert.deepEqual([...fromC], all);
  assert.equal(fromB.buffer, fromC.buffer, "the second and third queue share one join");
  assert.notEqual(fromSender.buffer, fromC.buffer);
  assert.deepEqual([...fromSender], [...first.subarray(0, 10), ...first.subarray(20), ...second]);
});

Deno.test("SendQueue: a run still counts against the limit part by part", () => {
  const buffer = slab(64);
  const queue = new SendQueue(20);
  assert.equal(queue.push(buffer.subarray(0, 15)), true);
  assert.equal(
    queue.push(buffer.subarray(15, 25)),
    false,
    "past the limit, even right after the last part",
  );
  assert.equal(queue.push(buffer.subarray(15, 20)), true);
  assert.equal(queue.bytes, 20);
  assert.deepEqual(queue.take(), buffer.subarray(0, 20));
});

Deno.test("SendQueue.consolidate() behind a stalled write makes a run's bytes a piece of their own", () => {
  const buffers = Array.from({ length: 4 }, () => slab(2048));
  const queue = new SendQueue(1 << 20);
  // Half of each slab queued as runs of 16 parts: the slabs are kept alive whole.
  for (const buffer of buffers) {
    for (let at = 0; at < 1024; at += 64) queue.push(buffer.subarray(at, at + 64));
  }
  assert.equal(queue.retainedBytes(), 4 * 2048);
  queue.consolidate(); // the sweep before: marks what waits
  queue.consolidate(); // a sweep with no take between: the write stalled
  assert.equal(queue.retainedBytes(), 4 * 1024, "only the queued bytes are kept alive");
  // A part that follows a piece's bytes in the old slab is not run into the piece.
  queue.push(buffers[3].subarray(1024, 1100));
  const out = queue.take();
  assert.deepEqual(
    [...out],
    [
      ...buffers.flatMap((buffer) => [...buffer.subarray(0, 1024)]),
      ...buffers[3].subarray(1024, 1100),
    ],
  );
});

Deno.test("SendQueue.consolidate() behind a stalled write keeps none of the slabs alive, not even the last part's", async () => {
  // In a process of its own: collecting garbage needs --expose-gc.
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--v8-flags=--expose-gc",
      new URL("./_send_queue_retention.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  assert.equal(decoder.decode(stdout).trim(), "0", "slabs still alive");
});
