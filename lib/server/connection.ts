/**
 * The server's pipe over a TCP or TLS socket: a read loop that hands each chunk on and waits while
 * its handling waits, and a writer that drains a bounded `SendQueue` in the background, so a
 * broadcast never waits for a write.
 *
 * @module
 */

import { SendQueue } from "./send_queue.ts";
import type { ByteConn } from "../net/socket_conn.ts";
import { formatHostPort, unmapAddress } from "../net/host_port.ts";
import type { OverflowListener, Pipe, PipeReader } from "./outbox.ts";
import { Interrupt } from "../core/interrupt.ts";
import { flushDeliveries } from "../core/delivery_batch.ts";
import { giveBackReadBuffer, MIN_READ_BYTES, takeReadBuffer } from "./read_buffers.ts";
import { clearArray } from "../core/arrays.ts";

/** Settings of a {@linkcode Connection}. */
export interface ConnectionOptions {
  /** Most bytes queued for this client before it is dropped. */
  sendQueueBytes: number;
  /** `ip:port` of the peer for logs (IPv6 in brackets); else the socket's (IPv4-mapped as IPv4). */
  remote?: string;
  /**
   * Most bytes handed to one write. A TLS socket encrypts and buffers all it
   * is given, out of the send queue's count: given slices, a reader that
   * stops reading holds at most one slice there.
   * @default {Infinity}
   */
  maxWriteBytes?: number;
  /** `SendQueue`'s longRunsAlone: not over node:tls, where a write costs more than a copy. @default {true} */
  longRunsAlone?: boolean;
  /** Told once when the send queue overflows (in a microtask, after the current work), cleared. */
  overflowListener?: OverflowListener;
}

/** Reads start with a small buffer (read_buffers.ts) that grows while reads fill it. */
const MAX_READ_BYTES = 64 * 1024;
/** Writes in flight at once over all connections; the others wait in line. */
const MAX_WRITES_IN_FLIGHT = 128;
/** Without any finished write for this long, the writes in flight count as stuck. */
const STUCK_MS = 5;

/**
 * One TCP connection, plain or TLS (any {@linkcode ByteConn}): a read loop that hands each received
 * chunk to a callback, and a bounded send queue drained by a writer that runs only while there is
 * something to write. {@linkcode Connection.send} never waits, so a broadcast never waits for a slow
 * reader; frames queued together leave in few writes (`SendQueue.take`).
 */
export class Connection implements Pipe {
  /** When bytes last arrived: performance.now() rounded up to whole ms (a small integer, unboxed). */
  lastReceived: number = Math.ceil(performance.now());
  readonly #conn: ByteConn;
  readonly #remote: string | undefined;
  readonly #queue: SendQueue;
  readonly #maxWriteBytes: number;
  /** `done` and its resolve, made when first asked for: an idle client never is. */
  #done: Promise<void> | undefined;
  #resolveDone: (() => void) | undefined;
  /**
   * Ends a read loop's wait on a chunk's work (not a race against `done`:
   * interrupt.ts); made at the first such wait (fired at once if closed).
   */
  #ended: Interrupt | undefined;
  #writing = false;
  #ending = false;
  #closed = false;
  #overflowed = false;
  #endTimer: ReturnType<typeof setTimeout> | undefined;
  /** The batch being written, and how much of it has gone out. */
  #pending: Uint8Array | undefined;
  #written = 0;
  /** The generation of the write slot this connection holds, or -1. */
  #slot = -1;

  constructor(conn: ByteConn, options: ConnectionOptions) {
    this.#conn = conn;
    this.#remote = options.remote;
    this.#queue = new SendQueue(options.sendQueueBytes, options.longRunsAlone ?? true);
    this.#maxWriteBytes = options.maxWriteBytes ?? Infinity;
    this.overflowListener = options.overflowListener;
  }

