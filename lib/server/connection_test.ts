import assert from "node:assert/strict";
import { Connection } from "./connection.ts";
import { freeReadBuffers, MIN_READ_BYTES } from "./read_buffers.ts";

/** A socket double: records writes, never delivers input until closed. */
class FakeConn {
  readonly writes: Uint8Array[] = [];
  closed = false;
  #release: (() => void) | undefined;
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  read(_buffer: Uint8Array): Promise<number | null> {
    return new Promise((resolve) => (this.#release = () => resolve(null)));
  }
  write(bytes: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Error("closed"));
    this.writes.push(bytes.slice());
    return Promise.resolve(bytes.length);
  }
  close(): void {
    this.closed = true;
    this.#release?.();
  }
}

const bytes = (text: string) => new TextEncoder().encode(text);
const written = (conn: FakeConn) => conn.writes.map((b) => new TextDecoder().decode(b)).join("");

Deno.test("Connection coalesces frames queued together into one write", async () => {
  const fake = new FakeConn();
  const connection = new Connection(fake as unknown as Deno.Conn, { sendQueueBytes: 1024 });
  connection.send(bytes("a\n"));
  connection.send(bytes("b\n"));
  connection.send(bytes("c\n"));
  await connection.end();
  assert.deepEqual(fake.writes.length, 1);
  assert.equal(written(fake), "a\nb\nc\n");
  assert.equal(fake.closed, true);
});

Deno.test("Connection overflow: the handler's goodbye is still written, even when the writer was just woken", async () => {
  const fake = new FakeConn();
  const connection = new Connection(fake as unknown as Deno.Conn, { sendQueueBytes: 10 });
  await new Promise((resolve) => setTimeout(resolve, 0)); // the writer goes idle
  let overflowed = 0;
  connection.overflowListener = {
    overflowed() {
      overflowed++;
      void connection.end(bytes("bye\n"));
    },
  };
  // The first send wakes the idle writer; the second overflows in the same tick.
  connection.send(bytes("x".repeat(26)));
  connection.send(bytes("12345"));
  connection.send(bytes("ignored after the overflow"));
  await connection.done;
  assert.equal(overflowed, 1);
  assert.equal(written(fake), "bye\n", "the queue was dropped, the goodbye sent");
  assert.equal(fake.closed, true);
});

Deno.test("Connection without an overflow handler closes at once on overflow", async () => {
  const fake = new FakeConn();
  const connection = new Connection(fake as unknown as Deno.Conn, { sendQueueBytes: 4 });
  connection.send(bytes("1234"));
  connection.send(bytes("5"));
  await connection.done;
  assert.equal(fake.closed, true);
  assert.equal(connection.ending, true);
});

/** A socket double whose writes never finish: a reader that stopped reading. */
class StuckConn extends FakeConn {
  override write(bytes: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Error("closed"));
    this.writes.push(bytes.slice());
    return new Promise(() => {});
  }
}

