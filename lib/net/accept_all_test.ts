import assert from "node:assert/strict";
import { acceptAll } from "./accept_all.ts";

/** A listener whose accept() gives `results` in turn (an Error is thrown), then is closed. */
function scriptedListener(results: (Deno.Conn | Error)[]): Deno.Listener {
  return {
    accept() {
      const next = results.shift();
      if (next === undefined) return Promise.reject(new Deno.errors.BadResource("closed"));
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  } as unknown as Deno.Listener;
}

Deno.test("acceptAll() goes on accepting after a failed accept (out of file descriptors), and ends when the listener is closed", async () => {
  const conn = {} as Deno.Conn;
  const emfile = new Error("Too many open files (os error 24)");
  const arrived: Deno.Conn[] = [];
  const failures: unknown[] = [];
  await acceptAll(
    scriptedListener([emfile, emfile, conn]),
    (c) => arrived.push(c),
    (error) => failures.push(error),
  );
  assert.deepEqual(failures, [emfile, emfile]);
  assert.equal(arrived.length, 1, "the connection after the failures was still taken");
  assert.equal(arrived[0], conn);
});