  /** `ip:port` of the peer, for logs: made when asked for, not kept for every client. */
  get remote(): string {
    if (this.#remote !== undefined) return this.#remote;
    const addr = this.#conn.remoteAddr as Deno.NetAddr;
    return formatHostPort(unmapAddress(addr.hostname), addr.port);
  }

  /** Resolves once the socket is closed. */
  get done(): Promise<void> {
    if (this.#done) return this.#done;
    if (this.#closed) return this.#done = Promise.resolve();
    const done = Promise.withResolvers<void>();
    this.#resolveDone = done.resolve;
    return this.#done = done.promise;
  }

  /** Whether the connection is closing or closed (sends are ignored). */
  get ending(): boolean {
    return this.#ending || this.#closed || this.#overflowed;
  }

  /** Bytes waiting in the send queue. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** Who is told once when the send queue overflows (cleared once told). */
  overflowListener: OverflowListener | undefined;

  /**
   * Reads until the peer closes, the socket fails, or the connection is closed, handing each chunk
   * to `reader.chunk`. A chunk is only valid during the call (its buffer is read into again, by
   * this connection or, once its loop ended, by another). When it returns a promise (the handshake
   * waits for a signature check or a password delay), nothing more is read until it settles, so
   * frames keep their order; a close ends the loop even then. Then calls `reader.ended` on a clean
   * end, or `reader.failed` with the socket's error (or what `chunk` threw or rejected with).
   */
  readLoop(reader: PipeReader): void {
    // Not an async function suspended for the connection's whole life nor a promise pending for
    // it: its generator, registers, resolves and await closures cost every idle client hundreds
    // of bytes (docs/performance.md).
    this.#reader = reader;
    // A socket that hands out its own chunks (node's) needs no buffer of ours.
    if (!this.#conn.readChunk) this.#buffer = takeReadBuffer();
    this.#read();
  }

  /** Who the read loop hands its chunks and its end to, its buffer and last read's size. */
  #reader: PipeReader | undefined;
  #buffer: Uint8Array | undefined;
  #lastRead = 0;

  /**
   * Ends the read loop cleanly, or with `error`: no read is in flight, so its buffer goes to the
   * next connection, unless `chunkHeld` (a close ended the wait on a chunk's handling).
   */
  #endRead(chunkHeld = false, error?: { cause: unknown }): void {
    const reader = this.#reader;
    if (this.#buffer && !chunkHeld) giveBackReadBuffer(this.#buffer);
    this.#reader = this.#buffer = undefined;
    if (error) reader?.failed(error.cause);
    else reader?.ended();
  }

  /** Starts the next read, unless closed. */
  #read(): void {
    if (this.#closed) return this.#endRead();
    let reading: Promise<number | Uint8Array | null>;
    try {
      const conn = this.#conn;
      reading = conn.readChunk ? conn.readChunk() : conn.read(this.#buffer!);
    } catch (error) {
      return this.#readFailed(error);
    }
    reading.then(this.#onRead, this.#onReadFailed);
  }

  // A read's callbacks: bound methods (arrow functions would keep a context per connection).
  readonly #onRead = this.#readDone.bind(this);
  readonly #onReadFailed = this.#readFailed.bind(this);

  #readFailed(error: unknown): void {
    if (this.#closed || error instanceof Deno.errors.BadResource) this.#endRead();
    else this.#endRead(false, { cause: error });
  }
  /** A read's bytes: how many went into the buffer, or the socket's own chunk. */
  #readDone(read: number | Uint8Array | null): void {
    if (read === null) return this.#endRead();
    this.lastReceived = Math.ceil(performance.now());
    const chunk = typeof read === "number" ? this.#buffer!.subarray(0, read) : read;
    this.#lastRead = chunk.length;
    let pending: void | Promise<void>;
    try {
      pending = this.#reader!.chunk(chunk);
    } catch (error) {
      return this.#endRead(false, { cause: error });
    }
    if (pending) this.#waitFor(pending);
    else this.#afterChunk();
  }

  /**
   * A chunk's handling waits, and so does the read loop; closing ends the wait too (a store that
   * never answers must not keep a closed connection). The Interrupt is made only then (rare).
   */
  #waitFor(pending: Promise<void>): void {
    let ended = this.#ended;
    if (!ended) {
      ended = this.#ended = new Interrupt();
      if (this.#closed) ended.fire();
    }
    ended.wait(pending).then(
      () => this.#closed ? this.#endRead(true) : this.#afterChunk(),
      (error) => this.#endRead(true, { cause: error }),
    );
  }

  /** After a chunk's handling: the buffer grows while reads fill it, shrinks back when they stop. */
  #afterChunk(): void {
    if (this.#closed) return this.#endRead();
    const n = this.#lastRead;
    const buffer = this.#buffer;
    if (buffer && n === buffer.length && buffer.length < MAX_READ_BYTES) {
      giveBackReadBuffer(buffer);
      this.#buffer = new Uint8Array(buffer.length * 2);
    } else if (buffer && n < MIN_READ_BYTES && buffer.length > MIN_READ_BYTES) {
      this.#buffer = takeReadBuffer();
    }
    this.#read();
  }

  /**
   * The server's sweep: between writes, lets the queue's empty slots (`SendQueue.trim`) and the
   * writer's callbacks go; behind a write in flight, bounds what queued chunks keep alive.
   */
  compact(): void {
    if (this.#pending) this.#queue.consolidate();
    else if (!this.#writing) {
      this.#queue.trim();
      this.#onWritten = this.#onWriteFailed = undefined;
    }
  }

  /** Bytes of memory the queued chunks keep alive (see `SendQueue.retainedBytes`). */
  get retainedBytes(): number {
    return this.#queue.retainedBytes();
  }

  /** Whether `length` more bytes fit under the send queue's limit now. */
  fits(length: number): boolean {
    return this.#queue.fits(length);
  }

  /** Queues bytes for the writer (after a room's held run: delivery_batch.ts). On overflow, clears the queue and reports it once. */
  send(bytes: Uint8Array): void {
    flushDeliveries();
    if (this.#ending || this.#closed || this.#overflowed) return;
    if (!this.#queue.push(bytes)) {
      this.#queue.clear();
      // Not "ending" yet: the writer must stay usable for the goodbye the handler queues with end().
      this.#overflowed = true;
      const listener = this.overflowListener;
      this.overflowListener = undefined;
      // Deferred: the overflow happens inside a broadcast, which must finish delivering to all first.
      if (listener) queueMicrotask(() => listener.overflowed());
      else this.close();
      return;
    }
    this.#scheduleFlush();
  }

  /**
   * Queues final bytes, flushes them for at most `timeoutMs`, then closes.
   * Works after an overflow too (the final bytes bypass the limit).
   */
  end(bytes?: Uint8Array, timeoutMs = 1000): Promise<void> {
    if (this.#closed) return this.done;
    flushDeliveries();
    if (bytes && this.#endTimer === undefined) this.#queue.pushFinal(bytes);
    this.#ending = true;
    if (this.#endTimer === undefined) {
      this.#endTimer = setTimeout(() => this.close(), timeoutMs);
    }
    this.#scheduleFlush();
    return this.done;
  }

  /**
   * Gives the socket up to another owner (an HTTP server), open: the read
   * loop stops after the chunk it is handing out, nothing more is sent, and
   * `done` resolves. Call it from the read loop's callback.
   */
  release(): ByteConn {
    this.#closed = true;
    this.#ending = true;
    clearTimeout(this.#endTimer);
    this.#queue.clear();
    this.#queue.release();
    this.#ended?.fire();
    this.#resolveDone?.();
    return this.#conn;
  }

  /** Closes the socket now, dropping anything unsent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    clearTimeout(this.#endTimer);
    this.#queue.clear();
    this.#queue.release();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
    this.#ended?.fire();
    this.#resolveDone?.();
  }

  /**
   * Puts the connection in line for the writer. The line is started in a
   * microtask, so that every frame queued by the same synchronous work (a
   * burst of broadcasts) leaves in one write, and a broadcast to N clients
   * schedules one microtask, not N.
   */
  #scheduleFlush(): void {
    if (this.#writing) return;
    this.#writing = true;
    Connection.#enqueue(this);
  }

  /**
   * Connections waiting to write, in order (a FIFO with a moving head, so
   * taking from it allocates nothing).
   */
  static readonly #ready: (Connection | undefined)[] = [];
  static #head = 0;
  static #pumpQueued = false;
  /** Writes started by the line that have not finished (of this generation). */
  static #inFlight = 0;
  /** Bumped when the writes in flight are written off as stuck (see #unstick). */
  static #generation = 0;
  /** Writes finished so far, to tell a stuck line from a busy one. */
  static #finished = 0;
  static #finishedAtWatch = 0;
  static #watch: ReturnType<typeof setTimeout> | undefined;

  static #enqueue(connection: Connection): void {
    Connection.#ready.push(connection);
    if (!Connection.#pumpQueued) {
      Connection.#pumpQueued = true;
      queueMicrotask(Connection.#pump);
    }
  }

  /**
   * Starts writes from the line while fewer than MAX_WRITES_IN_FLIGHT are in
   * flight; each finished write starts the next. Deno completes at most
   * about 128 socket writes per event-loop turn and polls every other
   * pending write again on each turn, so 10,000 writes started at once cost
   * about four times the CPU of the same writes started 128 at a time (see
   * docs/performance.md).
   */
  static readonly #pump = () => {
    Connection.#pumpQueued = false;
    const ready = Connection.#ready;
    while (Connection.#head < ready.length && Connection.#inFlight < MAX_WRITES_IN_FLIGHT) {
      const connection = ready[Connection.#head]!;
      ready[Connection.#head++] = undefined;
      try {
        connection.#writeNext();
      } catch {
        connection.#writing = false;
        connection.close();
      }
    }
    if (Connection.#head === ready.length) {
      clearArray(ready);
      Connection.#head = 0;
      clearTimeout(Connection.#watch);
      Connection.#watch = undefined;
    } else if (Connection.#watch === undefined) {
      Connection.#finishedAtWatch = Connection.#finished;
      Connection.#watch = setTimeout(Connection.#unstick, STUCK_MS);
    }
  };

  /**
   * Readers that stopped reading leave their writes pending for good (until
   * they are dropped). If no write at all finished for STUCK_MS while others
   * wait, the writes in flight are written off so that the line moves on.
   */
  static readonly #unstick = () => {
    Connection.#watch = undefined;
    if (Connection.#head === Connection.#ready.length) return;
    if (Connection.#finished === Connection.#finishedAtWatch) {
      Connection.#generation++;
      Connection.#inFlight = 0;
    }
    Connection.#pump();
  };

  /** The slot of a write that ended (or failed): the next in line may start. */
  #release(): void {
    if (this.#slot === Connection.#generation) Connection.#inFlight--;
    this.#slot = -1;
    Connection.#finished++;
    if (Connection.#head < Connection.#ready.length && !Connection.#pumpQueued) {
      Connection.#pumpQueued = true;
      queueMicrotask(Connection.#pump);
    }
  }

  /**
   * The writer, as callbacks rather than an async function: one write op
   * per batch and no other allocation, which matters at 100,000 deliveries
   * a second. Closes afterwards if the connection is ending.
   */
  #writeNext(): void {
    if (this.#closed) {
      this.#writing = false;
      return;
    }
    if (this.#queue.bytes === 0) {
      this.#writing = false;
      this.#queue.release();
      if (this.#ending) this.close();
      return;
    }
    this.#pending = this.#queue.take(this.#maxWriteBytes);
    this.#written = 0;
    this.#slot = Connection.#generation;
    Connection.#inFlight++;
    // Bound when first needed after compact() let them go (a bound method keeps no context).
    this.#onWritten ??= this.#wrote.bind(this);
    this.#onWriteFailed ??= this.#writeFailed.bind(this);
    this.#conn.write(this.#pending).then(this.#onWritten, this.#onWriteFailed);
  }

  #onWritten: ((n: number) => void) | undefined;
  #onWriteFailed: (() => void) | undefined;

  #wrote(n: number): void {
    this.#written += n;
    const pending = this.#pending!;
    if (this.#written < pending.length && !this.#closed) {
      this.#conn.write(pending.subarray(this.#written)).then(this.#onWritten, this.#onWriteFailed);
      return;
    }
    this.#pending = undefined;
    this.#queue.written(); // Done with its bytes: a pooled join buffer goes back.
    this.#release();
    // Frames queued meanwhile go back in line, behind the connections already waiting.
    if (this.#queue.bytes > 0 && !this.#closed) Connection.#enqueue(this);
    else this.#writeNext();
  }

  // The peer is gone or the socket was closed under a pending write; the
  // read loop reports the disconnect.
  #writeFailed(): void {
    this.#pending = undefined;
    this.#release();
    this.#writing = false;
    this.close();
  }
}
