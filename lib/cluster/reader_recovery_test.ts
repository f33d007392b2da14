import assert from "node:assert/strict";
import { untilAnswered } from "./reader_recovery.ts";

const timedOut = (error: unknown) => error instanceof Error && error.message === "timeout";

Deno.test("untilAnswered: the first reader is asked again while JetStream times out", async () => {
  let asked = 0;
  const made = await untilAnswered(() => {
    asked++;
    return asked < 4 ? Promise.reject(new Error("timeout")) : Promise.resolve("reader");
  }, timedOut);
  assert.equal(made, "reader");
  assert.equal(asked, 4);
});

Deno.test("untilAnswered: any other failure is not retried", async () => {
  let asked = 0;
  await assert.rejects(
    untilAnswered(() => {
      asked++;
      return Promise.reject(new Error("stream not found"));
    }, timedOut),
    /stream not found/,
  );
  assert.equal(asked, 1);
});
