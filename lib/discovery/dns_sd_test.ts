import assert from "node:assert/strict";
import { answersTo, claimsAny, hostNameFor, instanceName, recordsOf, renamed } from "./dns_sd.ts";

const CHAT = { type: "_lanchat._tcp", instance: "office", port: 7777, txt: ["v=1", "tls=0"] };
const HOST = hostNameFor(["10.0.0.5", "fe80::1"]);

Deno.test("renamed() numbers a taken instance name as DNS-SD prescribes, within 63 bytes", () => {
  assert.equal(renamed("office"), "office (2)");
  assert.equal(renamed("office (2)"), "office (3)");
  assert.equal(renamed("office (9)"), "office (10)");
  const long = "é".repeat(31); // 62 bytes
  assert.equal(new TextEncoder().encode(renamed(long)).length <= 63, true);
  assert.match(renamed(long), / \(2\)$/);
});

Deno.test("instanceName() escapes dots and backslashes; hostNameFor() makes a name of lanchat's own", () => {
  assert.equal(instanceName(CHAT), "office._lanchat._tcp.local");
  assert.equal(instanceName({ ...CHAT, instance: "a.b\\c" }), "a\\.b\\\\c._lanchat._tcp.local");
  assert.equal(HOST, "lanchat-10-0-0-5.local");
});

Deno.test("recordsOf() names the instance with PTR, SRV, TXT and the host's addresses; goodbye has TTL 0", () => {
  const records = recordsOf([CHAT], HOST, ["10.0.0.5", "fe80::1"]);
  assert.deepEqual(records.map((r) => `${r.type} ${r.name}`), [
    "PTR _services._dns-sd._udp.local",
    "PTR _lanchat._tcp.local",
    "SRV office._lanchat._tcp.local",
    "TXT office._lanchat._tcp.local",
    `A ${HOST}`,
    `AAAA ${HOST}`,
  ]);
  assert.deepEqual(records[2].data, { priority: 0, weight: 0, port: 7777, target: HOST });
  assert.ok(records.every((r) => r.ttl > 0));
  assert.ok(recordsOf([CHAT], HOST, ["10.0.0.5"], "goodbye").every((r) => r.ttl === 0));
});

Deno.test("answersTo() answers a browse with the PTR and adds SRV, TXT and addresses; ignores others' names", () => {
  const records = recordsOf([CHAT], HOST, ["10.0.0.5"]);
  const browse = answersTo([{ name: "_LANCHAT._tcp.local", type: "PTR" }], records);
  assert.deepEqual(browse.answers.map((r) => r.type), ["PTR"]);
  assert.deepEqual(browse.additionals.map((r) => r.type), ["SRV", "TXT", "A"]);
  const resolve = answersTo([{ name: "office._lanchat._tcp.local", type: "ANY" }], records);
  assert.deepEqual(resolve.answers.map((r) => r.type), ["SRV", "TXT"]);
  assert.deepEqual(resolve.additionals.map((r) => r.type), ["A"]);
  assert.deepEqual(answersTo([{ name: "_http._tcp.local", type: "PTR" }], records).answers, []);
});

Deno.test("claimsAny() sees a response that uses one of our instance names, in any case", () => {
  const names = ["office._lanchat._tcp.local"];
  assert.equal(claimsAny({ answers: [{ name: "Office._lanchat._tcp.local" }] }, names), true);
  assert.equal(claimsAny({ additionals: [{ name: "office._lanchat._tcp.local" }] }, names), true);
  assert.equal(claimsAny({ answers: [{ name: "other._lanchat._tcp.local" }] }, names), false);
  assert.equal(claimsAny({}, names), false);
});
