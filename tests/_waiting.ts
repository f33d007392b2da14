/**
 * Waiting in tests: a plain delay, a deadline on any promise so a test
 * that waits for something that never comes fails with what it waited for,
 * polling for a condition a session reaches on its own time, and reading a
 * connection until the server closes it.
 *
 * @module
 */

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `message` if `promise` takes longer than `ms`. */
export async function within<T>(ms: number, promise: Promise<T>, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${message}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 20 ms until it holds; throws after `ms`. */
export async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads until the server closes the connection; the bytes it sent. */
export async function readToEnd(conn: Deno.Conn): Promise<string> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return chunks.join("");
    chunks.push(decoder.decode(buffer.subarray(0, n)));
  }
}
