import assert from "node:assert/strict";
import type { StoreReport } from "./store_report.ts";
import { WriteBuffer } from "./write_buffer.ts";

interface Item {
  n: number;
  bytes: number;
}

function buffer(maxPendingBytes = 1000): { writes: WriteBuffer<Item>; reports: StoreReport[] } {
  const reports: StoreReport[] = [];
  return { writes: new WriteBuffer({ maxPendingBytes, report: (r) => reports.push(r) }), reports };
}

const full = new Error("Disk is full");

Deno.test("WriteBuffer keeps items oldest first with their bytes, and empties when written, saying nothing", () => {
  const { writes, reports } = buffer();
  for (let n = 1; n <= 3; n++) writes.add({ n, bytes: 10 * n });
  assert.deepEqual(writes.items.map((item) => item.n), [1, 2, 3]);
  assert.equal(writes.length, 3);
  assert.equal(writes.bytes, 60);
  writes.written();
  assert.equal(writes.length, 0);
  assert.equal(writes.bytes, 0);
  assert.equal(writes.failing, false);
  writes.discard();
  assert.equal(reports.length, 0);
});

Deno.test("WriteBuffer keeps the items of a failed write, reports it, and reports the recovery with the count written", () => {
  const { writes, reports } = buffer();
  writes.add({ n: 1, bytes: 10 });
  writes.failed(full);
  assert.equal(writes.failing, true);
  assert.deepEqual(reports, [{ kind: "write_failed", error: full, pending: 1, dropped: 0 }]);
  writes.failed(full); // The same count on a retry: not said again.
  assert.equal(reports.length, 1);
  writes.add({ n: 2, bytes: 10 });
  writes.written();
  assert.equal(writes.failing, false);
  assert.deepEqual(reports.at(-1), { kind: "recovered", written: 2, dropped: 0 });
  writes.discard();
  assert.equal(reports.length, 2, "nothing was lost");
});

Deno.test("WriteBuffer says a changing count again at the first retry, then every 10 retries", () => {
  const { writes, reports } = buffer(1_000_000);
  writes.failed(full); // Nothing waits yet (a touch failed).
  assert.equal(reports.length, 1);
  writes.add({ n: 1, bytes: 10 });
  writes.failed(full);
  assert.equal(reports.length, 2, "said again once messages wait");
  for (let retry = 2; retry <= 11; retry++) {
    writes.add({ n: retry, bytes: 10 });
    writes.failed(full);
    assert.equal(reports.length, retry < 11 ? 2 : 3, `after retry ${retry}`);
  }
  assert.deepEqual(reports.at(-1), { kind: "write_failed", error: full, pending: 11, dropped: 0 });
});

Deno.test("WriteBuffer bounds its items by bytes while writes fail, keeping the newest and counting every drop", () => {
  const { writes, reports } = buffer(100);
  writes.add({ n: 0, bytes: 10 });
  writes.failed(full);
  for (let n = 1; n <= 20; n++) writes.add({ n, bytes: 10 });
  assert.ok(writes.bytes <= 100, `${writes.bytes} bytes`);
  const kept = writes.items.map((item) => item.n);
  assert.equal(kept.at(-1), 20);
  assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 21 - kept.length + i));
  const dropped = 21 - kept.length;
  writes.failed(full);
  assert.deepEqual(reports.at(-1), {
    kind: "write_failed",
    error: full,
    pending: kept.length,
    dropped,
  });
  writes.discard();
  assert.deepEqual(reports.at(-1), { kind: "lost", lost: 21, error: full });
  assert.equal(writes.length, 0);
});

Deno.test("WriteBuffer does not drop while writes work, however much waits", () => {
  const { writes } = buffer(100);
  for (let n = 1; n <= 20; n++) writes.add({ n, bytes: 10 });
  assert.equal(writes.length, 20);
  assert.equal(writes.bytes, 200);
});
