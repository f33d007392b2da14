/**
 * The server's pipe over a WebSocket (npm `ws`): one text message in is one
 * chunk for the codec (with a line end added, so a message is a line), and
 * what is sent (whole WebSocket frames, from `WebSocketCodec`) is written to
 * the socket under it, bounded as a TCP connection's send queue is.
 *
 * The bound is the same rule as `Connection`'s, by the same `SendQueue`:
 * frames wait in the queue, which refuses a frame only when it is not empty
 * and the frame would take it past the limit. A writer hands what the queue
 * gives it (`SendQueue.take`) to the socket in one write, then waits until that write has finished
 * (the bytes are in the kernel) before handing the next batch: the batch in
 * flight is not counted, as `Connection`'s is not. Counting `ws`'s
 * `bufferedAmount` instead counted the write in flight, and the frames
 * behind it, against the limit, so a reading client was dropped during a
 * burst a native client at the same limit survives.
 *
 * @module
 */

// @ts-types="./ws_types.d.ts"
import type { WebSocket } from "ws";
import type { OverflowListener, Pipe, PipeReader } from "./outbox.ts";
import { SendQueue } from "./send_queue.ts";
import { Interrupt } from "../core/interrupt.ts";
import { flushDeliveries } from "../core/delivery_batch.ts";

/** The socket under a WebSocket, as the pipe writes to it. */
export interface FrameWriter {
  /** Writes bytes (whole WebSocket frames); `done` runs once they are written or failed. */
  write(bytes: Uint8Array, done: (error?: Error | null) => void): unknown;
}

/** Settings of a {@linkcode WebSocketPipe}. */
export interface WebSocketPipeOptions {
  /**
   * The socket the WebSocket runs over: what is sent is whole frames
   * (`WebSocketCodec`), written straight to it, so a broadcast's frame is
   * built once for all; `ws` keeps reading, answering pings and closing.
   */
  raw: FrameWriter;
  /** Most bytes queued for this client before it is dropped. */
  sendQueueBytes: number;
  /** `ip:port` of the peer, for logs (IPv6 in brackets). */
  remote: string;
  /**
   * Bytes written below the WebSocket and not yet to the network (a TLS
   * socket's TCP socket): counted with the queue when it is not empty.
   * @default {() => 0}
   */
  bufferedBelow?: () => number;
}

const LF = 0x0a;
/** Bytes of received messages waiting for the read loop before the peer is paused. */
const INBOX_BYTES = 64 * 1024;
/** How long a goodbye may take to go out before the socket is closed anyway. */
const END_MS = 1000;

/** A WebSocket as a {@linkcode Pipe}; see the module doc. */
export class WebSocketPipe implements Pipe {
  /** `ip:port` of the peer. */
  readonly remote: string;
  /** Resolves once the WebSocket is closed. */
  readonly done: Promise<void>;
  /** When a message last arrived (performance.now() ms); starts at creation. */
  lastReceived: number = performance.now();
  /** Told once when the bound is exceeded. */
  overflowListener: OverflowListener | undefined;
  readonly #socket: WebSocket;
  readonly #raw: FrameWriter;
  readonly #queue: SendQueue;
  readonly #bufferedBelow: () => number;
  readonly #resolveDone: () => void;
  /** Ends a read loop's wait on a chunk's work (not a race against `done`: interrupt.ts). */
  readonly #ended = new Interrupt();
  /** Messages received and not handed to the read loop yet. */
  readonly #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #wake: (() => void) | undefined;
  #ending = false;
  #closed = false;
  #overflowed = false;
  #endTimer: ReturnType<typeof setTimeout> | undefined;
  #error: Error | undefined;
  /** A batch was handed to `ws` and its write has not finished. */
  #inFlight = false;
  /** A flush is due in a microtask. */
  #flushQueued = false;

