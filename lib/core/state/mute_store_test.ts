import assert from "node:assert/strict";
import { MemoryMuteStore } from "./mute_store.ts";

Deno.test("MemoryMuteStore is empty until an id is muted, and again once that mute ran out", () => {
  const store = new MemoryMuteStore();
  assert.equal(store.empty(), true);
  store.set({ id: "ip 10.0.0.5", until: 1000 });
  assert.equal(store.empty(), false);
  assert.equal(store.until("ip 10.0.0.5"), 1000);
  // Expiring another end (muted again meanwhile) keeps it.
  store.expire("ip 10.0.0.5", 999);
  assert.equal(store.empty(), false);
  store.expire("ip 10.0.0.5", 1000);
  assert.equal(store.empty(), true);
  assert.equal(store.until("ip 10.0.0.5"), undefined);
});
