import type { OverflowListener, Pipe, PipeReader } from "./outbox.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * An in-memory {@linkcode Pipe} for tests: the test feeds chunks as the peer
 * and reads back what was sent. Like `Connection`, sends are ignored once it
 * ends or overflowed, the first final bytes still go out, and an overflow
 * handler runs in a microtask. It flushes at once: `end` closes.
 */
export class FakePipe implements Pipe {
  /** `ip:port` of the pretend peer. */
  readonly remote: string;
  /** Every chunk sent, in order (final bytes included). */
  readonly sent: Uint8Array[] = [];
  /** When the test last fed a chunk (set it to test keepalive). */
  lastReceived = performance.now();
  /** Bytes the test pretends are queued. */
  queuedBytes = 0;
  readonly #done = Promise.withResolvers<void>();
  readonly #reading = Promise.withResolvers<void>();
  #onChunk: ((chunk: Uint8Array) => void | Promise<void>) | undefined;
  #overflowListener: OverflowListener | undefined;
  #ended = false;
  #closed = false;
  #overflowed = false;

  /** A pipe from `remote`. */
  constructor(remote = "192.0.2.1:40000") {
    this.remote = remote;
  }

  /** Resolves once closed. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Whether sends are ignored. */
  get ending(): boolean {
    return this.#ended || this.#closed || this.#overflowed;
  }

  /** Whether the pipe was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Who is told of an overflow. */
  get overflowListener(): OverflowListener | undefined {
    return this.#overflowListener;
  }

  /** Sets who is told of an overflow. */
  set overflowListener(listener: OverflowListener | undefined) {
    this.#overflowListener = listener;
  }

  /** Records the bytes. */
  send(bytes: Uint8Array): void {
    if (!this.ending) this.sent.push(bytes);
  }

  /** Records the first final bytes and closes. */
  end(bytes?: Uint8Array): Promise<void> {
    if (this.#closed) return this.done;
    if (bytes && !this.#ended) this.sent.push(bytes);
    this.#ended = true;
    this.close();
    return this.done;
  }

  /** Closes: the read loop ends cleanly. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reading.resolve();
    this.#done.resolve();
  }

  /** Waits for the test to feed chunks, until closed or failed. */
  readLoop(reader: PipeReader): void {
    this.#onChunk = (chunk) => reader.chunk(chunk);
    this.#reading.promise.then(() => reader.ended(), (error) => reader.failed(error));
  }

  /** The peer sends `data`; resolves once the session has handled it. */
  async feed(data: string | Uint8Array): Promise<void> {
    if (this.#closed) return;
    this.lastReceived = performance.now();
    await this.#onChunk!(typeof data === "string" ? encoder.encode(data) : data);
  }

  /** The connection fails with `error` (the read loop rejects). */
  fail(error: Error): void {
    this.#reading.reject(error);
  }

  /** The send queue overflows, as a broadcast to a stalled reader would make it. */
  overflow(): void {
    this.#overflowed = true;
    const listener = this.#overflowListener;
    this.#overflowListener = undefined;
    if (listener) queueMicrotask(() => listener.overflowed());
    else this.close();
  }

  /** Everything sent, as text. */
  text(): string {
    return this.sent.map((chunk) => decoder.decode(chunk)).join("");
  }

  /** Everything sent, as JSON frames (native clients). */
  frames(): Record<string, unknown>[] {
    return this.text().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
  }

  /** Forgets what was sent so far. */
  clear(): void {
    this.sent.length = 0;
  }
}