  constructor(socket: WebSocket, options: WebSocketPipeOptions) {
    this.#socket = socket;
    this.#raw = options.raw;
    this.remote = options.remote;
    this.#queue = new SendQueue(options.sendQueueBytes);
    this.#bufferedBelow = options.bufferedBelow ?? (() => 0);
    const done = Promise.withResolvers<void>();
    this.done = done.promise;
    this.#resolveDone = done.resolve;
    socket.on("message", (data: Uint8Array | Uint8Array[] | ArrayBuffer) => {
      this.lastReceived = performance.now();
      const message = toBytes(data);
      this.#inbox.push(message);
      this.#inboxBytes += message.length + 1;
      // While the read loop has this much waiting, so does the peer.
      if (this.#inboxBytes >= INBOX_BYTES) socket.pause();
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.#error ??= error;
      this.#notify();
    });
    socket.on("close", () => this.close());
  }

  /** Whether it is closing, closed or overflowed: sends are ignored. */
  get ending(): boolean {
    return this.#ending || this.#closed || this.#overflowed;
  }

  /** Bytes waiting in the send queue. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /**
   * Hands the messages received, each with a line end, to `onChunk` (all
   * that wait, as one chunk), waiting while its handling waits; ends cleanly
   * when the WebSocket closes (cleanly or not: a protocol error of the peer
   * is its end, as a reset TCP connection is), fails with an error the
   * socket reported while open (see `Pipe.readLoop`).
   */
  readLoop(reader: PipeReader): void {
    this.#readLoop(reader).then(() => reader.ended(), (error) => reader.failed(error));
  }

  async #readLoop(reader: PipeReader): Promise<void> {
    while (true) {
      while (this.#inbox.length === 0) {
        if (this.#closed) return;
        if (this.#error) throw this.#error;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
      // Every message waiting, each a line, in one chunk: a burst costs one
      // pass of the codec and one wait, as bytes read from a socket do.
      const chunk = new Uint8Array(this.#inboxBytes);
      let at = 0;
      for (const message of this.#inbox) {
        chunk.set(message, at);
        chunk[at + message.length] = LF;
        at += message.length + 1;
      }
      this.#inbox.length = 0;
      this.#inboxBytes = 0;
      this.#socket.resume();
      const pending = reader.chunk(chunk);
      if (pending) await this.#ended.wait(pending);
      if (this.#closed) return;
    }
  }

  /**
   * The server's sweep, as `Connection.compact`: between writes, lets the
   * send queue's empty slots go; behind a write in flight, bounds what the
   * queued chunks keep alive (`SendQueue.consolidate`).
   */
  compact(): void {
    if (this.#inFlight) this.#queue.consolidate();
    else if (!this.#flushQueued) this.#queue.trim();
  }

  /** Bytes of memory the queued chunks keep alive (see `SendQueue.retainedBytes`). */
  get retainedBytes(): number {
    return this.#queue.retainedBytes();
  }

  /** Whether `length` more bytes fit under the send queue's limit now (the bytes below counted). */
  fits(length: number): boolean {
    return this.#queue.fits(length, this.#queue.bytes > 0 ? this.#bufferedBelow() : 0);
  }

  /** Queues bytes for the writer. On overflow, clears the queue and reports it once (in a microtask). */
  send(bytes: Uint8Array): void {
    // A room's held run goes before anything said after it (delivery_batch.ts).
    flushDeliveries();
    if (this.ending) return;
    const queue = this.#queue;
    // The queue's own rule, with the bytes below counted as queued.
    const below = queue.bytes > 0 ? this.#bufferedBelow() : 0;
    if ((below > 0 && !queue.fits(bytes.length, below)) || !queue.push(bytes)) {
      queue.clear();
      this.#overflowed = true;
      const listener = this.overflowListener;
      this.overflowListener = undefined;
      if (listener) queueMicrotask(() => listener.overflowed());
      else this.close();
      return;
    }
    this.#scheduleFlush();
  }

  /**
   * Hands what is queued and the final bytes to `ws` at once, even behind a
   * write that has not finished (they go out after it), then a close frame;
   * closes within a second.
   */
  end(bytes?: Uint8Array): Promise<void> {
    if (this.#closed) return this.done;
    flushDeliveries();
    if (this.#endTimer === undefined) {
      this.#ending = true;
      if (bytes) this.#queue.pushFinal(bytes);
      // The batch in flight may still read the queue's last join buffer: not given back.
      if (this.#inFlight) this.#queue.release();
      // take() may hand out a part at a time (send_queue.ts): all of it goes, in order.
      while (this.#queue.bytes > 0) this.#raw.write(this.#queue.take(), ignore);
      this.#socket.close(1000);
      this.#endTimer = setTimeout(() => this.close(), END_MS);
    }
    return this.done;
  }

  /** Flushes in a microtask, so that the frames of one burst of broadcasts leave as one message. */
  #scheduleFlush(): void {
    if (this.#inFlight || this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    if (this.ending || this.#inFlight) return;
    if (this.#queue.bytes === 0) {
      this.#queue.release();
      return;
    }
    this.#inFlight = true;
    this.#raw.write(this.#queue.take(), this.#written);
  };

  /** The batch in flight was written (or failed: the socket reports that as its close). */
  readonly #written = (error?: Error | null): void => {
    this.#inFlight = false;
    if (error) return this.close();
    if (!this.ending) this.#queue.written();
    this.#flush();
  };

  /** Closes now, dropping anything unsent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    clearTimeout(this.#endTimer);
    this.#inbox.length = 0;
    this.#inboxBytes = 0;
    this.#queue.clear();
    this.#queue.release();
    this.#socket.terminate();
    this.#notify();
    this.#ended.fire();
    this.#resolveDone();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A write's outcome nobody waits for (the close that follows reports a failure). */
function ignore(): void {}

function toBytes(data: Uint8Array | Uint8Array[] | ArrayBuffer): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (!Array.isArray(data)) return data;
  const bytes = new Uint8Array(data.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of data) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
