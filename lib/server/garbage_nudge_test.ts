import assert from "node:assert/strict";
import { GarbageNudge, NUDGE_AFTER_CLOSED } from "./garbage_nudge.ts";

Deno.test("GarbageNudge collects once enough connections have closed, then waits for as many more", () => {
  const calls: unknown[] = [];
  const nudge = new GarbageNudge((options) => calls.push(options));
  assert.equal(nudge.tick(NUDGE_AFTER_CLOSED - 1), false);
  assert.equal(nudge.tick(NUDGE_AFTER_CLOSED), true);
  assert.deepEqual(calls, [{ type: "major", execution: "async" }]);
  assert.equal(nudge.tick(NUDGE_AFTER_CLOSED + 10), false);
  assert.equal(nudge.tick(3 * NUDGE_AFTER_CLOSED), true);
  assert.equal(calls.length, 2);
});

Deno.test("GarbageNudge does nothing without a collector (no --expose-gc)", () => {
  const nudge = new GarbageNudge(undefined);
  assert.equal(nudge.enabled, false);
  assert.equal(nudge.tick(1_000_000), false);
});

Deno.test("the server's V8 flags expose the collector to GarbageNudge", async () => {
  const { serverV8Flags } = await import("../../tools/v8_flags.ts");
  assert.ok(serverV8Flags().some((flag) => flag.split(/[=,]/).includes("--expose-gc")));
});
