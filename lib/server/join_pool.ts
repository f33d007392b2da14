/**
 * The buffers a send queue joins short chunks into, pooled between writes
 * (send_queue.ts).
 *
 * @module
 */

/** Joins up to this size are made in a pooled buffer (see pooledBuffer); larger ones in one of their own. */
export const JOIN_POOLED_MAX = 1024 * 1024;
/** The smallest pooled buffer (a join's size is rounded up to a power of two from here). */
const POOLED_MIN = 4096;
/** Most bytes of idle buffers the pool keeps between writes. */
const POOL_BYTES = 4 * 1024 * 1024;

/**
 * Buffers that joins are made in, given back when their write is done, for
 * the next join: in Deno a new buffer costs far more than its copy (a 16 KiB
 * `new Uint8Array` and its fill took ~60 µs in a loop on these machines, a
 * pooled one under 1 µs: each is a backing store of its own, zeroed, and
 * counted as external memory that brings collections on sooner), and in a
 * flood every writer joins. By size class, the powers of two from
 * POOLED_MIN to JOIN_POOLED_MAX; at most POOL_BYTES of idle buffers are kept, and
 * the server's sweep lets them all go once a sweep passes without a join
 * ({@linkcode trimJoinPool}), so an idle server keeps none.
 */
const joinPool = {
  /** Idle buffers per class (index: log2 of the size less log2 of POOLED_MIN). */
  classes: [] as ArrayBuffer[][],
  bytes: 0,
  /** Whether a join took a buffer since the last trim. */
  used: false,
};

/** The size class of `size` bytes: 0 up to POOLED_MIN, then one more per power of two. */
function classOf(size: number): number {
  return size <= POOLED_MIN ? 0 : 32 - Math.clz32(size - 1) - Math.log2(POOLED_MIN);
}

/** A pooled buffer of at least `size` bytes (at most JOIN_POOLED_MAX). */
export function pooledBuffer(size: number): ArrayBuffer {
  const index = classOf(size);
  joinPool.used = true;
  const buffer = joinPool.classes[index]?.pop();
  if (buffer === undefined) return new ArrayBuffer(POOLED_MIN << index);
  joinPool.bytes -= buffer.byteLength;
  return buffer;
}

/** Gives `buffer` (from pooledBuffer, written and no longer read by anyone) back. */
export function givePooled(buffer: ArrayBuffer): void {
  const capacity = buffer.byteLength;
  if (joinPool.bytes + capacity > POOL_BYTES) return;
  (joinPool.classes[classOf(capacity)] ??= []).push(buffer);
  joinPool.bytes += capacity;
}

/**
 * For the server's sweep: lets the pool's idle buffers go when no join took
 * one since the last call (a quiet server keeps no join buffers).
 */
export function trimJoinPool(): void {
  if (!joinPool.used) {
    joinPool.classes.length = 0;
    joinPool.bytes = 0;
  }
  joinPool.used = false;
}

/** Bytes of idle join buffers the pool holds (for tests). */
export function joinPoolBytes(): number {
  return joinPool.bytes;
}
