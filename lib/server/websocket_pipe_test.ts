import assert from "node:assert/strict";
import { Connection } from "./connection.ts";
import type { Pipe } from "./outbox.ts";
import { type FrameWriter, WebSocketPipe } from "./websocket_pipe.ts";

/**
 * Writes that the network holds until the test lets them through: what was
 * handed to a write and not finished yet, as with a reader that is busy for
 * a moment.
 */
class HeldWrites {
  readonly delivered: Uint8Array[] = [];
  #held: { bytes: Uint8Array; done: () => void }[] = [];

  /** Bytes handed to writes that have not finished. */
  get heldBytes(): number {
    return this.#held.reduce((sum, write) => sum + write.bytes.length, 0);
  }

  hold(bytes: Uint8Array, done: () => void): void {
    this.#held.push({ bytes: bytes.slice(), done });
  }

  /** Finishes every write held so far. */
  release(): void {
    const held = this.#held;
    this.#held = [];
    for (const write of held) {
      this.delivered.push(write.bytes);
      write.done();
    }
  }
}

/** A TCP socket double for `Connection`. */
function heldConn(writes: HeldWrites): Deno.Conn {
  let release: (() => void) | undefined;
  return {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    read: () => new Promise<null>((resolve) => (release = () => resolve(null))),
    write: (bytes: Uint8Array) =>
      new Promise<number>((resolve) => writes.hold(bytes, () => resolve(bytes.length))),
    close: () => release?.(),
  } as unknown as Deno.Conn;
}

/** An npm `ws` socket double for `WebSocketPipe` (it only reads; the pipe writes below it). */
const idleWebSocket = {
  on: () => {},
  pause: () => {},
  resume: () => {},
  close: () => {},
  terminate: () => {},
} as unknown as ConstructorParameters<typeof WebSocketPipe>[0];

/** The socket under the WebSocket, whose writes the test holds. */
function heldRaw(writes: HeldWrites): FrameWriter {
  return { write: (bytes, done) => writes.hold(bytes, () => done()) };
}

/** Frame `n`, 4000 bytes. */
const frame = (n: number) =>
  new TextEncoder().encode(`${String(n).padStart(4, "0")} ${"x".repeat(3994)}\n`);
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** The numbered lines the held writes delivered, in order. */
function deliveredNumbers(writes: HeldWrites): number[] {
  const text = new TextDecoder().decode(
    new Uint8Array(writes.delivered.flatMap((bytes) => [...bytes])),
  );
  return text.split("\n").slice(0, -1).map((line) => Number.parseInt(line));
}

/**
 * Two bursts of 48 KiB at a 64 KiB bound, the second while the first is
 * still being written: nothing overflows; a third burst does.
 */
async function burstsWhileWriting(pipe: Pipe, writes: HeldWrites): Promise<void> {
  let overflowed = false;
  pipe.overflowListener = { overflowed: () => (overflowed = true) };
  for (let i = 0; i < 12; i++) pipe.send(frame(i));
  await turn();
  assert.equal(writes.heldBytes, 48_000, "the first burst is being written");
  for (let i = 12; i < 24; i++) pipe.send(frame(i));
  await turn();
  assert.equal(overflowed, false, "a burst behind a write in flight fits");
  assert.equal(pipe.queuedBytes, 48_000);
  writes.release();
  await turn();
  writes.release();
  await turn();
  assert.deepEqual(deliveredNumbers(writes), Array.from({ length: 24 }, (_, i) => i));
  // The bound still holds: a write in flight, 48 KiB queued, and 20 KiB more.
  for (let i = 0; i < 12; i++) pipe.send(frame(i));
  await turn();
  for (let i = 0; i < 17; i++) pipe.send(frame(i));
  await turn();
  assert.equal(overflowed, true, "past the bound, it overflows");
  pipe.close();
}

Deno.test("Connection: at a 64 KiB bound, a burst queued behind a write in flight fits; more overflows", async () => {
  const writes = new HeldWrites();
  await burstsWhileWriting(
    new Connection(heldConn(writes), { sendQueueBytes: 64 * 1024 }),
    writes,
  );
});

Deno.test("WebSocketPipe counts as Connection does: the write in flight does not count against the bound", async () => {
  const writes = new HeldWrites();
  await burstsWhileWriting(
    new WebSocketPipe(idleWebSocket, {
      raw: heldRaw(writes),
      sendQueueBytes: 64 * 1024,
      remote: "127.0.0.1:1",
    }),
    writes,
  );
});

/** `count` frames of 60 bytes, each a part of another 2 KiB slab. */
const slabFrames = (count: number) =>
  Array.from({ length: count }, (_, i) => {
    const part = new Uint8Array(2048).subarray(0, 60);
    part.set(new TextEncoder().encode(`${String(i).padStart(4, "0")} ${"y".repeat(54)}\n`));
    return part;
  });

for (const kind of ["Connection", "Connection in TLS slices", "WebSocketPipe"] as const) {
  Deno.test(`${kind}: compact() behind a write that does not finish bounds what the queue keeps alive, and all arrives in order`, async () => {
    const writes = new HeldWrites();
    const pipe = kind === "WebSocketPipe"
      ? new WebSocketPipe(idleWebSocket, {
        raw: heldRaw(writes),
        sendQueueBytes: 1024 * 1024,
        remote: "127.0.0.1:1",
      })
      : new Connection(heldConn(writes), {
        sendQueueBytes: 1024 * 1024,
        maxWriteBytes: kind === "Connection" ? Infinity : 1000,
      });
    const frames = slabFrames(201);
    pipe.send(frames[0]);
    await turn();
    for (const part of frames.slice(1)) pipe.send(part);
    await turn();
    assert.equal(pipe.retainedBytes, 200 * 2048);
    pipe.compact();
    pipe.compact();
    assert.equal(pipe.queuedBytes, 200 * 60);
    assert.equal(pipe.retainedBytes, 200 * 60);
    for (let i = 0; i < 20 && pipe.queuedBytes + writes.heldBytes > 0; i++) {
      writes.release();
      await turn();
    }
    assert.deepEqual(deliveredNumbers(writes), Array.from({ length: 201 }, (_, i) => i));
    pipe.close();
  });
}

Deno.test("WebSocketPipe.end() hands everything queued and the goodbye to the socket, behind a long frame and a write in flight", async () => {
  const writes = new HeldWrites();
  const pipe = new WebSocketPipe(idleWebSocket, {
    raw: heldRaw(writes),
    sendQueueBytes: 1024 * 1024,
    remote: "127.0.0.1:1",
  });
  const line = (n: number, length: number) =>
    new TextEncoder().encode(`${String(n).padStart(4, "0")} ${"z".repeat(length)}\n`);
  pipe.send(line(0, 10_000));
  await turn(); // the first write is in flight
  // A frame of 8 KiB or more leaves in a take of its own (send_queue.ts): end() must not stop there.
  pipe.send(line(1, 10_000));
  pipe.send(line(2, 10));
  pipe.end(line(3, 3)); // the goodbye
  for (let i = 0; i < 5; i++) {
    writes.release();
    await turn();
  }
  assert.deepEqual(deliveredNumbers(writes), [0, 1, 2, 3]);
  pipe.close();
});
