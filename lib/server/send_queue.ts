/**
 * One connection's outgoing bytes, bounded: chunks queue without copying and
 * leave joined into few writes (long runs as they are, on a socket whose
 * writes are cheap); past the bound, the queue refuses (the client is
 * dropped with `send_queue_exceeded`).
 *
 * @module
 */

import { givePooled, JOIN_POOLED_MAX, pooledBuffer } from "./join_pool.ts";
import { joinInto, rememberJoin, sameAsLastJoin, sharedJoin, whole } from "./shared_join.ts";

/**
 * A queued run this long leaves in a write of its own, as it is, rather than
 * copied into a join with what is queued around it: in a flood a writer's
 * queue is mostly a few long runs (a codec carves consecutive lines from one
 * slab, `utf8Bytes`), and a copy of them cost more than a write more. Past
 * a quarter of its limit a queue joins them all the same: a backlog of long
 * frames of their own (a fast client's own echoes) must drain in few writes,
 * with room left for a burst, or it overflows (one write a frame, a client
 * sending long messages was dropped).
 */
const VIEW_MIN = 8 * 1024;
/** Slots for queued chunks that an idle queue keeps (the rest are trimmed when its writer goes idle). */
const KEPT_SLOTS = 256;
/** The slots of every trimmed queue: none (frozen, never written; the next push makes an array). */
const NO_SLOTS = Object.freeze([]) as unknown as (Uint8Array | undefined)[];
/** The lengths of every trimmed queue (replaced with NO_SLOTS's). */
const NO_LENGTHS = Object.freeze([]) as unknown as number[];
/**
 * Fewest new chunks that consolidate() joins behind a stalled write (fewer wait for the next
 * sweep, and are joined then, however few: each may keep a whole 64 KiB slab alive).
 */
const MIN_CONSOLIDATED = 4;
/** Pieces that consolidate() makes are at most this size (or one chunk, if larger). */
const PIECE_BYTES = 64 * 1024;

/**
 * A bounded queue of outgoing bytes for one connection. Pushing never waits;
 * the connection's writer takes what is queued as one buffer (or, on a cheap
 * socket, a long run as it is), so many small frames leave in one write.
 */
export class SendQueue {
  /**
   * The queued chunks are its first #count slots; the rest are empty
   * (undefined) slots kept for the next pushes. Emptying the queue by
   * `length = 0` would let V8 trim the array's store to nothing, and a busy
   * connection would then grow it again (a new, larger copy every few
   * pushes) between every two writes: in a flood that was the most
   * expensive line of the send path.
   */
  #chunks: (Uint8Array | undefined)[] = [];
  /**
   * The bytes each queued chunk stands for: its own length, or more when the
   * chunks pushed after it were the bytes right after it in the same buffer
   * (a codec carves consecutive short frames from one slab, `utf8Bytes`): a
   * broadcast's next frame then only lengthens the run every recipient
   * already has queued (a number, no pointer stored), and leaves in one copy.
   */
  #lengths: number[] = [];
  /** The buffer under the last queued chunk (while any is queued). */
  #lastBuffer: ArrayBufferLike | undefined;
  #count = 0;
  #bytes = 0;
  /**
   * The pooled buffer the last take() joined into, until its writer says the
   * write is done ({@linkcode SendQueue.written}), which gives it back to the
   * pool: a busy connection joins on every write, and a fresh buffer each
   * time made most of a flood's garbage and cost more than the copy.
   */
  #owned: ArrayBuffer | undefined;
  /** Takes so far (a join another queue shares is valid until its queue takes again). */
  #takes = 0;
  /** The first #settled chunks are pieces of consolidate() (never copied again). */
  #settled = 0;
  /** Leading chunks that were queued already at the last consolidate() and still are. */
  #waited = 0;
  /** #takes at the last consolidate() or trim(). */
  #takesAtSweep = 0;

  /** Runs this long leave alone (VIEW_MIN), or Infinity: everything that fits leaves joined. */
  readonly #viewMin: number;

  /**
   * @param limit most bytes held before {@linkcode SendQueue.push} refuses
   * @param longRunsAlone whether a long run leaves in a write of its own
   *   (VIEW_MIN): for a socket whose writes cost less than copying (Deno's
   *   own TCP); over node:tls or a WebSocket each write costs more (node's
   *   streams), and everything that fits leaves joined
   */
  constructor(readonly limit: number, longRunsAlone = false) {
    this.#viewMin = longRunsAlone ? VIEW_MIN : Infinity;
  }

  /** How many times it was taken from (the module's shared join checks it). */
  get takes(): number {
    return this.#takes;
  }

  /** Bytes waiting to be written. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `length` more bytes (with `below` more held under the queue) stay within the limit. */
  fits(length: number, below = 0): boolean {
    return this.#bytes + below + length <= this.limit;
  }

