import assert from "node:assert/strict";
import { LineDecoder } from "./decode_lines.ts";
import { ProtocolError } from "./protocol_error.ts";

const encoder = new TextEncoder();
const reference = new TextDecoder("utf-8", { fatal: true });

Deno.test("LineDecoder gives every ASCII line, short or long, exactly as the UTF-8 decoder does", () => {
  const every = Array.from({ length: 128 }, (_, code) => code).filter((code) => code !== 0x0a);
  const lines = [
    [],
    [0x61],
    every.slice(0, 64),
    every.slice(0, 65),
    every,
    every.slice(60, 124),
    [0x00, 0x7f, 0x20],
  ];
  for (const codes of lines) {
    const line = Uint8Array.from(codes);
    const decoded = new LineDecoder(1024).decode(Uint8Array.from([...codes, 0x0a]));
    // A CR at the end is the line break's.
    const expected = reference.decode(codes.at(-1) === 0x0d ? line.subarray(0, -1) : line);
    assert.deepEqual(decoded, [expected], JSON.stringify(codes));
  }
});

Deno.test("LineDecoder decodes short lines that are not ASCII, and refuses short bad UTF-8", () => {
  const decoded = new LineDecoder(1024).decode(
    Uint8Array.from([
      ...encoder.encode("zoë\n\ufeffbom\n"),
      0x61,
      0xff,
      0x0a,
      0xc3,
      0x0a,
      ...encoder.encode("ok\n"),
    ]),
  );
  assert.equal(decoded[0], "zoë");
  assert.equal(decoded[1], "bom"); // The decoder drops a byte order mark, as it always did.
  for (const bad of [decoded[2], decoded[3]]) {
    assert.ok(bad instanceof ProtocolError);
    assert.equal(bad.code, "bad_utf8");
  }
  assert.equal(decoded[4], "ok");
});
