import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { fileSettings, shortSize } from "./file_flags.ts";

const flags = (given: Record<string, string>) => (name: string) => given[name];

Deno.test("fileSettings() gives each nick a quarter of the budget, at least one largest file", () => {
  assert.deepEqual(fileSettings(flags({}), false), {
    maxFileBytes: 100 * 1024 ** 2,
    budgetBytes: 2 * 1024 ** 3,
    quotaBytes: 512 * 1024 ** 2,
  });
  assert.equal(fileSettings(flags({ "files-budget": "200M" }), false)?.quotaBytes, 100 * 1024 ** 2);
  assert.equal(fileSettings(flags({ "files-quota": "1G" }), false)?.quotaBytes, 1024 ** 3);
});

Deno.test("fileSettings() refusals show the sizes as they were typed", () => {
  assert.throws(
    () => fileSettings(flags({ "max-file-bytes": "3G" }), false),
    (error: Error) =>
      error instanceof UsageError &&
      error.message ===
        "--max-file-bytes 3G is more than --files-budget 2G: no file that large could be stored",
  );
  assert.throws(
    () => fileSettings(flags({ "files-quota": "10m" }), false),
    (error: Error) =>
      error.message ===
        "--files-quota 10m must be between --max-file-bytes 100M and --files-budget 2G",
  );
  assert.throws(
    () => fileSettings(flags({ "files-quota": "lots" }), false),
    /--files-quota must be a size like 500000, 100M or 2G, got "lots"/,
  );
});

Deno.test("shortSize() writes a size as a flag would", () => {
  assert.equal(shortSize(100 * 1024 ** 2), "100M");
  assert.equal(shortSize(2 * 1024 ** 3), "2G");
  assert.equal(shortSize(1536 * 1024), "1536K");
  assert.equal(shortSize(1000), "1000");
});
