import assert from "node:assert/strict";
import { DelayLine } from "./delay_line.ts";

/** A timer's callback that notes its name and the time it ran. */
function recorder() {
  const ran: { name: string; at: number }[] = [];
  const { promise: last, resolve } = Promise.withResolvers<void>();
  const note = (name: string, done = false) => () => {
    ran.push({ name, at: performance.now() });
    if (done) resolve();
  };
  return { ran, last, note };
}

Deno.test("DelayLine runs each timer no sooner than its delay, in the order set, skipping cleared ones", async () => {
  const line = new DelayLine(40);
  const { ran, last, note } = recorder();
  const setAt: Record<string, number> = {};
  setAt.a = performance.now();
  line.set(note("a"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  const b = line.set(note("b"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  setAt.c = performance.now();
  line.set(note("c", true));
  line.clear(b);
  await last;
  assert.deepEqual(ran.map((r) => r.name), ["a", "c"]);
  for (const { name, at } of ran) assert.ok(at >= setAt[name] + 40, `${name} ran early`);
});

Deno.test("DelayLine: a timer set by a callback waits its whole delay; the ones already due do not", async () => {
  const line = new DelayLine(40);
  const { ran, last, note } = recorder();
  let laterSetAt = 0;
  line.set(() => {
    note("a")();
    laterSetAt = performance.now();
    line.set(note("later", true));
  });
  await new Promise((resolve) => setTimeout(resolve, 5));
  line.set(note("b"));
  await last;
  assert.deepEqual(ran.map((r) => r.name), ["a", "b", "later"]);
  assert.ok(ran[1].at < laterSetAt + 40, "b waited for the later one");
  assert.ok(ran[2].at >= laterSetAt + 40, "the later one ran early");
});

Deno.test("DelayLine leaves no real timer once every timer is cleared", () => {
  // The test's own sanitizer fails it if a timer is left pending.
  const line = new DelayLine(60_000);
  const timers = Array.from({ length: 3000 }, () => line.set(() => assert.fail("cleared")));
  for (const timer of timers) line.clear(timer);
  line.clear(timers[0]);
});

Deno.test("DelayLine keeps its order across thousands of timers, some cleared", async () => {
  const line = new DelayLine(20);
  const ran: number[] = [];
  const { promise: last, resolve } = Promise.withResolvers<void>();
  for (let i = 0; i < 5000; i++) {
    const timer = line.set(() => {
      ran.push(i);
      if (i === 4999) resolve();
    });
    if (i % 3 === 0) line.clear(timer);
    if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await last;
  assert.deepEqual(ran, Array.from({ length: 5000 }, (_, i) => i).filter((i) => i % 3 !== 0));
});

Deno.test("DelayLine with a delay longer than a timer can wait arms one timer, and does not run early", async () => {
  const line = new DelayLine(Infinity);
  const real = globalThis.setTimeout;
  let armed = 0;
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    armed++;
    return real(callback, ms);
  }) as typeof setTimeout;
  let ran = false;
  try {
    const timer = line.set(() => (ran = true));
    await new Promise((resolve) => real(resolve, 50));
    assert.equal(ran, false);
    assert.equal(armed, 1, "the line's timer was armed again and again (a spin)");
    line.clear(timer);
  } finally {
    globalThis.setTimeout = real;
  }
});
