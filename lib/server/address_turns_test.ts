import assert from "node:assert/strict";
import { AddressTurns } from "./address_turns.ts";

Deno.test("AddressTurns runs the turns of one address in order, and those of others at once", async () => {
  const turns = new AddressTurns();
  const order: string[] = [];
  const gate = Promise.withResolvers<void>();
  const first = turns.after("10.0.0.1", async () => {
    await gate.promise;
    order.push("a1");
  });
  const second = turns.after("10.0.0.1", () => void order.push("a2"));
  const other = turns.after("10.0.0.2", () => void order.push("b1"));
  await other;
  assert.deepEqual(order, ["b1"]);
  assert.equal(turns.waiting("10.0.0.1"), true);
  gate.resolve();
  await Promise.all([first, second]);
  assert.deepEqual(order, ["b1", "a1", "a2"]);
  await Promise.resolve();
  assert.equal(turns.waiting("10.0.0.1"), false);
});

Deno.test("AddressTurns: a turn that fails does not stop the next one", async () => {
  const turns = new AddressTurns();
  const failed = turns.after("10.0.0.1", () => Promise.reject(new Error("boom")));
  let ran = false;
  const next = turns.after("10.0.0.1", () => void (ran = true));
  await assert.rejects(failed, /boom/);
  await next;
  assert.equal(ran, true);
});
