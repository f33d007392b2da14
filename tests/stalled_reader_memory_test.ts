/**
 * What a reader that never reads keeps alive: its queued lines are parts of
 * shared 2 KiB slabs (`utf8Bytes`), so without the sweep's consolidation a
 * queue of lines from a busy server holds a slab per line. In process, over
 * in-memory sockets whose writes can be held, so that nothing depends on
 * the kernel's buffers.
 */

import assert from "node:assert/strict";
import { ChatServer } from "../lib/server/chat_server.ts";
import { FakeListener } from "../lib/server/_fake_listener.ts";
import { Connection } from "../lib/server/connection.ts";
import { setImmediate } from "node:timers";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A socket in memory: fed bytes are read in order; writes finish at once, or not while held. */
class MemorySocket {
  readonly remoteAddr: Deno.NetAddr;
  /** Everything written to it, in order. */
  readonly written: Uint8Array[] = [];
  /** Writes wait (the peer does not read) while set. */
  held = false;
  readonly #heldWrites: (() => void)[] = [];
  readonly #input: Uint8Array[] = [];
  #waiting: ((n: number | null) => void) | undefined;
  #buffer: Uint8Array | undefined;
  #closed = false;

  constructor(port: number) {
    this.remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port };
  }

  /** The peer sends `text`. */
  feed(text: string): void {
    this.#input.push(encoder.encode(text));
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting(this.#take(this.#buffer!));
    }
  }

  /** The peer starts reading: held writes finish, and so do later ones. */
  release(): void {
    this.held = false;
    for (const finish of this.#heldWrites.splice(0)) finish();
  }

  /** Everything written, as text. */
  text(): string {
    return this.written.map((bytes) => decoder.decode(bytes)).join("");
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#input.length > 0) return Promise.resolve(this.#take(buffer));
    this.#buffer = buffer;
    return new Promise((resolve) => this.#waiting = resolve);
  }

  #take(buffer: Uint8Array): number {
    const head = this.#input[0];
    const n = Math.min(head.length, buffer.length);
    buffer.set(head.subarray(0, n));
    if (n === head.length) this.#input.shift();
    else this.#input[0] = head.subarray(n);
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    const copy = bytes.slice();
    if (!this.held) {
      this.written.push(copy);
      return Promise.resolve(bytes.length);
    }
    return new Promise((resolve) =>
      this.#heldWrites.push(() => {
        this.written.push(copy);
        resolve(bytes.length);
      })
    );
  }

  close(): void {
    this.#closed = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(null);
  }
}

/** A text client's lines, without their times (`[hh:mm] `) and line ends. */
const textLines = (text: string) =>
  text.split("\r\n").map((line) => line.replace(/^\[\d\d:\d\d\] /, ""));

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A server with text clients over memory sockets, each joined under its nick. */
async function serve(sendQueueBytes: number) {
  const listener = new FakeListener();
  const server = await ChatServer.serve(listener, {
    rateLimit: false,
    joinRate: false,
    sendQueueBytes,
    log: () => {},
  });
  const options = listener.options!;
  const clients: { socket: MemorySocket; connection: Connection }[] = [];
  const connect = async (nick: string, held = false) => {
    const socket = new MemorySocket(40_000 + clients.length);
    socket.held = held;
    const ticket = options.limits.admit("127.0.0.1");
    if ("refused" in ticket) throw new Error(`${nick} refused: ${ticket.refused}`);
    const connection = new Connection(socket, { sendQueueBytes: options.sendQueueBytes });
    options.onArrival({ pipe: connection, ip: "127.0.0.1", ticket, secure: false });
    socket.feed(`${nick}\n`);
    clients.push({ socket, connection });
    for (let i = 0; i < 5; i++) await tick();
    return { socket, connection };
  };
  return {
    server,
    connect,
    async [Symbol.asyncDispose]() {
      for (const { socket } of clients) socket.release();
      await server.shutdown();
      for (const { socket } of clients) socket.close();
    },
  };
}

/** Line `i` that the #lobby sender says (about 60 bytes as a reader gets it). */
const lobbyLine = (i: number) => `lobby line ${i} `.padEnd(40, "x");

/**
 * `rounds` times: one #lobby line, then `between` #side lines, each encoded
 * between two of the stalled reader's lines.
 */
