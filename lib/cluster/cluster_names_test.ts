import assert from "node:assert/strict";
import { nodeName, nodeSubject, parseNodeRecord } from "./cluster_names.ts";

Deno.test("nodeName() makes a subject-safe name from any server name, with 8 hex digits", () => {
  assert.equal(nodeName("office", "0123abcd-ffff"), "office-0123abcd");
  assert.match(nodeName("Café *floor* 2.b >"), /^Cafe-floor-2-b-[0-9a-f]{8}$/);
  assert.match(nodeName("***"), /^lanchat-[0-9a-f]{8}$/);
  assert.equal(nodeSubject("office-0123abcd", "dm"), "lanchat.node.office-0123abcd.dm");
});

Deno.test("parseNodeRecord() takes a whole record and refuses anything else", () => {
  const record = {
    node: "a-1",
    server: "a",
    listen: ["127.0.0.1:7000"],
    started: 1,
    seen: 2,
    clients: 3,
    version: "1",
  };
  assert.deepEqual(parseNodeRecord({ ...record, extra: true }), record);
  assert.equal(parseNodeRecord({ ...record, clients: "3" }), undefined);
  assert.equal(parseNodeRecord({ ...record, listen: [1] }), undefined);
  assert.equal(parseNodeRecord(null), undefined);
});
