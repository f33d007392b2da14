/**
 * A connection whose first bytes were already read (by a listener that
 * looked at them to tell what speaks): it hands them out again first, then
 * reads on as usual.
 *
 * @module
 */

import type { ByteConn } from "./socket_conn.ts";

/**
 * A {@linkcode ByteConn} that returns `head`, then the outcome of a read the
 * listener had started and not awaited (`pending`: bytes, `null` at the end,
 * or its error), then reads `conn` itself.
 */
export class PrefixedConn implements ByteConn {
  readonly #conn: ByteConn;
  #head: Uint8Array | undefined;
  #pending: Promise<Uint8Array | null> | undefined;

  constructor(conn: ByteConn, head: Uint8Array, pending?: Promise<Uint8Array | null>) {
    this.#conn = conn;
    this.#head = head.length > 0 ? head : undefined;
    this.#pending = pending;
  }

  get remoteAddr(): Deno.Addr {
    return this.#conn.remoteAddr;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#head) return Promise.resolve(this.#takeHead(buffer));
    const pending = this.#pending;
    if (pending) {
      this.#pending = undefined;
      return pending.then((bytes) => {
        if (bytes === null) return null;
        this.#head = bytes;
        return this.#takeHead(buffer);
      });
    }
    return this.#conn.read(buffer);
  }

  write(bytes: Uint8Array): Promise<number> {
    return this.#conn.write(bytes);
  }

  close(): void {
    this.#head = undefined;
    this.#conn.close();
  }

  #takeHead(buffer: Uint8Array): number {
    const head = this.#head!;
    const n = Math.min(buffer.length, head.length);
    buffer.set(head.subarray(0, n));
    this.#head = n < head.length ? head.subarray(n) : undefined;
    return n;
  }
}
