/**
 * Test-only: waiting for a condition that a session reaches on its own
 * time (connected again, a member arrived).
 *
 * @module
 */

/** Polls `check` every 20 ms until it holds; throws after `ms`. */
export async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