Deno.test("Connection: a broadcast to more connections than the writes allowed in flight reaches all, each in order", async () => {
  const fakes = Array.from({ length: 1000 }, () => new FakeConn());
  const connections = fakes.map((fake) =>
    new Connection(fake as unknown as Deno.Conn, { sendQueueBytes: 1024 })
  );
  for (const connection of connections) connection.send(bytes("a\n"));
  for (const connection of connections) connection.send(bytes("b\n"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (const connection of connections) connection.send(bytes("c\n"));
  await Promise.all(connections.map((connection) => connection.end()));
  for (const fake of fakes) assert.equal(written(fake), "a\nb\nc\n");
});

Deno.test("Connection: writes that never finish (readers that stopped) do not hold up the others", async () => {
  const stuck = Array.from({ length: 300 }, () => new StuckConn());
  const stuckConnections = stuck.map((fake) =>
    new Connection(fake as unknown as Deno.Conn, { sendQueueBytes: 1024 })
  );
  for (const connection of stuckConnections) connection.send(bytes("x\n"));
  const fake = new FakeConn();
  const connection = new Connection(fake as unknown as Deno.Conn, { sendQueueBytes: 1024 });
  connection.send(bytes("hello\n"));
  await connection.end();
  assert.equal(written(fake), "hello\n");
  assert.ok(stuck.every((s) => s.writes.length === 1), "every stuck writer got its write started");
  for (const c of stuckConnections) c.close();
});

Deno.test("Connection with maxWriteBytes hands its socket slices of at most that size, all of it in order", async () => {
  const fake = new FakeConn();
  const connection = new Connection(fake as unknown as Deno.Conn, {
    sendQueueBytes: 1 << 20,
    maxWriteBytes: 1000,
  });
  const text = Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join("");
  for (const line of text.match(/[^\n]*\n/g)!) connection.send(bytes(line));
  connection.send(bytes("x".repeat(2500) + "\n")); // One frame bigger than a slice.
  await connection.end();
  assert.ok(fake.writes.length >= 6, `${fake.writes.length} writes`);
  assert.ok(fake.writes.every((write) => write.length <= 1000));
  assert.equal(written(fake), text + "x".repeat(2500) + "\n");
});

/** A socket double that delivers one chunk, then waits for more until closed. */
class OneChunkConn extends FakeConn {
  #sent = false;
  override read(buffer: Uint8Array): Promise<number | null> {
    if (this.#sent) return super.read(buffer);
    this.#sent = true;
    buffer.set(bytes("x\n"));
    return Promise.resolve(2);
  }
}

Deno.test("Connection.readLoop() ends when closed while a chunk's handling still waits (a store that never answers)", async () => {
  const fake = new OneChunkConn();
  const connection = new Connection(fake as unknown as Deno.Conn, { sendQueueBytes: 1024 });
  let handled = 0;
  const reading = new Promise<void>((resolve, reject) =>
    connection.readLoop({
      chunk: () => {
        handled++;
        return new Promise<void>(() => {}); // never settles
      },
      ended: resolve,
      failed: reject,
    })
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(handled, 1);
  connection.close();
  assert.equal(await endedWithin(reading, 200), "ended");
});

Deno.test("Connection.readLoop() ends when a chunk's handling closes the connection and then waits", async () => {
  const fake = new OneChunkConn();
  const connection = new Connection(fake as unknown as Deno.Conn, { sendQueueBytes: 1024 });
  const reading = new Promise<void>((resolve, reject) =>
    connection.readLoop({
      chunk: () => {
        connection.close();
        return new Promise<void>(() => {}); // never settles
      },
      ended: resolve,
      failed: reject,
    })
  );
  assert.equal(await endedWithin(reading, 200), "ended");
});

/** "ended" if `reading` settles within `ms`, else "still reading". */
async function endedWithin(reading: Promise<void>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = await Promise.race([
    reading.then(() => "ended"),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve("still reading"), ms))),
  ]);
  clearTimeout(timer);
  return ended;
}

/** A socket double whose reads are answered by the test, one at a time. */
class FedConn extends FakeConn {
  buffers: Uint8Array[] = [];
  #answer: ((n: number | null) => void) | undefined;
  override read(buffer: Uint8Array): Promise<number | null> {
    this.buffers.push(buffer);
    return new Promise((resolve) => (this.#answer = resolve));
  }
  /** Answers the read in flight with `text` (written into its buffer), or with the end. */
  feed(text: string | null): void {
    const answer = this.#answer!;
    this.#answer = undefined;
    if (text === null) return answer(null);
    const data = bytes(text);
    this.buffers.at(-1)!.set(data);
    answer(data.length);
  }
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("Connection: an idle connection's read buffer goes to the next connection once its read loop ended", async () => {
  const first = new FedConn();
  const connection = new Connection(first as unknown as Deno.Conn, { sendQueueBytes: 1024 });
  const chunks: string[] = [];
  const reading = new Promise<void>((resolve, reject) =>
    connection.readLoop({
      chunk: (chunk) => void chunks.push(new TextDecoder().decode(chunk)),
      ended: resolve,
      failed: reject,
    })
  );
  first.feed("ana\n");
  await turn();
  const free = freeReadBuffers();
  first.feed(null);
  await reading;
  assert.deepEqual(chunks, ["ana\n"]);
  assert.equal(freeReadBuffers(), free + 1);
  const second = new FedConn();
  new Connection(second as unknown as Deno.Conn, { sendQueueBytes: 1024 }).readLoop({
    chunk: () => {},
    ended: () => {},
    failed: () => {},
  });
  assert.equal(second.buffers[0], first.buffers[0]);
  second.feed(null);
});

Deno.test("Connection: a buffer whose chunk's handling still waits at a close is not given to another connection", async () => {
  const fed = new FedConn();
  const connection = new Connection(fed as unknown as Deno.Conn, { sendQueueBytes: 1024 });
  const reading = new Promise<void>((resolve, reject) =>
    connection.readLoop({
      chunk: () => new Promise<void>(() => {}), // a check that never answers, holding its chunk
      ended: resolve,
      failed: reject,
    })
  );
  fed.feed("PASS secret\n");
  await turn();
  const free = freeReadBuffers();
  connection.close();
  assert.equal(await endedWithin(reading, 200), "ended");
  assert.equal(freeReadBuffers(), free);
  assert.equal(new TextDecoder().decode(fed.buffers[0].subarray(0, 12)), "PASS secret\n");
});

Deno.test("Connection: a read that fills the idle buffer grows it and gives the small one back", async () => {
  const fed = new FedConn();
  const connection = new Connection(fed as unknown as Deno.Conn, { sendQueueBytes: 1024 });
  const reading = new Promise<void>((resolve, reject) =>
    connection.readLoop({ chunk: () => {}, ended: resolve, failed: reject })
  );
  const free = freeReadBuffers();
  fed.feed("x".repeat(MIN_READ_BYTES));
  await turn();
  assert.equal(freeReadBuffers(), free + 1);
  assert.equal(fed.buffers[1].length, MIN_READ_BYTES * 2);
  fed.feed(null);
  await reading;
  // The grown buffer is the collector's, not the pool's.
  assert.equal(freeReadBuffers(), free + 1);
});
