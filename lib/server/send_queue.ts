/**
 * One connection's outgoing bytes, bounded: chunks queue without copying and
 * leave joined into one write; past the bound, the queue refuses (the client
 * is dropped with `send_queue_exceeded`).
 *
 * @module
 */

/** Joins up to this size go into one buffer that is reused while the connection keeps writing. */
const REUSED_BYTES = 64 * 1024;

/**
 * A bounded queue of outgoing bytes for one connection. Pushing never waits;
 * the connection's writer takes everything queued as one buffer, so many small
 * frames leave in one write.
 */
export class SendQueue {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  /**
   * Where take() joins chunks, reused from one take() to the next: a busy
   * connection joins on every write, and a fresh buffer each time made most
   * of a flood's garbage. Dropped by release() when the writer goes idle.
   */
  #joined: Uint8Array | undefined;

  /** @param limit most bytes held before {@linkcode SendQueue.push} refuses */
  constructor(readonly limit: number) {}

  /** Bytes waiting to be written. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Queues `chunk`; returns `false` (and queues nothing) if it would pass the
   * limit. A chunk bigger than the limit is still taken into an empty queue,
   * so one large frame (a welcome with long history) cannot fail by itself.
   */
  push(chunk: Uint8Array): boolean {
    if (this.#bytes > 0 && this.#bytes + chunk.length > this.limit) return false;
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    return true;
  }

  /** Queues `chunk` even past the limit: for the one last frame before closing. */
  pushFinal(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }

  /**
   * Removes and returns everything queued, or the first `max` bytes of it,
   * joined into one buffer (empty if none). The bytes stay valid until the
   * next take() or release(): the writer must be done with them by then (it
   * has one write in flight).
   */
  take(max = Infinity): Uint8Array {
    const chunks = this.#chunks;
    if (this.#bytes > max) return this.#takeSome(max);
    let out: Uint8Array;
    if (chunks.length === 1) out = chunks[0];
    else {
      out = this.#buffer(this.#bytes);
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.length;
      }
    }
    // The array is reused: one take per delivery must not allocate.
    chunks.length = 0;
    this.#bytes = 0;
    return out;
  }

  /** The first `max` bytes (fewer than are queued): whole chunks, the last one split. */
  #takeSome(max: number): Uint8Array {
    const chunks = this.#chunks;
    let size = 0;
    let count = 0;
    while (size + chunks[count].length <= max) size += chunks[count++].length;
    if (count === 0) {
      // The first chunk alone is bigger: its head now, its tail next time.
      const first = chunks[0];
      chunks[0] = first.subarray(max);
      this.#bytes -= max;
      return first.subarray(0, max);
    }
    let out: Uint8Array;
    if (count === 1) out = chunks[0];
    else {
      out = this.#buffer(size);
      let offset = 0;
      for (let i = 0; i < count; i++) {
        out.set(chunks[i], offset);
        offset += chunks[i].length;
      }
    }
    chunks.splice(0, count);
    this.#bytes -= size;
    return out;
  }

  /** Drops everything queued. */
  clear(): void {
    this.#chunks.length = 0;
    this.#bytes = 0;
  }

  /** Lets the join buffer go (an idle connection should not hold it). */
  release(): void {
    this.#joined = undefined;
  }

  /** `size` bytes to join into: the reused buffer when it fits under REUSED_BYTES. */
  #buffer(size: number): Uint8Array {
    if (size > REUSED_BYTES) return new Uint8Array(size);
    if (this.#joined === undefined || this.#joined.length < size) {
      let capacity = 4096;
      while (capacity < size) capacity *= 2;
      this.#joined = new Uint8Array(capacity);
    }
    return this.#joined.subarray(0, size);
  }
}
