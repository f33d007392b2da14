/**
 * The server's pipe over a WebSocket (npm `ws`): one text message in is one
 * chunk for the codec (with a line end added, so a message is a line), and
 * each `send` goes out as one message without waiting, bounded like a TCP
 * connection's send queue.
 *
 * Why no queue of its own in front of `ws`: `ws.send` hands the bytes to the
 * socket at once (the payload is not copied, only a frame header is made),
 * and `bufferedAmount` counts everything the socket has not written yet, so
 * it is the send queue; the bound is checked against it before each send.
 *
 * @module
 */

// @ts-types="./ws_types.d.ts"
import type { WebSocket } from "ws";
import type { Pipe } from "./outbox.ts";

/** Settings of a {@linkcode WebSocketPipe}. */
export interface WebSocketPipeOptions {
  /** Most bytes waiting to be written to this client before it is dropped. */
  sendQueueBytes: number;
  /** `ip:port` of the peer, for logs (IPv6 in brackets). */
  remote: string;
  /**
   * Bytes written below the WebSocket that `bufferedAmount` does not see (a
   * TLS socket takes what it is given and encrypts it into the TCP socket's
   * buffer): counted against the bound too.
   * @default {() => 0}
   */
  bufferedBelow?: () => number;
}

const LF = new Uint8Array([0x0a]);
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
  /** Called once when the bound is exceeded. */
  onOverflow: (() => void) | undefined;
  readonly #socket: WebSocket;
  readonly #limit: number;
  readonly #bufferedBelow: () => number;
  readonly #resolveDone: () => void;
  /** Messages received and not handed to the read loop yet. */
  readonly #inbox: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  #ending = false;
  #closed = false;
  #overflowed = false;
  #endTimer: ReturnType<typeof setTimeout> | undefined;
  #error: Error | undefined;

  constructor(socket: WebSocket, options: WebSocketPipeOptions) {
    this.#socket = socket;
    this.remote = options.remote;
    this.#limit = options.sendQueueBytes;
    this.#bufferedBelow = options.bufferedBelow ?? (() => 0);
    const done = Promise.withResolvers<void>();
    this.done = done.promise;
    this.#resolveDone = done.resolve;
    socket.on("message", (data: Uint8Array | Uint8Array[] | ArrayBuffer) => {
      this.lastReceived = performance.now();
      this.#inbox.push(toBytes(data));
      // The read loop takes one message at a time: while it waits, so does the peer.
      if (this.#inbox.length > 1) socket.pause();
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

  /** Bytes sent and not yet written to the network. */
  get queuedBytes(): number {
    return this.#closed ? 0 : this.#socket.bufferedAmount + this.#bufferedBelow();
  }

  /**
   * Hands each message, with a line end, to `onChunk`, waiting while its
   * handling waits; resolves when the WebSocket closes (cleanly or not: a
   * protocol error of the peer is its end, as a reset TCP connection is),
   * rejects with an error the socket reported while open.
   */
  async readLoop(onChunk: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    while (true) {
      while (this.#inbox.length === 0) {
        if (this.#closed) return;
        if (this.#error) throw this.#error;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
      const message = this.#inbox.shift()!;
      if (this.#inbox.length === 0) this.#socket.resume();
      const chunk = new Uint8Array(message.length + 1);
      chunk.set(message);
      chunk.set(LF, message.length);
      const pending = onChunk(chunk);
      if (pending) await Promise.race([pending, this.done]);
      if (this.#closed) return;
    }
  }

  /** Sends one message; past the bound, reports an overflow once (in a microtask). */
  send(bytes: Uint8Array): void {
    if (this.ending) return;
    if (this.queuedBytes + bytes.length > this.#limit) {
      this.#overflowed = true;
      const handler = this.onOverflow;
      this.onOverflow = undefined;
      if (handler) queueMicrotask(handler);
      else this.close();
      return;
    }
    this.#socket.send(bytes, { binary: false });
  }

  /** Sends final bytes (past the bound), then a close frame; closes within a second. */
  end(bytes?: Uint8Array): Promise<void> {
    if (this.#closed) return this.done;
    if (this.#endTimer === undefined) {
      this.#ending = true;
      if (bytes) this.#socket.send(bytes, { binary: false });
      this.#socket.close(1000);
      this.#endTimer = setTimeout(() => this.close(), END_MS);
    }
    return this.done;
  }

  /** Closes now, dropping anything unsent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    clearTimeout(this.#endTimer);
    this.#inbox.length = 0;
    this.#socket.terminate();
    this.#notify();
    this.#resolveDone();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

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
