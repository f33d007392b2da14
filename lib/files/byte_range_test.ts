import assert from "node:assert/strict";
import { parseRange } from "./byte_range.ts";

Deno.test("parseRange() answers whole without a header, or with one it does not understand", () => {
  assert.deepEqual(parseRange(undefined, 10), { kind: "whole" });
  assert.deepEqual(parseRange("items=0-1", 10), { kind: "whole" });
  assert.deepEqual(parseRange("bytes=0-1,4-5", 10), { kind: "whole" });
  assert.deepEqual(parseRange("bytes=-", 10), { kind: "whole" });
  assert.deepEqual(parseRange("bytes=5-2", 10), { kind: "whole" });
});

Deno.test("parseRange() gives a part from an offset, a closed range, and a suffix", () => {
  assert.deepEqual(parseRange("bytes=4-", 10), { kind: "part", start: 4, end: 9 });
  assert.deepEqual(parseRange("bytes=2-5", 10), { kind: "part", start: 2, end: 5 });
  assert.deepEqual(parseRange("bytes=2-500", 10), { kind: "part", start: 2, end: 9 });
  assert.deepEqual(parseRange("bytes=-3", 10), { kind: "part", start: 7, end: 9 });
  assert.deepEqual(parseRange("bytes=-30", 10), { kind: "part", start: 0, end: 9 });
});

Deno.test("parseRange() says a range past the end cannot be satisfied", () => {
  assert.deepEqual(parseRange("bytes=10-", 10), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=99999999999999999999-", 10), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=-0", 10), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=0-", 0), { kind: "unsatisfiable" });
});