  /**
   * Queues `chunk`; returns `false` (and queues nothing) if it would pass the
   * limit. A chunk bigger than the limit is still taken into an empty queue,
   * so one large frame (a welcome with long history) cannot fail by itself.
   */
  push(chunk: Uint8Array): boolean {
    if (this.#bytes > 0 && this.#bytes + chunk.length > this.limit) return false;
    this.#add(chunk);
    this.#bytes += chunk.length;
    return true;
  }

  /** Queues `chunk` even past the limit: for the one last frame before closing. */
  pushFinal(chunk: Uint8Array): void {
    this.#add(chunk);
    this.#bytes += chunk.length;
  }

  /**
   * Removes and returns the next bytes to write, at most `max` (empty if
   * none), joined into one buffer. With `longRunsAlone`, a run of VIEW_MIN
   * bytes or more leaves alone, as it is (no copy), and shorter chunks leave
   * joined as many as come before the next long run; past a quarter of the limit,
   * everything that fits leaves joined all the same.
   * The writer has one write in flight: it calls
   * {@linkcode SendQueue.written} when that write is done, and only then
   * takes again (or release() first, if it cannot wait).
   */
  take(max = Infinity): Uint8Array {
    // The last take's buffer, if still owned, was not said to be written: it is not given back.
    this.#owned = undefined;
    this.#takes++;
    const count = this.#count;
    if (count === 0) return new Uint8Array(0);
    const chunks = this.#chunks;
    const lengths = this.#lengths;
    if (lengths[0] > max) {
      // The first chunk alone is bigger: its head now, its tail next time.
      const first = whole(chunks[0]!, lengths[0]);
      chunks[0] = first.subarray(max);
      lengths[0] -= max;
      this.#bytes -= max;
      return first.subarray(0, max);
    }
    let taken = 1;
    let size = lengths[0];
    const viewMin = this.#viewMin;
    if (size >= viewMin) {
      // A long first run leaves alone, unless the queue is past a quarter of its limit: then
      // all that fits leaves joined, so that it drains in few writes before it overflows.
      if (this.#bytes * 4 > this.limit) {
        while (taken < count && size + lengths[taken] <= max) size += lengths[taken++];
      }
    } else {
      // Short chunks, joined up to the next long run (which leaves alone, next).
      while (taken < count && lengths[taken] < viewMin && size + lengths[taken] <= max) {
        size += lengths[taken++];
      }
    }
    let out: Uint8Array;
    if (taken === 1 && lengths[0] === chunks[0]!.length) out = chunks[0]!;
    else if (sameAsLastJoin(chunks, lengths, taken)) out = sharedJoin(size);
    else if (taken === 1) {
      // One run: a view of bytes never written again, shared as it is.
      out = whole(chunks[0]!, lengths[0]);
      rememberJoin(chunks, lengths, 1, undefined, out);
    } else {
      out = joinInto(this.#buffer(size), chunks, lengths, taken);
      rememberJoin(chunks, lengths, taken, this.#owned ? this : undefined, out);
    }
    if (taken === count) {
      // The slots are kept (see #chunks); the chunks are not held.
      for (let i = 0; i < count; i++) chunks[i] = undefined;
      this.#lastBuffer = undefined;
      this.#count = 0;
      this.#bytes = 0;
      this.#settled = 0;
      this.#waited = 0;
    } else {
      // The rest move to the front.
      chunks.copyWithin(0, taken, count);
      lengths.copyWithin(0, taken, count);
      chunks.fill(undefined, count - taken, count);
      this.#count = count - taken;
      this.#bytes -= size;
      this.#settled = Math.max(0, this.#settled - taken);
      this.#waited = Math.max(0, this.#waited - taken);
    }
    return out;
  }

  #add(chunk: Uint8Array): void {
    const count = this.#count;
    const buffer = bufferOf(chunk);
    if (count > this.#settled && buffer === this.#lastBuffer) {
      // The bytes right after the last chunk's, in the same buffer: one run.
      const length = this.#lengths[count - 1];
      if (this.#chunks[count - 1]!.byteOffset + length === chunk.byteOffset) {
        this.#lengths[count - 1] = length + chunk.length;
        return;
      }
    }
    this.#lastBuffer = buffer;
    let chunks = this.#chunks;
    if (chunks === NO_SLOTS) {
      chunks = this.#chunks = [];
      this.#lengths = [];
    }
    if (count === chunks.length) {
      chunks.push(chunk);
      this.#lengths.push(chunk.length);
    } else {
      chunks[count] = chunk;
      this.#lengths[count] = chunk.length;
    }
    this.#count = count + 1;
  }

  /** Drops everything queued. */
  clear(): void {
    this.#chunks.fill(undefined, 0, this.#count);
    this.#lastBuffer = undefined;
    this.#count = 0;
    this.#bytes = 0;
    this.#settled = 0;
    this.#waited = 0;
  }

  /**
   * The last take()'s bytes were written and nothing reads them any more:
   * its join buffer, if pooled, goes back to the pool.
   */
  written(): void {
    const owned = this.#owned;
    if (owned === undefined) return;
    this.#owned = undefined;
    givePooled(owned);
  }

  /**
   * Lets the last take()'s join buffer go without giving it back (a write
   * that may still read it, or that nobody waits for), and a burst's slots
   * past KEPT_SLOTS (trimmed in place).
   */
  release(): void {
    this.#owned = undefined;
    if (this.#count === 0 && this.#chunks.length > KEPT_SLOTS) {
      this.#chunks.length = KEPT_SLOTS;
      this.#lengths.length = KEPT_SLOTS;
    }
  }

  /**
   * Lets all the empty slots go, when nothing is queued: for a queue idle a
   * while (the server's sweep), so that an idle client keeps no slots of its
   * welcome (~200 bytes each; a flood's writer is rarely idle at a sweep),
   * nor the array (shared NO_SLOTS until the next push).
   */
  trim(): void {
    if (this.#count === 0) {
      this.#chunks = NO_SLOTS;
      this.#lengths = NO_LENGTHS;
    }
    this.#waited = 0;
    this.#takesAtSweep = this.#takes;
  }

  /**
   * For the server's sweep (about once a second) while a write is in flight:
   * bounds what the queued chunks keep alive behind a reader that stopped
   * reading. A codec's short output is a part of a shared 64 KiB slab
   * (`utf8Bytes`) that keeps the whole slab alive, so 1 MiB of queued parts
   * could hold all the slabs made meanwhile. When the queue was not taken from since the last
   * call (its write stalled), the chunks queued since are joined into
   * pieces of their own (exact size, a copy); when it was (a slow reader
   * taking slices), those that were queued already at the last call are.
   * Pieces are never copied again, so a stalled queue copies each byte once.
   * A queue whose chunks all leave between two sweeps (a flood's) is never
   * touched: its chunks stay the very ones other queues share a join of.
   */
  consolidate(): void {
    const end = this.#takes === this.#takesAtSweep ? this.#count : this.#waited;
    // Chunks that waited through a whole sweep are joined however few (#waited: queued at
    // the last sweep).
    if (end - this.#settled >= MIN_CONSOLIDATED || this.#waited > this.#settled) {
      this.#joinPieces(this.#settled, end);
    }
    this.#waited = this.#count;
    this.#takesAtSweep = this.#takes;
  }

  /** Replaces chunks `from` to `end` (not included) by pieces of their bytes, in order. */
  #joinPieces(from: number, end: number): void {
    const chunks = this.#chunks;
    const lengths = this.#lengths;
    let at = from;
    for (let i = from; i < end;) {
      let size = lengths[i];
      let next = i + 1;
      while (next < end && size + lengths[next] <= PIECE_BYTES) size += lengths[next++];
      const first = whole(chunks[i]!, lengths[i]);
      let piece: Uint8Array;
      // A chunk alone that is a whole buffer of its own is one already.
      if (next === i + 1 && first.byteLength === first.buffer.byteLength) piece = first;
      else piece = joinInto(new Uint8Array(size), chunks, lengths, next, i);
      chunks[at] = piece;
      lengths[at++] = size;
      i = next;
    }
    const count = this.#count;
    chunks.copyWithin(at, end, count);
    lengths.copyWithin(at, end, count);
    const left = count - (end - at);
    chunks.fill(undefined, left, count);
    // The last chunk made a piece: its old buffer is kept alive by nothing here.
    if (end === count) this.#lastBuffer = undefined;
    this.#count = left;
    this.#settled = at;
  }

  /**
   * Bytes of memory the queued chunks keep alive: each distinct buffer under
   * them once, so at least `bytes` (for tests and diagnostics: it walks the
   * queue).
   */
  retainedBytes(): number {
    const buffers = new Set<ArrayBufferLike>();
    let retained = 0;
    for (let i = 0; i < this.#count; i++) {
      const buffer = this.#chunks[i]!.buffer;
      if (buffers.has(buffer)) continue;
      buffers.add(buffer);
      retained += buffer.byteLength;
    }
    return retained;
  }

  /**
   * `size` bytes to join into: a pooled buffer (owned until written()) up
   * to JOIN_POOLED_MAX, else one of their own.
   */
  #buffer(size: number): Uint8Array {
    if (size > JOIN_POOLED_MAX) return new Uint8Array(size);
    const buffer = this.#owned = pooledBuffer(size);
    return new Uint8Array(buffer, 0, size);
  }
}

/** The longest chunk whose buffer bufferOf() remembers. */
const SEEN_MAX = 4096;
/** The last chunk bufferOf() was asked about, and its buffer. */
let seenChunk: Uint8Array | undefined;
let seenBuffer: ArrayBufferLike | undefined;

/**
 * `chunk.buffer`, which is a call into the runtime (~30 ns): a broadcast
 * pushes the same chunk to every recipient in turn, so it is asked once.
 */
function bufferOf(chunk: Uint8Array): ArrayBufferLike {
  // A large chunk is not kept alive for this.
  if (chunk.length > SEEN_MAX) return chunk.buffer;
  if (chunk !== seenChunk) {
    seenChunk = chunk;
    seenBuffer = chunk.buffer;
  }
  return seenBuffer!;
}
