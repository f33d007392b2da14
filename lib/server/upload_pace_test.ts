import assert from "node:assert/strict";
import { UploadPace } from "./upload_pace.ts";

const FLOOR = { idleMs: 30_000, windowMs: 60_000, minBytesPerSecond: 1024 };

Deno.test("UploadPace cuts an upload that sends nothing for the idle time", () => {
  const pace = new UploadPace(FLOOR, 0);
  pace.received(100_000, 1_000);
  assert.equal(pace.check(30_999), undefined);
  assert.equal(pace.check(31_000), "The upload was cut: no data for 30 s");
});

Deno.test("UploadPace cuts a trickle under the floor averaged over the window, not before a window", () => {
  const pace = new UploadPace(FLOOR, 0);
  let reason: string | undefined;
  // 512 bytes every 1 s: never idle, 0.5 KiB/s.
  for (let t = 1_000; t <= 70_000 && !reason; t += 1_000) {
    pace.received(512, t);
    reason = pace.check(t);
    if (t < 60_000) assert.equal(reason, undefined, `cut at ${t} ms`);
  }
  assert.equal(
    reason,
    "The upload was cut: 512 B/s over the last 60 s, the least taken is 1.0 KiB/s",
  );
});

Deno.test("UploadPace keeps an upload that was fast and still keeps the pace", () => {
  const pace = new UploadPace(FLOOR, 0);
  for (let t = 1_000; t <= 300_000; t += 1_000) {
    pace.received(2048, t);
    assert.equal(pace.check(t), undefined);
  }
});
