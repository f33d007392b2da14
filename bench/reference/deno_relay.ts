/**
 * Deno's own floor for a chat relay (docs/performance.md, "Tail latency and fan-out"): a bare line relay
 * on `Deno.listen` that writes every line a client sends to every other client, and nothing
 * else. No nicks, rooms, sanitising, history, limits or TLS: what it measures is what Deno's
 * socket ops cost, beside the C relay (bench/reference/floor_relay.c, the machine's floor) and
 * lanchat in the same run.
 *
 * As the C relay, it relays the whole lines of each read as one block (one copy of the read,
 * shared by every recipient), not line by line: a flood's read brings many lines.
 *
 * Its writer is the best one found for Deno: each client's blocks queue while a write is in
 * flight and leave together in the next write, and at most `inFlight` writes (default 128,
 * 0 for no limit) are in flight over all clients, the others waiting in one FIFO. A client
 * with more than 1 MiB unsent is dropped.
 *
 * A client counts in once it is in the set, and the relay greets it then ("ok"). By default that
 * is at the accept; with `--hello` the relay first waits for the client's first line (its name, as
 * lanchat's text clients say their nick), greets it on that line, and only then relays its lines
 * (the name line itself is not relayed), as the C relay does with the same flag.
 *
 *   deno task bench --only latency,flood,crowd --against relay,deno-relay
 *   deno task bench --only crowd --against deno-relay,deno-relay-hello
 *   deno run -A bench/reference/deno_relay.ts [--hello] <port> [inFlight]
 *
 * @module
 */

import { blockSplitter } from "./_relay_lines.ts";

const hello = Deno.args[0] === "--hello";
const args = hello ? Deno.args.slice(1) : Deno.args;
const port = Number(args[0]);
const limitArg = Number(args[1] ?? 128);
const limit = limitArg === 0 ? Infinity : limitArg;
if (!Number.isInteger(port) || !(Number.isInteger(limit) || limit === Infinity) || limit < 0) {
  console.error("usage: deno_relay.ts [--hello] <port> [writes in flight, 0 for no limit]");
  Deno.exit(2);
}

const GREETING = new TextEncoder().encode("ok\n");
const QUEUE_LIMIT = 1 << 20;
const clients = new Set<Client>();
/** Clients waiting for a write slot, in order; a moving head so taking allocates nothing. */
const ready: (Client | undefined)[] = [];
let head = 0;
let inFlight = 0;
let pumpQueued = false;

class Client {
  queue: Uint8Array[] = [];
  queued = 0;
  writing = false;
  closed = false;
  pending: Uint8Array | undefined;
  written = 0;

  constructor(readonly conn: Deno.TcpConn) {}

  send(line: Uint8Array): void {
    if (this.closed) return;
    this.queue.push(line);
    this.queued += line.length;
    if (this.queued > QUEUE_LIMIT) return this.close();
    if (!this.writing) {
      this.writing = true;
      enqueue(this);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clients.delete(this);
    this.queue = [];
    this.queued = 0;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Takes everything queued as one buffer. */
  take(): Uint8Array {
    const queue = this.queue;
    let bytes: Uint8Array;
    if (queue.length === 1) bytes = queue[0];
    else {
      bytes = new Uint8Array(this.queued);
      let at = 0;
      for (const part of queue) {
        bytes.set(part, at);
        at += part.length;
      }
    }
    this.queue = [];
    this.queued = 0;
    return bytes;
  }

  writeNext(): void {
    if (this.closed || this.queued === 0) {
      this.writing = false;
      return;
    }
    this.pending = this.take();
    this.written = 0;
    inFlight++;
    this.conn.write(this.pending).then(this.onWritten, this.onFailed);
  }

  readonly onWritten = (n: number): void => {
    this.written += n;
    const pending = this.pending!;
    if (this.written < pending.length && !this.closed) {
      this.conn.write(pending.subarray(this.written)).then(this.onWritten, this.onFailed);
      return;
    }
    this.pending = undefined;
    release();
    if (this.queued > 0 && !this.closed) enqueue(this);
    else this.writing = false;
  };

  readonly onFailed = (): void => {
    this.pending = undefined;
    release();
    this.writing = false;
    this.close();
  };
}

function enqueue(client: Client): void {
  ready.push(client);
  if (!pumpQueued) {
    pumpQueued = true;
    queueMicrotask(pump);
  }
}

function release(): void {
  inFlight--;
  if (head < ready.length && !pumpQueued) {
    pumpQueued = true;
    queueMicrotask(pump);
  }
}

function pump(): void {
  pumpQueued = false;
  while (head < ready.length && inFlight < limit) {
    const client = ready[head]!;
    ready[head++] = undefined;
    client.writeNext();
  }
  if (head === ready.length) {
    ready.length = 0;
    head = 0;
  }
}

/** Puts the client in the set and greets it: the bench counts it as connected from here. */
function admit(client: Client): void {
  clients.add(client);
  client.send(GREETING);
}

async function serve(client: Client): Promise<void> {
  // Small while idle, grown while reads fill it and shrunk after small reads (as lanchat's).
  let buffer = new Uint8Array(256);
  // With --hello the first line is the client's name: it admits the client and is not relayed.
  let admitted = !hello;
  const split = blockSplitter((lines) => {
    if (!admitted) {
      const nl = lines.indexOf(0x0a);
      admitted = true;
      admit(client);
      if (nl + 1 === lines.length) return;
      lines = lines.subarray(nl + 1);
    }
    for (const other of clients) if (other !== client) other.send(lines);
  });
  try {
    while (true) {
      const n = await client.conn.read(buffer);
      if (n === null) break;
      split(buffer.subarray(0, n));
      if (n === buffer.length && buffer.length < 64 * 1024) {
        buffer = new Uint8Array(buffer.length * 2);
      } else if (n < 256 && buffer.length > 256) buffer = new Uint8Array(256);
    }
  } catch {
    // Reset by the peer.
  } finally {
    client.close();
  }
}

// A clean exit on the harness's SIGTERM (a --cpu-prof profile is written at exit).
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

const listener = Deno.listen({ hostname: "127.0.0.1", port });
for await (const conn of listener) {
  conn.setNoDelay(true);
  const client = new Client(conn);
  if (!hello) admit(client);
  serve(client);
}
