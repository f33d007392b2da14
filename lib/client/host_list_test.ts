import assert from "node:assert/strict";
import { HostList } from "./host_list.ts";

Deno.test("HostList answers the hosts in turn from where it starts, and goes round", async () => {
  const list = new HostList(
    [
      { host: "a", port: 1 },
      { host: "b", port: 2 },
      { host: "c", port: 3 },
    ],
    undefined,
    1,
  );
  const seen = [];
  for (let i = 0; i < 4; i++) seen.push((await list.resolve()).host);
  assert.deepEqual(seen, ["b", "c", "a", "b"]);
  assert.equal((await list.resolve()).tls, undefined);
  assert.throws(() => new HostList([], undefined), RangeError);
});
