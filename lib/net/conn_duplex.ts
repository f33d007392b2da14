/**
 * A `Deno.Conn` as a node `stream.Duplex`, so that node:tls (and later
 * node:http) can run over a connection that Deno accepted. Deno's own
 * listener is the one whose connections can always be closed and tuned
 * (`setNoDelay`); see docs/performance.md, "TLS: what terminates it".
 *
 * Reading follows the consumer: a chunk is pushed, and the next read waits
 * until the consumer asks for more. The read buffer starts small and grows
 * while reads fill it, as `Connection` does, so idle connections stay cheap.
 *
 * @module
 */

import { Duplex } from "node:stream";

const MIN_READ_BYTES = 1024;
const MAX_READ_BYTES = 64 * 1024;

/** A `Deno.Conn` as a node Duplex stream; see the module doc. */
export class ConnDuplex extends Duplex {
  /** The peer's address, as node sockets name it. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #conn: Deno.Conn;
  #reading = false;
  #closed = false;
  #buffer = new Uint8Array(MIN_READ_BYTES);

  /**
   * @param conn the connection; this stream owns it from now on
   * @param head bytes already read from it, delivered first
   */
  constructor(conn: Deno.Conn, head?: Uint8Array) {
    super({ allowHalfOpen: false });
    this.#conn = conn;
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.remoteAddress = addr.hostname;
    this.remotePort = addr.port;
    if (head && head.length > 0) this.push(head);
  }

  override _read(): void {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    this.#conn.read(this.#buffer).then((n) => {
      this.#reading = false;
      if (n === null) {
        this.push(null);
        return;
      }
      const chunk = this.#buffer.slice(0, n);
      if (n === this.#buffer.length && n < MAX_READ_BYTES) {
        this.#buffer = new Uint8Array(n * 2);
      } else if (n < MIN_READ_BYTES && this.#buffer.length > MIN_READ_BYTES) {
        this.#buffer = new Uint8Array(MIN_READ_BYTES);
      }
      // push() returning true asks for more at once; false waits for _read.
      if (this.push(chunk)) this._read();
    }, (error: Error) => {
      this.#reading = false;
      if (this.#closed || error instanceof Deno.errors.BadResource) this.push(null);
      else this.destroy(error);
    });
  }

  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    this.#writeAll(chunk).then(() => callback(), (error: Error) => callback(error));
  }

  override _writev(
    chunks: { chunk: Uint8Array }[],
    callback: (error?: Error | null) => void,
  ): void {
    let size = 0;
    for (const { chunk } of chunks) size += chunk.length;
    const joined = new Uint8Array(size);
    let offset = 0;
    for (const { chunk } of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    this._write(joined, "buffer", callback);
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
  }

  override _final(callback: (error?: Error | null) => void): void {
    const conn = this.#conn as Deno.TcpConn;
    if (typeof conn.closeWrite !== "function" || this.#closed) return callback();
    conn.closeWrite().then(() => callback(), () => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.close();
    callback(error);
  }

  /** Closes the connection now (whatever the stream's state). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}
