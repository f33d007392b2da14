import { SendQueue } from "./send_queue.ts";
import type { ByteConn } from "../net/socket_conn.ts";

/** Settings of a {@linkcode Connection}. */
export interface ConnectionOptions {
  /** Most bytes queued for this client before it is dropped. */
  sendQueueBytes: number;
  /**
   * Called once when the send queue overflows (in a microtask, after the
   * current synchronous work); the queue is already cleared.
   */
  onOverflow?: () => void;
}

/** Reads start with a small buffer that grows while reads fill it: idle clients stay cheap. */
const MIN_READ_BYTES = 512;
const MAX_READ_BYTES = 64 * 1024;

/**
 * One TCP connection: a read loop that hands each received chunk to a
 * callback, and a bounded send queue drained by a writer that runs only
 * while there is something to write. {@linkcode Connection.send} never
 * waits, so a broadcast never waits for a slow reader; frames queued
 * together leave in one write.
 */
export class Connection {
  /** `ip:port` of the peer, for logs. */
  readonly remote: string;
  /** Resolves once the socket is closed. */
  readonly done: Promise<void>;
  /** When bytes last arrived (performance.now() ms); starts at creation. */
  lastReceived: number = performance.now();
  readonly #conn: ByteConn;
  readonly #queue: SendQueue;
  readonly #resolveDone: () => void;
  #onOverflow: (() => void) | undefined;
  #writing = false;
  #ending = false;
  #closed = false;
  #overflowed = false;
  #endTimer: ReturnType<typeof setTimeout> | undefined;
  /** The batch being written, and how much of it has gone out. */
  #pending: Uint8Array | undefined;
  #written = 0;

  constructor(conn: ByteConn, options: ConnectionOptions) {
    this.#conn = conn;
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.remote = `${addr.hostname}:${addr.port}`;
    this.#queue = new SendQueue(options.sendQueueBytes);
    this.#onOverflow = options.onOverflow;
    const done = Promise.withResolvers<void>();
    this.done = done.promise;
    this.#resolveDone = done.resolve;
  }

  /** Whether the connection is closing or closed (sends are ignored). */
  get ending(): boolean {
    return this.#ending || this.#closed || this.#overflowed;
  }

  /** Bytes waiting in the send queue. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** Sets the handler called when the send queue overflows. */
  set onOverflow(handler: (() => void) | undefined) {
    this.#onOverflow = handler;
  }

  /**
   * Reads until the peer closes, the socket fails, or the connection is
   * closed, calling `onChunk` with each chunk. A chunk is only valid during
   * the call (the buffer is reused). When `onChunk` returns a promise (the
   * handshake waits for a signature check or a password delay), nothing more
   * is read until it settles, so frames keep their order. Resolves on a
   * clean end; rejects with the socket's error.
   */
  async readLoop(onChunk: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    let buffer = new Uint8Array(MIN_READ_BYTES);
    while (!this.#closed) {
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        throw error;
      }
      if (n === null) return;
      this.lastReceived = performance.now();
      const pending = onChunk(buffer.subarray(0, n));
      if (pending) await pending;
      if (this.#closed) return;
      if (n === buffer.length && buffer.length < MAX_READ_BYTES) {
        buffer = new Uint8Array(buffer.length * 2);
      } else if (n < MIN_READ_BYTES && buffer.length > MIN_READ_BYTES) {
        buffer = new Uint8Array(MIN_READ_BYTES);
      }
    }
  }

  /** Queues bytes for the writer. On overflow, clears the queue and reports it once. */
  send(bytes: Uint8Array): void {
    if (this.#ending || this.#closed || this.#overflowed) return;
    if (!this.#queue.push(bytes)) {
      this.#queue.clear();
      // Not "ending" yet: the writer must stay usable for the goodbye that
      // the handler queues with end().
      this.#overflowed = true;
      const handler = this.#onOverflow;
      this.#onOverflow = undefined;
      // Deferred: the overflow happens inside a broadcast, which must finish
      // delivering to everyone before anyone is removed.
      if (handler) queueMicrotask(handler);
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
    if (bytes && this.#endTimer === undefined) this.#queue.pushFinal(bytes);
    this.#ending = true;
    if (this.#endTimer === undefined) {
      this.#endTimer = setTimeout(() => this.close(), timeoutMs);
    }
    this.#scheduleFlush();
    return this.done;
  }

  /** Closes the socket now, dropping anything unsent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    clearTimeout(this.#endTimer);
    this.#queue.clear();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
    this.#resolveDone();
  }

  /**
   * Starts the writer in a microtask, so that every frame queued by the same
   * synchronous work (a burst of broadcasts) leaves in one write.
   */
  #scheduleFlush(): void {
    if (this.#writing) return;
    this.#writing = true;
    queueMicrotask(this.#startFlush);
  }

  readonly #startFlush = () => this.#writeNext();

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
      if (this.#ending) this.close();
      return;
    }
    this.#pending = this.#queue.take();
    this.#written = 0;
    this.#conn.write(this.#pending).then(this.#onWritten, this.#onWriteFailed);
  }

  readonly #onWritten = (n: number) => {
    this.#written += n;
    const pending = this.#pending!;
    if (this.#written < pending.length && !this.#closed) {
      this.#conn.write(pending.subarray(this.#written)).then(this.#onWritten, this.#onWriteFailed);
      return;
    }
    this.#pending = undefined;
    this.#writeNext();
  };

  // The peer is gone or the socket was closed under a pending write; the
  // read loop reports the disconnect.
  readonly #onWriteFailed = () => {
    this.#pending = undefined;
    this.#writing = false;
    this.close();
  };
}
