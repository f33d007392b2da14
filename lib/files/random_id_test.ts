import assert from "node:assert/strict";
import { randomId } from "./random_id.ts";

Deno.test("randomId() gives 16 random bytes as btoa's base64url, never the same twice", () => {
  const ids = Array.from({ length: 1000 }, () => randomId());
  assert.equal(new Set(ids).size, ids.length);
  const bytes = new Set<number>();
  for (const id of ids) {
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    const binary = atob(id.replace(/-/g, "+").replace(/_/g, "/") + "==");
    assert.equal(binary.length, 16);
    const again = btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    assert.equal(again, id);
    for (const c of binary) bytes.add(c.charCodeAt(0));
  }
  assert.equal(bytes.size, 256);
});
