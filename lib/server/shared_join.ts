/**
 * One join shared by the send queues that hold the very same chunks (a busy
 * room's members between two writes), and the joining itself (send_queue.ts).
 *
 * @module
 */

/** The queue a join was made for: its join is valid while it has not taken again. */
export interface JoinOwner {
  /** How many times it was taken from. */
  readonly takes: number;
}

/**
 * The last join of several chunks, for the next queue that holds the very
 * same chunks in the same order: a broadcast queues the same frames for
 * every member of a room, so in a busy room every member's next write is
 * the same join. It is then made once and shared (compared by reference,
 * one pointer per chunk) instead of copied byte by byte for each member.
 * The first queue joins into a pooled buffer of its own (`from`, valid while
 * that queue has not taken again, `fromTakes`); the second copies it once
 * into `shared`, a buffer that is never written again, which the rest take.
 * A pooled buffer given back is written again only by another join, which
 * is remembered here in its place (send_queue.ts `take`), so a buffer given
 * back is never read as a join it no longer holds.
 */
const lastJoin = {
  chunks: [] as (Uint8Array | undefined)[],
  lengths: [] as number[],
  count: 0,
  from: undefined as JoinOwner | undefined,
  fromTakes: 0,
  fromBytes: undefined as Uint8Array | undefined,
  shared: undefined as Uint8Array | undefined,
};

/** A queued chunk with the `length` bytes it stands for (see `SendQueue.#lengths`). */
export function whole(chunk: Uint8Array, length: number): Uint8Array {
  return length === chunk.length ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, length);
}

/** Copies chunks `from` to `end` (not included), each with its length, into `out`, end to end; returns `out`. */
export function joinInto(
  out: Uint8Array,
  chunks: (Uint8Array | undefined)[],
  lengths: number[],
  end: number,
  from = 0,
): Uint8Array {
  let offset = 0;
  for (let i = from; i < end; i++) {
    const chunk = chunks[i]!;
    const length = lengths[i];
    out.set(length === chunk.length ? chunk : whole(chunk, length), offset);
    offset += length;
  }
  return out;
}

/** Whether the first `count` of `chunks` are the very chunks and runs, in order, of the last join. */
export function sameAsLastJoin(
  chunks: (Uint8Array | undefined)[],
  lengths: number[],
  count: number,
): boolean {
  if (count !== lastJoin.count) return false;
  const last = lastJoin.chunks;
  const lastLengths = lastJoin.lengths;
  for (let i = 0; i < count; i++) {
    if (chunks[i] !== last[i] || lengths[i] !== lastLengths[i]) return false;
  }
  return true;
}

/** The last join as a buffer of its own, made once from the first queue's join while intact. */
export function sharedJoin(size: number): Uint8Array {
  if (lastJoin.shared) return lastJoin.shared;
  const shared = new Uint8Array(size);
  const from = lastJoin.from!;
  if (from.takes === lastJoin.fromTakes) shared.set(lastJoin.fromBytes!);
  else joinInto(shared, lastJoin.chunks, lastJoin.lengths, lastJoin.count);
  lastJoin.shared = shared;
  lastJoin.from = undefined;
  lastJoin.fromBytes = undefined;
  return shared;
}

/** Remembers a join (the first `count` chunks, by reference) for the queues that may hold the same. */
export function rememberJoin(
  chunks: (Uint8Array | undefined)[],
  lengths: number[],
  count: number,
  from: JoinOwner | undefined,
  bytes: Uint8Array,
): void {
  const last = lastJoin.chunks;
  const lastLengths = lastJoin.lengths;
  for (let i = 0; i < count; i++) {
    last[i] = chunks[i]!;
    lastLengths[i] = lengths[i];
  }
  // Chunks of an older, longer join are not kept alive (the slots are).
  if (lastJoin.count > count) last.fill(undefined, count, lastJoin.count);
  lastJoin.count = count;
  // Without a queue, `bytes` are never written again: shared as they are.
  lastJoin.from = from;
  lastJoin.fromTakes = from?.takes ?? 0;
  lastJoin.fromBytes = from ? bytes : undefined;
  lastJoin.shared = from ? undefined : bytes;
}
