import assert from "node:assert/strict";
import { Keepalive } from "./keepalive.ts";

Deno.test("Keepalive pings a client silent for the interval, and times it out when the ping goes unanswered", () => {
  const keepalive = new Keepalive(1000, 500);
  assert.equal(keepalive.check(999, 0), undefined);
  assert.equal(keepalive.check(1000, 0), "ping");
  assert.equal(keepalive.check(1499, 0), undefined, "the ping has its time to be answered");
  assert.equal(keepalive.check(1500, 0), "timeout");
});

Deno.test("Keepalive: anything heard after a ping answers it", () => {
  const keepalive = new Keepalive(1000, 500);
  assert.equal(keepalive.check(1000, 0), "ping");
  assert.equal(keepalive.check(1600, 1200), undefined);
  assert.equal(keepalive.check(2200, 1200), "ping");
});

Deno.test("Keepalive: while a request waits on the store the client counts as alive", async () => {
  const keepalive = new Keepalive(10, 10);
  const store = Promise.withResolvers<boolean>();
  const waited = keepalive.waitOn(store.promise);
  assert.equal(keepalive.check(performance.now() + 1e6, 0), undefined);
  store.resolve(true);
  await waited;
  const now = performance.now();
  assert.equal(keepalive.check(now, 0), undefined, "heard when the wait ended");
  assert.equal(keepalive.check(now + 10, 0), "ping");
});
