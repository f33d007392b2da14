import assert from "node:assert/strict";
import { checkFileLengths, lineCount } from "./check_file_length.ts";

Deno.test("lineCount() counts line ends, as wc -l does", () => {
  assert.equal(lineCount(""), 0);
  assert.equal(lineCount("a\nb\n"), 2);
  assert.equal(lineCount("a\nb"), 1);
});

Deno.test("checkFileLengths() names a long file, and an allowed one that is long no more or gone", () => {
  const files = new Map([
    ["lib/a.ts", "x\n".repeat(4)],
    ["lib/b.ts", "x\n".repeat(3)],
    ["lib/c.ts", "x\n".repeat(2)],
  ]);
  const allowed = new Map([["lib/b.ts", "why"], ["lib/c.ts", "why"], ["lib/d.ts", "why"]]);
  assert.deepEqual(checkFileLengths(files, 2, allowed), [
    "lib/a.ts has 4 lines, more than 2: split it along a real seam",
    "lib/c.ts has 2 lines now: take it off ALLOWED_LONG",
    "lib/d.ts is gone: take it off ALLOWED_LONG",
  ]);
  assert.deepEqual(checkFileLengths(new Map([["lib/b.ts", "x\n".repeat(3)]]), 2, allowed), [
    "lib/c.ts is gone: take it off ALLOWED_LONG",
    "lib/d.ts is gone: take it off ALLOWED_LONG",
  ]);
});
