import { SendQueue } from "./send_queue.ts";

/** Settings of a {@linkcode Connection}. */
export interface ConnectionOptions {
  /** Most bytes queued for this client before it is dropped. */
  sendQueueBytes: number;
  /** Size of the read buffer (one per connection). */
  readBufferBytes?: number;
  /**
   * Called once when the send queue overflows (in a microtask, after the
   * current synchronous work); the queue is already cleared.
   */
  onOverflow?: () => void;
}

/**
 * One TCP connection: a receive loop as an async iterator of byte chunks, and
 * a bounded send queue drained by its own writer. {@linkcode Connection.send}
 * never waits, so a broadcast never waits for a slow reader.
 */
export class Connection {
  /** `ip:port` of the peer, for logs. */
  readonly remote: string;
  /** When bytes last arrived (performance.now() ms); starts at creation. */
  lastReceived: number = performance.now();
  /** Resolves once the writer has stopped and the socket is closed. */
  readonly done: Promise<void>;
  readonly #conn: Deno.Conn;
  readonly #queue: SendQueue;
  readonly #readBuffer: Uint8Array;
  #onOverflow: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #ending = false;
  #closed = false;
  #overflowed = false;
  #endTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(conn: Deno.Conn, options: ConnectionOptions) {
    this.#conn = conn;
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.remote = `${addr.hostname}:${addr.port}`;
    this.#queue = new SendQueue(options.sendQueueBytes);
    this.#readBuffer = new Uint8Array(options.readBufferBytes ?? 4096);
    this.#onOverflow = options.onOverflow;
    this.done = this.#writeLoop();
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
   * Received bytes, chunk by chunk, until the peer closes, the socket fails
   * or {@linkcode Connection.close} is called. A chunk is only valid until
   * the next one is requested (the buffer is reused).
   */
  async *chunks(): AsyncGenerator<Uint8Array, void, void> {
    while (!this.#closed) {
      let n: number | null;
      try {
        n = await this.#conn.read(this.#readBuffer);
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        throw error;
      }
      if (n === null) return;
      this.lastReceived = performance.now();
      yield this.#readBuffer.subarray(0, n);
    }
  }

  /** Queues bytes for the writer. On overflow, clears the queue and reports it once. */
  send(bytes: Uint8Array): void {
    if (this.#ending || this.#closed || this.#overflowed) return;
    if (!this.#queue.push(bytes)) {
      this.#queue.clear();
      // Not "ending" yet: the writer must stay up for the goodbye that the
      // handler queues with end().
      this.#overflowed = true;
      const handler = this.#onOverflow;
      this.#onOverflow = undefined;
      // Deferred: the overflow happens inside a broadcast, which must finish
      // delivering to everyone before anyone is removed.
      if (handler) queueMicrotask(handler);
      else this.close();
      return;
    }
    this.#wake?.();
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
    this.#wake?.();
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
    this.#wake?.();
  }

  async #writeLoop(): Promise<void> {
    try {
      while (!this.#closed) {
        if (this.#queue.bytes === 0) {
          if (this.#ending) break;
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = undefined;
          continue;
        }
        const data = this.#queue.take();
        let offset = 0;
        while (offset < data.length) {
          offset += await this.#conn.write(data.subarray(offset));
        }
      }
    } catch {
      // The peer is gone or the socket was closed under a pending write; the
      // receive loop reports the disconnect.
    } finally {
      this.close();
    }
  }
}
