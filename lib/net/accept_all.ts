/**
 * A listener's accept loop: every connection it accepts is handed on until
 * it is closed.
 *
 * @module
 */

/**
 * Hands each connection `listener` accepts to `arrive`, and resolves when the
 * listener is closed (where its async iterator would end). `accept()` in a
 * loop rather than `for await`: the iterator wraps each connection in a
 * result object and a promise of its own. Other errors reject.
 */
export async function acceptAll<C extends Deno.Conn>(
  listener: Deno.Listener<C>,
  arrive: (conn: C) => void,
): Promise<void> {
  while (true) {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return;
      }
      throw error;
    }
    arrive(conn);
  }
}
