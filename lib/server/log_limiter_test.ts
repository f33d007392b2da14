import assert from "node:assert/strict";
import type { LogRecord } from "./log_record.ts";
import { LogLimiter } from "./log_limiter.ts";

function setup() {
  let now = 1_000_000;
  const written: LogRecord[] = [];
  const limiter = new LogLimiter((record) => written.push(record), {
    windowMs: 10_000,
    burst: 3,
    now: () => now,
  });
  return { limiter, written, advance: (ms: number) => (now += ms) };
}

const refused = (remote: string): LogRecord => ({
  level: "warn",
  event: "refused",
  remote,
  reason: "Too many connections from 127.0.0.1 (the limit is 16)",
});

Deno.test("LogLimiter writes a burst of one kind, then one summary line with the count", () => {
  const { limiter, written, advance } = setup();
  for (let i = 0; i < 1000; i++) limiter.log(refused(`127.0.0.${i % 200}`));
  assert.equal(written.length, 3);
  limiter.flush(); // The window has not ended yet.
  assert.equal(written.length, 3);
  advance(10_000);
  limiter.flush();
  assert.equal(written.length, 4);
  assert.equal(written[3].event, "refused");
  assert.equal(written[3].suppressed, 997);
  assert.equal(written[3].detail, "997 more like this in 10 s, not logged one by one");
  advance(60_000);
  limiter.flush();
  assert.equal(written.length, 4); // Nothing more to say.
});

Deno.test("LogLimiter keeps kinds apart and never holds back the records that are not limited", () => {
  const { limiter, written } = setup();
  for (let i = 0; i < 10; i++) {
    limiter.log(refused("10.0.0.1"));
    limiter.log({ level: "warn", event: "refused", reason: "other" });
    limiter.log({ level: "info", event: "prune", removed: i });
  }
  assert.equal(written.filter((r) => r.event === "prune").length, 10);
  assert.equal(written.filter((r) => r.reason === "other").length, 3);
  assert.equal(written.filter((r) => r.reason?.toString().startsWith("Too many")).length, 3);
});

Deno.test("LogLimiter: a new window after a quiet spell writes again, after the summary of the last", () => {
  const { limiter, written, advance } = setup();
  for (let i = 0; i < 5; i++) limiter.log(refused("10.0.0.1"));
  advance(11_000);
  limiter.log(refused("10.0.0.2"));
  assert.deepEqual(written.map((r) => r.suppressed ?? r.remote), [
    "10.0.0.1",
    "10.0.0.1",
    "10.0.0.1",
    2,
    "10.0.0.2",
  ]);
  limiter.log({ level: "info", event: "disconnect", reason: "left before joining" });
  limiter.close();
  assert.equal(written.length, 6);
});

Deno.test("LogLimiter: joins and leaves are limited per address, so one address joining in a loop cannot fill the log", () => {
  const { limiter, written, advance } = setup();
  for (let i = 0; i < 100; i++) {
    limiter.log({ level: "info", event: "join", remote: `10.0.0.9:${40000 + i}`, nick: `x${i}` });
    limiter.log({
      level: "info",
      event: "disconnect",
      remote: `10.0.0.9:${40000 + i}`,
      nick: `x${i}`,
    });
  }
  limiter.log({ level: "info", event: "join", remote: "[fd00::7]:5000", nick: "ana" });
  assert.equal(written.filter((r) => r.event === "join").length, 4); // 3 from the loop, ana
  advance(10_000);
  limiter.flush();
  const summaries = written.filter((r) => r.suppressed !== undefined);
  assert.deepEqual(summaries.map((r) => [r.event, r.remote, r.suppressed]), [
    ["join", "10.0.0.9", 97],
    ["disconnect", "10.0.0.9", 97],
  ]);
});

Deno.test("LogLimiter: joins from many addresses, each within its own limit, are limited all together too", () => {
  const { limiter, written, advance } = setup(); // burst 3: 30 joins of all addresses per window
  for (let i = 0; i < 1000; i++) {
    limiter.log({
      level: "info",
      event: "join",
      remote: `10.0.${i >> 8}.${i & 255}:4000`,
      nick: `n${i}`,
    });
  }
  assert.equal(written.length, 30);
  advance(10_000);
  limiter.flush();
  const summary = written.find((r) => r.suppressed !== undefined);
  assert.equal(summary?.suppressed, 970);
  assert.equal(summary?.remote, undefined); // All addresses: no one address named.
});
