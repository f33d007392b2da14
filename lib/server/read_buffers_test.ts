import assert from "node:assert/strict";
import {
  freeReadBuffers,
  giveBackReadBuffer,
  MIN_READ_BYTES,
  takeReadBuffer,
} from "./read_buffers.ts";

Deno.test("takeReadBuffer() hands out regions that do not overlap, and a region given back goes out again", () => {
  const taken = Array.from({ length: 200 }, () => takeReadBuffer());
  for (const [i, region] of taken.entries()) {
    assert.equal(region.length, MIN_READ_BYTES);
    region.fill(i % 251);
  }
  // Each region still holds what was written into it: no two share a byte.
  for (const [i, region] of taken.entries()) assert.ok(region.every((b) => b === i % 251));
  const free = freeReadBuffers();
  giveBackReadBuffer(taken[7]);
  assert.equal(freeReadBuffers(), free + 1);
  const again = takeReadBuffer();
  assert.equal(again, taken[7]);
  assert.equal(freeReadBuffers(), free);
  // The last connection's bytes are not kept for the next.
  assert.ok(again.every((b) => b === 0));
  assert.ok(taken[8].every((b) => b === 8));
});

Deno.test("giveBackReadBuffer() keeps only regions it gave out: not a grown buffer, not a buffer of its own", () => {
  const free = freeReadBuffers();
  giveBackReadBuffer(new Uint8Array(MIN_READ_BYTES * 2));
  giveBackReadBuffer(new Uint8Array(MIN_READ_BYTES));
  assert.equal(freeReadBuffers(), free);
});
