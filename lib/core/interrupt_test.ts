import assert from "node:assert/strict";
import { Interrupt } from "./interrupt.ts";

Deno.test("Interrupt: a settled wait is forgotten, so a long-lived interrupt holds nothing of it", async () => {
  const interrupt = new Interrupt();
  for (let i = 0; i < 1000; i++) {
    assert.equal(
      await interrupt.wait(Promise.resolve(new Uint8Array(16))).then((v) => v?.length),
      16,
    );
  }
  await assert.rejects(interrupt.wait(Promise.reject(new Error("cut"))), /cut/);
  assert.equal(interrupt.waiting, 0);
});

Deno.test("Interrupt: fire ends the waits under way and every later one with undefined", async () => {
  const interrupt = new Interrupt();
  const never = new Promise<string>(() => {});
  const waits = [interrupt.wait(never), interrupt.wait(never)];
  assert.equal(interrupt.waiting, 2);
  interrupt.fire();
  assert.deepEqual(await Promise.all(waits), [undefined, undefined]);
  assert.equal(await interrupt.wait(Promise.resolve("late")), undefined);
  assert.ok(interrupt.fired);
  assert.equal(interrupt.waiting, 0);
});

Deno.test("Interrupt: a wait begun after the fire takes its promise's later failure (a write to a closed response), never an unhandled rejection", async () => {
  const interrupt = new Interrupt();
  interrupt.fire();
  let fail!: (error: Error) => void;
  const write = new Promise<void>((_, reject) => fail = reject);
  assert.equal(await interrupt.wait(write), undefined);
  fail(new Error("Cannot call write after a stream was destroyed"));
  // An unhandled rejection fails this test once the microtasks have run.
  await new Promise((resolve) => setTimeout(resolve, 0));
});
