/**
 * The writer the Deno reference relays share (`deno_relay.ts`,
 * `deno_ws_relay.ts`): the best one found for Deno. Each client's bytes queue
 * while a write is in flight and leave together in the next write, and at
 * most `writesInFlight` writes (default 128, Infinity for no limit) are in
 * flight over all clients, the others waiting in one FIFO. A client with more
 * than `writeLimit.queueBytes` unsent (1 MiB unless set) is closed.
 *
 * @module
 */

/** Clients waiting for a write slot, in order; a moving head so taking allocates nothing. */
const ready: (RelayWriter | undefined)[] = [];
let head = 0;
let inFlight = 0;
let pumpQueued = false;

/**
 * How many writes may be in flight at once over all clients (`Infinity`: no
 * limit), and whether a client whose queue holds the very chunks (by
 * reference, in order) of the last join takes that join instead of copying
 * them again: in a flood every member's queue holds the same frames, and
 * copying them once per member was most of `deno_relay.ts`'s profile
 * (lanchat's send queue shares joins so). Off by default, so that
 * `deno-relay` stays the relay every earlier figure was measured with.
 */
export const writeLimit = { writesInFlight: 128, shareJoins: false, queueBytes: 1 << 20 };

/** The last join of several chunks, and its chunks (a fresh buffer, never written again). */
let lastParts: Uint8Array[] = [];
let lastJoined: Uint8Array | undefined;

/** Whether `queue` holds the very chunks of the last join, in order. */
function sameAsLast(queue: Uint8Array[]): boolean {
  if (queue.length !== lastParts.length) return false;
  for (let i = 0; i < queue.length; i++) if (queue[i] !== lastParts[i]) return false;
  return true;
}

/**
 * Whether `queue`'s chunks lie one after another in one buffer (blocks carved from a slab in
 * turn do: `deno_chat_floor.ts`); then they leave as one view, not copied. Copies of reads
 * (`deno_relay.ts`) never do, and are told so at the first pair.
 */
function adjacent(queue: Uint8Array[]): boolean {
  for (let i = 1; i < queue.length; i++) {
    const last = queue[i - 1];
    const part = queue[i];
    if (part.buffer !== last.buffer || part.byteOffset !== last.byteOffset + last.length) {
      return false;
    }
  }
  return true;
}

/** One client's queue and writer; it leaves `members` when it closes. */
export class RelayWriter {
  queue: Uint8Array[] = [];
  queued = 0;
  writing = false;
  closed = false;
  pending: Uint8Array | undefined;
  written = 0;

  constructor(readonly conn: Deno.Conn, readonly members: Set<RelayWriter>) {}

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.queue.push(bytes);
    this.queued += bytes.length;
    if (this.queued > writeLimit.queueBytes) return this.close();
    if (!this.writing) {
      this.writing = true;
      enqueue(this);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.members.delete(this);
    this.queue = [];
    this.queued = 0;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Takes everything queued as one buffer. */
  take(): Uint8Array {
    const queue = this.queue;
    let bytes: Uint8Array;
    if (queue.length === 1) bytes = queue[0];
    else if (adjacent(queue)) {
      bytes = new Uint8Array(queue[0].buffer, queue[0].byteOffset, this.queued);
    } else if (writeLimit.shareJoins && lastJoined && sameAsLast(queue)) bytes = lastJoined;
    else {
      bytes = new Uint8Array(this.queued);
      let at = 0;
      for (const part of queue) {
        bytes.set(part, at);
        at += part.length;
      }
      if (writeLimit.shareJoins) {
        lastParts = queue;
        lastJoined = bytes;
      }
    }
    this.queue = [];
    this.queued = 0;
    return bytes;
  }

  writeNext(): void {
    if (this.closed || this.queued === 0) {
      this.writing = false;
      return;
    }
    this.pending = this.take();
    this.written = 0;
    inFlight++;
    this.conn.write(this.pending).then(this.onWritten, this.onFailed);
  }

  readonly onWritten = (n: number): void => {
    this.written += n;
    const pending = this.pending!;
    if (this.written < pending.length && !this.closed) {
      this.conn.write(pending.subarray(this.written)).then(this.onWritten, this.onFailed);
      return;
    }
    this.pending = undefined;
    release();
    if (this.queued > 0 && !this.closed) enqueue(this);
    else this.writing = false;
  };

  readonly onFailed = (): void => {
    this.pending = undefined;
    release();
    this.writing = false;
    this.close();
  };
}

function enqueue(client: RelayWriter): void {
  ready.push(client);
  if (!pumpQueued) {
    pumpQueued = true;
    queueMicrotask(pump);
  }
}

function release(): void {
  inFlight--;
  if (head < ready.length && !pumpQueued) {
    pumpQueued = true;
    queueMicrotask(pump);
  }
}

function pump(): void {
  pumpQueued = false;
  const limit = writeLimit.writesInFlight;
  while (head < ready.length && inFlight < limit) {
    const client = ready[head]!;
    ready[head++] = undefined;
    client.writeNext();
  }
  if (head === ready.length) {
    ready.length = 0;
    head = 0;
  }
}
