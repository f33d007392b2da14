import assert from "node:assert/strict";
import { IrcSasl } from "./irc_sasl.ts";

const b64 = (text: string) => new TextEncoder().encode(text).toBase64();

Deno.test("IrcSasl: PLAIN asks for the payload, then hands the password to the handshake", () => {
  const sasl = new IrcSasl();
  assert.deepEqual(sasl.authenticate(["PLAIN"], false, "*").lines, ["AUTHENTICATE +\r\n"]);
  const step = sasl.authenticate([b64("\0ana\0pw")], false, "*");
  assert.deepEqual(step, { lines: [], frame: { type: "password", password: "pw" } });
  assert.equal(sasl.checking, true);
  assert.deepEqual(sasl.accepted("*", "ana!ana@lanchat"), [
    ":lanchat 903 * :SASL authentication successful\r\n",
  ]);
  assert.match(sasl.authenticate(["PLAIN"], false, "*").lines[0], / 907 /);
});

Deno.test("IrcSasl: a payload of 400-byte chunks ends with a shorter chunk or +", () => {
  const sasl = new IrcSasl();
  sasl.authenticate(["PLAIN"], false, "*");
  const password = "p".repeat(600 - 6);
  const payload = b64(`\0ana\0${password}`);
  assert.equal(payload.length, 800);
  assert.deepEqual(sasl.authenticate([payload.slice(0, 400)], false, "*"), { lines: [] });
  assert.deepEqual(sasl.authenticate([payload.slice(400)], false, "*"), { lines: [] });
  assert.deepEqual(sasl.authenticate(["+"], false, "*").frame, { type: "password", password });
});

Deno.test("IrcSasl: EXTERNAL carries its authzid; refusal, abort and bad base64 start over", () => {
  const sasl = new IrcSasl();
  sasl.authenticate(["EXTERNAL"], false, "*");
  assert.deepEqual(sasl.authenticate(["+"], false, "*").frame, { type: "external", authzid: "" });
  assert.deepEqual(sasl.refused("*", "No certificate"), [":lanchat 904 * :No certificate\r\n"]);
  sasl.authenticate(["external"], false, "*");
  assert.match(sasl.authenticate(["*"], false, "*").lines[0], / 906 /);
  sasl.authenticate(["EXTERNAL"], false, "*");
  assert.match(sasl.authenticate(["!!"], false, "*").lines[0], / 904 .*base64/);
  assert.match(sasl.authenticate(["EXTERNAL"], true, "ana").lines[0], / 904 ana /);
  // An abort with nothing to abort, before registration or after, is 906 too (never 904).
  assert.match(sasl.authenticate(["*"], false, "*").lines[0], / 906 \* /);
  assert.match(sasl.authenticate(["*"], true, "ana").lines[0], / 906 ana /);
  assert.match(sasl.authenticate([], false, "*").lines[0], / 461 \* AUTHENTICATE /);
});
