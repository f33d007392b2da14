import assert from "node:assert/strict";
import {
  decodeTxt,
  decodeTxtStrings,
  encodeTxt,
  encodeTxtStrings,
  type ServerTxt,
  TxtRecordError,
} from "./txt.ts";

const FP = `SHA256:${"A".repeat(42)}0`;
const TLS: ServerTxt = { version: 1, tls: true, fingerprint: FP, password: true, web: true };
const PLAIN: ServerTxt = { version: 1, tls: false, password: false, web: true };

Deno.test("encodeTxt() writes every key as a string, fp only with TLS", () => {
  assert.deepEqual(encodeTxt(TLS), { v: "1", tls: "1", fp: FP, pw: "1", web: "1" });
  assert.deepEqual(encodeTxt(PLAIN), { v: "1", tls: "0", pw: "0", web: "1" });
  assert.deepEqual(encodeTxtStrings(PLAIN), ["v=1", "tls=0", "pw=0", "web=1"]);
});

Deno.test("encodeTxt() refuses a record it could not decode again", () => {
  assert.throws(() => encodeTxt({ ...TLS, fingerprint: undefined }), TxtRecordError);
  assert.throws(() => encodeTxt({ ...PLAIN, fingerprint: FP }), TxtRecordError);
  assert.throws(() => encodeTxt({ ...TLS, fingerprint: "SHA256:short" }), /Not a fingerprint/);
  assert.throws(() => encodeTxt({ ...PLAIN, version: 0 }), /positive integer/);
});

Deno.test("decodeTxt() reads back what encodeTxt() wrote, both as pairs and as strings", () => {
  for (const txt of [TLS, PLAIN]) {
    assert.deepEqual(decodeTxt(encodeTxt(txt)), txt);
    assert.deepEqual(decodeTxtStrings(encodeTxtStrings(txt)), txt);
  }
});

Deno.test("decodeTxt() ignores unknown keys, folds key case and reads raw bytes", () => {
  const bytes = new TextEncoder();
  assert.deepEqual(
    decodeTxt({ V: "1", TLS: "0", pw: bytes.encode("1"), web: "0", users: "12", future: true }),
    { version: 1, tls: false, password: true, web: false },
  );
  assert.deepEqual(
    decodeTxtStrings(["", "v=2", "tls=0", "pw=0", "web=1", "web=0", "flag", "x=a=b"]),
    { version: 2, tls: false, password: false, web: true },
  );
});

Deno.test("decodeTxt() refuses a missing key or a bad value, naming the key and the value", () => {
  const good = encodeTxt(TLS);
  const without = (key: string) =>
    Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));
  assert.throws(() => decodeTxt(without("v")), /"v" is missing/);
  assert.throws(() => decodeTxt(without("pw")), /"pw" is missing/);
  assert.throws(() => decodeTxt(without("fp")), /"tls=1" needs "fp"/);
  assert.throws(
    () => decodeTxt({ ...good, v: "one" }),
    /"v" must be a positive integer, got "one"/,
  );
  assert.throws(() => decodeTxt({ ...good, v: "0" }), /"v" must be a positive integer/);
  assert.throws(() => decodeTxt({ ...good, tls: "yes" }), /"tls" must be "1" or "0", got "yes"/);
  assert.throws(() => decodeTxt({ ...good, web: true }), /"web" has no value/);
  assert.throws(() => decodeTxt({ ...good, fp: "SHA256:abc" }), /got "SHA256:abc"/);
  assert.throws(() => decodeTxt({ ...encodeTxt(PLAIN), fp: FP }), /"fp" goes only with "tls=1"/);
  assert.throws(() => decodeTxtStrings(["v=1", "tls", "pw=0", "web=1"]), /"tls" has no value/);
});
