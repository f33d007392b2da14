/**
 * The base of the socket test clients: a raw TCP peer that reads lines in
 * the background and lets a test wait for the line it expects.
 *
 * @module
 */

import { within } from "./_waiting.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A raw TCP peer that reads lines in the background and lets a test wait
 * for the line it expects. Base of the native and text test clients.
 */
export class LinePeer implements AsyncDisposable {
  /** The lines received so far, without their line breaks. */
  readonly lines: string[] = [];
  readonly #conn: Deno.Conn;
  readonly #reading: Promise<void>;
  #waiters: (() => void)[] = [];
  #ended = false;

  /** Wraps `conn`; reads it in the background unless `read` is false. */
  constructor(conn: Deno.Conn, read = true) {
    this.#conn = conn;
    this.#reading = read ? this.#read() : Promise.resolve();
  }

  /** Whether the server closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Sends raw bytes or text, as is. */
  async write(data: string | Uint8Array): Promise<void> {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    while (bytes.length > 0) bytes = bytes.subarray(await this.#conn.write(bytes));
  }

  /** Waits for the first line from index `from` on that matches. */
  async waitLine(match: (line: string) => boolean, from = 0, ms = 5000): Promise<string> {
    return await within(ms, this.#wait(() => this.lines.slice(from).find(match)), "expected line");
  }

  /** Waits until the server closes the connection. */
  async waitEnd(ms = 5000): Promise<void> {
    await within(ms, this.#wait(() => this.#ended || undefined), "connection to close");
  }

  async #wait<T>(probe: () => T | undefined): Promise<T> {
    while (true) {
      const found = probe();
      if (found !== undefined) return found;
      if (this.#ended) {
        throw new Error(`Connection closed; lines so far:\n${this.lines.join("\n")}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let partial = "";
    try {
      while (true) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        partial += decoder.decode(buffer.subarray(0, n), { stream: true });
        const parts = partial.split("\n");
        partial = parts.pop()!;
        this.lines.push(...parts.map((line) => this.normalize(line.replace(/\r$/, ""))));
        this.#wake();
      }
    } catch {
      // Closed by us or reset by the server: either way the stream ended.
    } finally {
      if (partial) this.lines.push(partial);
      this.#ended = true;
      this.#wake();
    }
  }

  /** Resolves with the first non-undefined answer of `probe`, re-run as lines arrive. */
  protected waitUntil<T>(probe: () => T | undefined): Promise<T> {
    return this.#wait(probe);
  }

  /** Hook to tidy a received line before it is stored. */
  protected normalize(line: string): string {
    return line;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Closes the socket (idempotent). */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Closes the socket and waits for the reader to stop. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#reading;
  }
}
