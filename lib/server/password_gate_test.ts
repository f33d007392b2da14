import assert from "node:assert/strict";
import { PasswordGate } from "./password_gate.ts";

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

Deno.test("PasswordGate.check() accepts the password and refuses anything else", () => {
  const gate = new PasswordGate("hunter2");
  assert.equal(gate.check("10.0.0.1", "hunter2"), true);
  assert.equal(gate.check("10.0.0.1", "hunter"), false);
  assert.equal(gate.check("10.0.0.1", "hunter22"), false);
  assert.equal(gate.check("10.0.0.1", ""), false);
  assert.equal(gate.check("10.0.0.1", undefined), false);
  assert.equal(gate.check("10.0.0.1", "Hunter2"), false);
});

Deno.test("PasswordGate delays grow per failure from one IP: 0, 1, 2, 4 … capped at 30 s", () => {
  const { now } = clock();
  const gate = new PasswordGate("pw", { now });
  const delays = [];
  for (let i = 0; i < 8; i++) {
    delays.push(gate.delayFor("10.0.0.1"));
    gate.check("10.0.0.1", "wrong");
  }
  assert.deepEqual(delays, [0, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(gate.delayFor("10.0.0.2"), 0, "another IP is not slowed down");
});

Deno.test("PasswordGate forgets failures after a quiet period, and clears them on success", () => {
  const { now, advance } = clock();
  const gate = new PasswordGate("pw", { now, forgetAfterMs: 60_000 });
  gate.check("10.0.0.1", "a");
  gate.check("10.0.0.1", "b");
  assert.equal(gate.delayFor("10.0.0.1"), 2000);
  advance(59_000);
  assert.equal(gate.failures("10.0.0.1"), 2, "not quiet long enough");
  gate.check("10.0.0.1", "c"); // a failure restarts the quiet period
  advance(59_000);
  assert.equal(gate.delayFor("10.0.0.1"), 4000);
  advance(1000);
  assert.equal(gate.delayFor("10.0.0.1"), 0, "forgotten after a quiet minute");
  gate.check("10.0.0.1", "d");
  assert.equal(gate.failures("10.0.0.1"), 1, "counting starts again");
  gate.check("10.0.0.1", "pw");
  assert.equal(gate.failures("10.0.0.1"), 0, "the right password clears the count");
});

Deno.test("PasswordGate tracks a bounded number of IPs, forgetting the oldest", () => {
  const gate = new PasswordGate("pw", { maxTracked: 3 });
  for (const ip of ["a", "b", "c", "d"]) gate.check(ip, "x");
  assert.equal(gate.failures("a"), 0);
  assert.equal(gate.failures("d"), 1);
});
