import assert from "node:assert/strict";
import { BROWSER_MEMORY_MS, BrowserAddresses, MAX_ADDRESSES } from "./browser_addresses.ts";

Deno.test("BrowserAddresses: an address counts after a request, for a while, or while its WebSocket is open", () => {
  let now = 0;
  const browsers = new BrowserAddresses(() => now);
  assert.equal(browsers.has("10.0.0.2"), false);
  browsers.seen("10.0.0.2");
  assert.equal(browsers.has("10.0.0.2"), true);
  assert.equal(browsers.has("10.0.0.3"), false, "only the address seen");
  now += BROWSER_MEMORY_MS + 1;
  assert.equal(browsers.has("10.0.0.2"), false, "forgotten after a while");
  browsers.opened("10.0.0.3");
  browsers.opened("10.0.0.3");
  now += 10 * BROWSER_MEMORY_MS;
  assert.equal(browsers.has("10.0.0.3"), true, "an open WebSocket keeps it, however long");
  browsers.closed("10.0.0.3");
  now += 10 * BROWSER_MEMORY_MS;
  assert.equal(browsers.has("10.0.0.3"), true, "one of its two WebSockets is still open");
  browsers.closed("10.0.0.3");
  assert.equal(browsers.has("10.0.0.3"), true, "its last WebSocket just closed");
  now += BROWSER_MEMORY_MS + 1;
  assert.equal(browsers.has("10.0.0.3"), false);
});

Deno.test("BrowserAddresses: remembers at most MAX_ADDRESSES, the least recently seen forgotten first", () => {
  const browsers = new BrowserAddresses(() => 0);
  for (let i = 0; i < MAX_ADDRESSES; i++) browsers.seen(`a${i}`);
  browsers.seen("a0"); // seen again: now the most recent
  browsers.seen("new");
  assert.equal(browsers.has("a0"), true);
  assert.equal(browsers.has("a1"), false, "the least recent went");
  assert.equal(browsers.has("new"), true);
});
