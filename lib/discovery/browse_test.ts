import assert from "node:assert/strict";
import { browseServers } from "./browse.ts";

Deno.test("browseServers() with no LAN interface finds nothing at once, without a socket", async () => {
  const started = performance.now();
  assert.deepEqual(await browseServers({ interfaces: [], durationMs: 5_000 }), []);
  assert.ok(performance.now() - started < 1_000);
});
