/**
 * Test-only: a {@linkcode ClientPipe} with a scripted server on the other
 * end, so the protocol session is tested without a socket.
 *
 * @module
 */

import { PLAIN_BINDING } from "../protocol/key_proof.ts";
import type { ClientPipe } from "./pipe.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A pipe whose server side is the test: `answer` is called with each frame
 * the client writes and returns the lines to send back; `say` sends lines
 * at any time; `fail` ends reading with an error.
 */
export class FakePipe implements ClientPipe {
  /** Every frame the client wrote, parsed. */
  readonly written: Record<string, unknown>[] = [];
  #queue: (Uint8Array | Error)[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  /**
   * Builds a pipe with a scripted server.
   *
   * @param answer the server: frames lines in reply to each frame written
   * @param binding what a key proof over this pipe is bound to
   */
  constructor(
    readonly answer: (frame: Record<string, unknown>) => unknown[] = () => [],
    readonly binding: string = PLAIN_BINDING,
  ) {}

  /** Whether the client closed the pipe. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends frames (objects, as JSON) or raw text lines to the client. */
  say(...lines: unknown[]): void {
    for (const line of lines) {
      const text = typeof line === "string" ? line : JSON.stringify(line);
      this.#queue.push(encoder.encode(text + "\n"));
    }
    this.#notify();
  }

  /** Makes the client's next read fail with `error`. */
  fail(error: Error): void {
    this.#queue.push(error);
    this.#notify();
  }

  async *chunks(): AsyncGenerator<Uint8Array, void, void> {
    while (true) {
      while (this.#queue.length === 0) {
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
      const next = this.#queue.shift()!;
      if (next instanceof Error) throw next;
      yield next;
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the pipe is closed"));
    for (const line of decoder.decode(bytes).split("\n").filter(Boolean)) {
      const frame = JSON.parse(line);
      this.written.push(frame);
      this.say(...this.answer(frame));
    }
    return Promise.resolve();
  }

  close(): void {
    this.#closed = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A welcome frame as a server sends it, for `nick` in `room`. */
export function welcomeFrame(nick: string, room = "#lobby"): Record<string, unknown> {
  return {
    type: "welcome",
    protocol: 1,
    server: "fake",
    nick,
    room,
    members: [nick],
    memberCount: 1,
    history: [],
  };
}

/**
 * What `promise` settles to, or "still waiting" after `ms` (the timer cleared
 * either way): a test of something that must not hang fails instead.
 */
export async function settledWithin<T>(
  ms: number,
  promise: Promise<T>,
): Promise<T | "still waiting"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<"still waiting">((resolve) => {
    timer = setTimeout(() => resolve("still waiting"), ms);
  });
  try {
    return await Promise.race([promise, waited]);
  } finally {
    clearTimeout(timer);
  }
}
