/**
 * A fuzzed connection's plumbing: an inbox that reads a connection to its
 * end in the background, and writing and closing that never throw for a
 * peer that is already gone.
 *
 * @module
 */

/** Reads a connection to its end in the background, keeping every byte. */
export class Inbox {
  /** What was read, chunk by chunk. */
  readonly chunks: Uint8Array[] = [];
  /** Resolves when the connection has ended. */
  readonly done: Promise<void>;
  #ended = false;
  #wake: (() => void) | undefined;

  /** Starts reading `conn` in the background. */
  constructor(conn: Deno.TcpConn) {
    this.done = this.#read(conn);
  }

  /** Whether the connection has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Everything read so far, in one array. */
  get bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** Waits until `probe` holds; false if the stream ends or `ms` pass first. */
  async until(probe: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!probe()) {
      const left = deadline - performance.now();
      if (left <= 0 || this.#ended) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return true;
  }

  async #read(conn: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        this.chunks.push(buffer.slice(0, n));
        this.#wake?.();
      }
    } catch {
      // Reset by the server, or closed by us: the stream ended either way.
    } finally {
      this.#ended = true;
      this.#wake?.();
    }
  }
}

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/** Closes `conn`, if it is not closed already. */
export function close(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
