/**
 * The byte pipe of one client, apart from its wire format: what the session
 * and the codecs' sink write to ({@linkcode Outbox}) and what they read from
 * ({@linkcode Pipe}). `Connection` implements both over TCP and TLS,
 * `WebSocketPipe` over a WebSocket.
 *
 * @module
 */

/**
 * Where a client's outgoing bytes go: a bounded queue that never waits.
 * A broadcast calls {@linkcode Outbox.send} once per recipient, so `send`
 * must only enqueue; a reader that stops reading overflows its own outbox,
 * never the room.
 */
export interface Outbox {
  /** `ip:port` of the peer, for logs (IPv6 in brackets). */
  readonly remote: string;
  /** Resolves once the pipe is closed. */
  readonly done: Promise<void>;
  /** Whether the outbox is closing, closed or overflowed: sends are ignored. */
  readonly ending: boolean;
  /** Bytes queued and not yet written. */
  readonly queuedBytes: number;
  /**
   * Told once, in a microtask after the current synchronous work, when the
   * queue overflows (it is cleared by then); without one the pipe is closed
   * at once. A final {@linkcode Outbox.end} still goes out afterwards.
   */
  overflowListener: OverflowListener | undefined;
  /** Queues bytes (shared: never modified); never waits. */
  send(bytes: Uint8Array): void;
  /**
   * Whether `length` more bytes fit under the queue's limit now. A room's
   * run that does not goes event by event (delivery_batch.ts), so the limit
   * holds per event as it always did. Optional: without it, a run is sent.
   */
  fits?(length: number): boolean;
  /**
   * Queues final bytes (past the bound, even after an overflow), flushes them
   * for a short while, then closes; resolves once closed.
   */
  end(bytes?: Uint8Array): Promise<void>;
  /** Closes now, dropping anything unsent. */
  close(): void;
  /** Frees what an idle outbox need not keep (the server's sweep calls it); optional. */
  compact?(): void;
}

/**
 * Who hears that an {@linkcode Outbox} overflowed (the session): an object,
 * not a closure, so that a client keeps no closure of its own for it.
 */
export interface OverflowListener {
  /** The queue overflowed (and is cleared). */
  overflowed(): void;
}

/**
 * An {@linkcode Outbox} that is also read from: the session drives its read
 * loop, one chunk at a time, waiting whenever a chunk's handling waits.
 */
export interface Pipe extends Outbox {
  /** When bytes last arrived (`performance.now()` ms), for keepalive. */
  readonly lastReceived: number;
  /**
   * Reads until the peer closes or the pipe is closed, handing each chunk to
   * `reader.chunk` (valid only during the call); while the promise it
   * returns is pending, nothing more is read, but closing the pipe still
   * ends the loop. Then calls `reader.ended` after a clean end, or
   * `reader.failed` with the pipe's error (or what `chunk` threw or rejected
   * with), once. A reader object, not a promise nor callbacks: a promise and
   * its resolve functions pending for the connection's whole life, or a
   * closure per callback, cost every idle client a few hundred bytes
   * (docs/performance.md).
   */
  readLoop(reader: PipeReader): void;
}

/** What a {@linkcode Pipe}'s read loop hands its chunks and its end to (the session). */
export interface PipeReader {
  /** A chunk (valid only during the call); while the promise it returns is pending, nothing more is read. */
  chunk(bytes: Uint8Array): void | Promise<void>;
  /** The read loop ended cleanly (the peer closed, or the pipe was closed). */
  ended(): void;
  /** The read loop failed with `error`. */
  failed(error: unknown): void;
}
