import assert from "node:assert/strict";
import { isNotReady, JetStreamNotReadyError, untilReady } from "./cluster_wait.ts";

/** A clock that moves only when the code under test pauses. */
function fakeTime() {
  let t = 0;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => t,
    sleep: (ms: number) => {
      pauses.push(ms);
      t += ms;
      return Promise.resolve();
    },
  };
}

function timeout(): Error {
  const error = new Error("timeout");
  error.name = "TimeoutError";
  return error;
}

Deno.test("isNotReady() knows JetStream's 'not yet' answers from real refusals", () => {
  assert.ok(isNotReady(timeout()));
  assert.ok(isNotReady(new Error("JetStream system temporarily unavailable")));
  assert.ok(isNotReady(new Error("no suitable peers for placement")));
  assert.ok(isNotReady(new Error("wrapped", { cause: timeout() })));
  assert.ok(!isNotReady(new Error("insufficient storage resources available")));
  assert.ok(!isNotReady(new Error("Authorization Violation")));
  assert.ok(!isNotReady(new Error("stream name already in use with a different configuration")));
  assert.ok(!isNotReady("timeout"));
});

Deno.test("untilReady() tries a step again while JetStream is not ready, says so once, and pauses longer each time", async () => {
  const time = fakeTime();
  const waits: string[] = [];
  let calls = 0;
  const value = await untilReady(() => {
    calls++;
    return calls < 5 ? Promise.reject(timeout()) : Promise.resolve("stream");
  }, { ...time, onWait: (error) => waits.push(String((error as Error).message)) });
  assert.equal(value, "stream");
  assert.equal(calls, 5);
  assert.deepEqual(waits, ["timeout"]);
  assert.deepEqual(time.pauses, [250, 500, 1000, 2000]);
});

Deno.test("untilReady() gives up at the end of the wait with the last error and the attempts", async () => {
  const time = fakeTime();
  let calls = 0;
  const error = await untilReady(() => {
    calls++;
    return Promise.reject(timeout());
  }, { ...time, waitMs: 10_000 }).catch((e) => e);
  assert.ok(error instanceof JetStreamNotReadyError);
  assert.equal(error.attempts, calls);
  assert.match(error.message, /^timeout \(JetStream still not ready after 10 s, \d+ attempts\)$/);
  assert.equal((error.cause as Error).name, "TimeoutError");
  assert.equal(time.pauses.reduce((a, b) => a + b), 10_000, "never longer than the wait");
});

Deno.test("untilReady() throws any other failure at once", async () => {
  const time = fakeTime();
  let calls = 0;
  await assert.rejects(
    untilReady(() => {
      calls++;
      return Promise.reject(new Error("insufficient storage resources available"));
    }, time),
    /insufficient storage/,
  );
  assert.equal(calls, 1);
  assert.deepEqual(time.pauses, []);
});

Deno.test("untilReady() waits for a step's own 'not yet' answers too, and only that step's", async () => {
  const notFound = () => new Error("stream not found");
  for (const alsoNotReady of [undefined, (e: unknown) => /stream not found/.test(String(e))]) {
    const time = fakeTime();
    let calls = 0;
    const attempt = () => ++calls < 3 ? Promise.reject(notFound()) : Promise.resolve("ok");
    const run = untilReady(attempt, { alsoNotReady, now: time.now, sleep: time.sleep });
    if (alsoNotReady) {
      assert.equal(await run, "ok");
      assert.equal(calls, 3);
    } else {
      await assert.rejects(run, /stream not found/);
      assert.equal(calls, 1, "without the step's predicate, 'stream not found' fails at once");
    }
  }
});
