/**
 * A `Deno.Conn` as a node `stream.Duplex`, so that a `node:http` server can
 * take a connection that `Deno.listen` accepted
 * (`httpServer.emit("connection", duplex)`). Only the HTTP connections of a
 * plain server pay for it; chat connections keep Deno's own socket.
 *
 * @module
 */

import type { ByteConn } from "./socket_conn.ts";
import { Duplex } from "node:stream";

/**
 * Bytes asked of the connection per read: reads start small and double
 * while they come back full, so that an idle WebSocket client holds 512
 * bytes waiting for its next message, not 16 KiB (measured: 32.7 KiB per
 * idle WebSocket client before, 16.2 after, against 11.4 for a text client).
 */
const MIN_READ_BYTES = 512;
const READ_BYTES = 16 * 1024;

/**
 * A `Deno.Conn` behind the node socket surface that `node:http` and npm `ws`
 * use: reads and writes (several queued writes leave as one), `end`
 * (half-close), `destroy`, the peer's address, and the socket tuning calls
 * (no-ops: the listener tuned the connection already).
 */
export class ConnDuplex extends Duplex {
  /** The peer's address, as a node socket names it. */
  readonly remoteAddress: string;
  /** The peer's port. */
  readonly remotePort: number;
  readonly #conn: ByteConn;
  #reading = false;
  #size = MIN_READ_BYTES;
  /** A write of `writeDirect` in flight: the stream's own writes and its end wait for it. */
  #direct: Promise<void> | undefined;

  /** Wraps `conn`, handing out `head` (bytes already read from it) first. */
  constructor(conn: ByteConn, head: Uint8Array) {
    super({ allowHalfOpen: false });
    this.#conn = conn;
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.remoteAddress = addr.hostname;
    this.remotePort = addr.port;
    if (head.length > 0) this.push(head);
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    const buffer = new Uint8Array(this.#size);
    this.#conn.read(buffer).then((n) => {
      this.#reading = false;
      if (n !== null && n === buffer.length && this.#size < READ_BYTES) this.#size *= 2;
      else if (n !== null && n < MIN_READ_BYTES) this.#size = MIN_READ_BYTES;
      if (n === null) this.push(null);
      else if (this.push(buffer.subarray(0, n))) this._read();
    }, (error) => {
      this.#reading = false;
      this.destroy(error);
    });
  }

  /**
   * Writes `bytes` to the connection itself, not through the stream (which
   * makes a `Buffer` view of each write and calls back on a later tick: in a
   * WebSocket flood, more than the write op): the WebSocket pipe's frames.
   * While the stream has a write of its own pending, or another direct one
   * is in flight, `bytes` go through the stream, so every write keeps its
   * order; the stream's later writes and its end wait for a direct one.
   * `done` runs once the bytes are written, or with the error.
   */
  writeDirect(bytes: Uint8Array, done: (error?: Error | null) => void): void {
    if (this.#direct || this.writableLength > 0 || !this.writable) {
      this.write(bytes, done);
      return;
    }
    const direct = writeAll(this.#conn, bytes);
    this.#direct = direct;
    direct.then(() => {
      this.#direct = undefined;
      done();
    }, (error) => {
      this.#direct = undefined;
      done(error);
    });
  }

  /** Runs `then` once no direct write is in flight. */
  #afterDirect(then: () => void): void {
    const direct = this.#direct;
    if (direct) direct.then(then, then);
    else then();
  }

  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    this.#afterDirect(() => writeAll(this.#conn, chunk).then(() => callback(), callback));
  }

  override _writev(
    chunks: { chunk: Uint8Array }[],
    callback: (error?: Error | null) => void,
  ): void {
    const bytes = new Uint8Array(chunks.reduce((sum, { chunk }) => sum + chunk.length, 0));
    let at = 0;
    for (const { chunk } of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    this.#afterDirect(() => writeAll(this.#conn, bytes).then(() => callback(), callback));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#afterDirect(() => {
      try {
        (this.#conn as Deno.TcpConn).closeWrite();
      } catch {
        // Already closed.
      }
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    callback(error);
  }

  /**
   * Node's socket call (what an HTTP server calls after its last answer):
   * ends the writing side, and closes the connection once what was written
   * has gone, rather than wait for the peer to close its side.
   */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once("finish", () => this.destroy());
  }

  /** Node's socket call; the connection has no idle timeout of its own. */
  setTimeout(): this {
    return this;
  }

  /** Node's socket call; Nagle's algorithm is already off. */
  setNoDelay(): this {
    return this;
  }

  /** Node's socket call; keepalive is already on. */
  setKeepAlive(): this {
    return this;
  }
}

async function writeAll(conn: ByteConn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
