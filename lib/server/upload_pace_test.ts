import assert from "node:assert/strict";
import { cuttable, UploadPace } from "./upload_pace.ts";

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

Deno.test("cuttable() makes a read that waits throw the cut's error, and every read after", async () => {
  let release!: () => void;
  const never = new Promise<void>((resolve) => release = resolve);
  async function* source() {
    yield 1;
    await never;
    yield 2;
  }
  const seen: number[] = [];
  const body = cuttable(source(), (chunk) => seen.push(chunk));
  assert.deepEqual(await body.chunks.next(), { done: false, value: 1 });
  const waiting = body.chunks.next();
  body.cut(new Error("too slow"));
  await assert.rejects(waiting, /too slow/);
  release();
  assert.deepEqual(await body.chunks.next(), { done: true, value: undefined });
  assert.deepEqual(seen, [1]);
});

Deno.test("cuttable() holds no chunk it handed on while the next read waits", async () => {
  // In a process of its own: collecting garbage needs --expose-gc.
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--v8-flags=--expose-gc",
      new URL("./_cuttable_retention.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  // 200 chunks of 256 KiB read; the last one may still be referenced.
  assert.ok(Number(decoder.decode(stdout)) <= 1, `chunks alive: ${decoder.decode(stdout)}`);
});
