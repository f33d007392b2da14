/**
 * The read buffers idle connections wait on: {@linkcode MIN_READ_BYTES}-byte
 * regions of shared slabs, each handed back when its connection's read loop
 * ends and handed out again to the next connection, instead of a buffer of
 * its own for every connection. In Deno a `new Uint8Array(256)` that stays
 * alive has a backing store of its own (allocated, zeroed, tracked as
 * external memory and swept), and costs microseconds and a few hundred bytes
 * beyond its 256 (docs/performance.md, "Eighth round"); a view of a slab is
 * one small object.
 *
 * A region is given back only when no read can write into it any more (the
 * read loop ended, or the connection grew past it between two reads), and a
 * region is given out to one connection at a time.
 *
 * @module
 */

/** The smallest read buffer: every connection's while it is idle. */
export const MIN_READ_BYTES = 256;

/**
 * 16 regions a slab: one allocation for 16 connections, and a connection that outlives its
 * neighbours (while the regions they gave back go to others, or past MAX_FREE to nobody) keeps
 * 4 KiB at most.
 */
const SLAB_BYTES = 16 * MIN_READ_BYTES;

/** Regions kept for the next connections; past this many, given-back regions are let go. */
const MAX_FREE = 1024;

const free: Uint8Array[] = [];
let slab: ArrayBuffer | undefined;
let carved = SLAB_BYTES;

/** A region of {@linkcode MIN_READ_BYTES} for one connection's reads, until given back. */
export function takeReadBuffer(): Uint8Array {
  const reused = free.pop();
  if (reused !== undefined) return reused;
  if (carved === SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    carved = 0;
  }
  const region = new Uint8Array(slab!, carved, MIN_READ_BYTES);
  carved += MIN_READ_BYTES;
  return region;
}

/**
 * Gives back `buffer` once no read can write into it any more. Buffers that
 * {@linkcode takeReadBuffer} did not give out (the larger ones a busy
 * connection grows to) are left to the collector.
 */
export function giveBackReadBuffer(buffer: Uint8Array): void {
  if (
    buffer.length === MIN_READ_BYTES && buffer.buffer.byteLength === SLAB_BYTES &&
    free.length < MAX_FREE
  ) {
    // Nothing reads past what a read wrote, but the last connection's bytes (a password) go.
    buffer.fill(0);
    free.push(buffer);
  }
}

/** Regions waiting to be given out again (for tests). */
export function freeReadBuffers(): number {
  return free.length;
}
