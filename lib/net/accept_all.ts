/**
 * A listener's accept loop: every connection it accepts is handed on until
 * it is closed.
 *
 * @module
 */

/** The first wait after a failed accept; it doubles while accepts keep failing. */
const FIRST_RETRY_MS = 5;
/** The longest wait between two failed accepts. */
const LAST_RETRY_MS = 1000;

/**
 * Hands each connection `listener` accepts to `arrive`, and resolves when the
 * listener is closed (where its async iterator would end). `accept()` in a
 * loop rather than `for await`: the iterator wraps each connection in a
 * result object and a promise of its own. Any other failure (out of file
 * descriptors: EMFILE; a connection aborted before it was taken) is told to
 * `failed` and the loop goes on after a pause (5 ms, doubling to 1 s while
 * they go on), as Go's `http.Server` does: ending the loop would leave the
 * port bound and never served again.
 */
export async function acceptAll<C extends Deno.Conn>(
  listener: Deno.Listener<C>,
  arrive: (conn: C) => void,
  failed: (error: unknown) => void = () => {},
): Promise<void> {
  let retryMs = 0;
  while (true) {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return;
      }
      failed(error);
      retryMs = Math.min(LAST_RETRY_MS, retryMs * 2 || FIRST_RETRY_MS);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      continue;
    }
    retryMs = 0;
    arrive(conn);
  }
}