async function traffic(
  lobby: MemorySocket,
  side: MemorySocket,
  from: number,
  rounds: number,
  between: number,
): Promise<void> {
  for (let i = from; i < from + rounds; i++) {
    lobby.feed(`${lobbyLine(i)}\n`);
    await tick();
    let lines = "";
    for (let k = 0; k < between; k++) lines += `side line ${i} ${k} `.padEnd(40, "y") + "\n";
    side.feed(lines);
    await tick();
  }
}

Deno.test("a reader that never reads keeps alive no more than its queued bytes once the sweep ran, and still gets every line in order", async () => {
  await using chat = await serve(1024 * 1024);
  const stalled = await chat.connect("stalled", true);
  const lobby = await chat.connect("talker");
  const side = await chat.connect("sider");
  const listener = await chat.connect("listener");
  side.socket.feed("/join #side\n");
  listener.socket.feed("/join #side\n");
  await tick();

  // Ten #side lines (~600 bytes) between two #lobby lines: about a hundred
  // of the stalled reader's lines to a 64 KiB slab, the 300 of them in four.
  await traffic(lobby.socket, side.socket, 0, 300, 10);
  const queued = stalled.connection.queuedBytes;
  assert.ok(queued > 300 * 40, `queued ${queued}`);
  assert.ok(
    stalled.connection.retainedBytes > 4 * queued,
    `the setup holds many slabs: ${stalled.connection.retainedBytes} for ${queued} queued`,
  );

  // The sweep runs (once to see that no write finished, once to act).
  stalled.connection.compact();
  stalled.connection.compact();
  assert.equal(stalled.connection.queuedBytes, queued);
  assert.ok(
    stalled.connection.retainedBytes <= queued + 8 * 1024,
    `${stalled.connection.retainedBytes} kept alive for ${queued} queued`,
  );

  // More traffic, another sweep: the pieces made are kept, the new lines joined.
  await traffic(lobby.socket, side.socket, 300, 300, 10);
  const queuedMore = stalled.connection.queuedBytes;
  assert.ok(stalled.connection.retainedBytes > 2 * queuedMore - queued);
  stalled.connection.compact();
  assert.ok(
    stalled.connection.retainedBytes <= queuedMore + 8 * 1024,
    `${stalled.connection.retainedBytes} kept alive for ${queuedMore} queued`,
  );

  // It reads: every line, in order, nothing else lost.
  stalled.socket.release();
  for (let i = 0; i < 20 && stalled.connection.queuedBytes > 0; i++) await tick();
  assert.equal(stalled.connection.queuedBytes, 0);
  const got = textLines(stalled.socket.text()).filter((line) => line.includes("lobby line "));
  assert.deepEqual(got, Array.from({ length: 600 }, (_, i) => `<talker> ${lobbyLine(i)}`));
});

/** The stalled reader's end: how many #lobby lines it took, and what the room saw. */
async function dropRun(sweep: boolean): Promise<{ lines: number; seen: string[] }> {
  await using chat = await serve(16 * 1024);
  const stalled = await chat.connect("stalled", true);
  const lobby = await chat.connect("talker");
  const side = await chat.connect("sider");
  const watcher = await chat.connect("watcher");
  side.socket.feed("/join #side\n");
  await tick();
  let lines = 0;
  while (!stalled.connection.ending) {
    if (lines === 2000) throw new Error("The stalled reader was never dropped");
    await traffic(lobby.socket, side.socket, lines++, 1, 10);
    if (sweep) stalled.connection.compact();
  }
  for (let i = 0; i < 5; i++) await tick();
  const seen = textLines(watcher.socket.text()).filter((line) => line.includes("stalled"));
  return { lines, seen };
}

Deno.test("a reader that never reads is dropped at the same line and with the same message, swept or not", async () => {
  const unswept = await dropRun(false);
  const swept = await dropRun(true);
  assert.ok(unswept.lines > 100, `dropped after ${unswept.lines} lines`);
  assert.equal(swept.lines, unswept.lines);
  assert.deepEqual(swept.seen, unswept.seen);
  assert.ok(
    swept.seen.some((line) => line.includes("send queue exceeded")),
    swept.seen.join("\n"),
  );
});
