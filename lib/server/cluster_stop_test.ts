import assert from "node:assert/strict";
import { stopInOrder } from "./cluster_stop.ts";

/** A step that finishes when `finish()` is called, recording when it was started. */
function held(what: string, order: string[]) {
  const { promise, resolve } = Promise.withResolvers<void>();
  return {
    step: {
      what,
      stop: () => {
        order.push(what);
        return promise;
      },
    },
    finish: resolve,
  };
}

Deno.test("stopInOrder() runs every step in order and reports none when all finish in time", async () => {
  const order: string[] = [];
  const steps = ["nicks", "node record", "drain"].map((what) => ({
    what,
    stop: async () => {
      order.push(what);
      await Promise.resolve();
    },
  }));
  const { unfinished } = await stopInOrder(steps, 1_000);
  assert.deepEqual(order, ["nicks", "node record", "drain"]);
  assert.deepEqual(unfinished, []);
});

Deno.test("stopInOrder() past its wait starts the steps left and names those not finished", async () => {
  const order: string[] = [];
  const stuck = held("node record", order);
  const slow = held("drain", order);
  const steps = [
    { what: "nicks", stop: () => (order.push("nicks"), Promise.resolve()) },
    stuck.step,
    { what: "history", stop: () => (order.push("history"), Promise.reject(new Error("closed"))) },
    slow.step,
  ];
  const started = performance.now();
  const { unfinished, rest } = await stopInOrder(steps, 50);
  const took = performance.now() - started;
  assert.ok(took >= 45 && took < 1_000, `returned after ${Math.round(took)} ms`);
  // All were started, in order; the one that threw counts as done.
  assert.deepEqual(order, ["nicks", "node record", "history", "drain"]);
  assert.deepEqual(unfinished, ["node record", "drain"]);
  let settled = false;
  rest.then(() => (settled = true));
  stuck.finish();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(settled, false, "rest waits for every unfinished step");
  slow.finish();
  await rest;
});

Deno.test("stopInOrder() with no wait (NATS is down) starts every step at once", async () => {
  const order: string[] = [];
  const stuck = held("node record", order);
  const quick = { what: "watches", stop: () => (order.push("watches"), Promise.resolve()) };
  const { unfinished, rest } = await stopInOrder([stuck.step, quick], 0);
  assert.deepEqual(order, ["node record", "watches"]);
  assert.deepEqual(unfinished, ["node record"]);
  stuck.finish();
  await rest;
});
