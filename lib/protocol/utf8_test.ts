import assert from "node:assert/strict";
import { utf8Bytes, utf8Joined, utf8Text } from "./utf8.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Texts around every path: empty, ASCII short and long, non-ASCII at the start, middle and end. */
const TEXTS = [
  "",
  "a",
  "[12:03] <ana> hi\r\n",
  "\0\x01\x7f",
  "x".repeat(255),
  "x".repeat(256),
  "x".repeat(257),
  "x".repeat(5000),
  "é",
  "caf\u00e9",
  "\u00e9abc",
  "emoji \u{1f600} here",
  "lone surrogate \ud800 here",
  `${"x".repeat(200)}\u4e2d`,
];

Deno.test("utf8Bytes() gives TextEncoder's bytes for ASCII and every other text", () => {
  for (const text of TEXTS) assert.deepEqual(utf8Bytes(text), encoder.encode(text), text);
});

Deno.test("utf8Bytes() never changes bytes it handed out, across slabs and after non-ASCII text", () => {
  const given: [string, Uint8Array][] = [];
  for (let i = 0; i < 2000; i++) {
    const text = i % 7 === 0 ? `caf\u00e9 ${i}` : `message ${i} ${"y".repeat(i % 90)}`;
    given.push([text, utf8Bytes(text)]);
  }
  for (const [text, bytes] of given) assert.deepEqual(bytes, encoder.encode(text), text);
});

Deno.test("utf8Joined() gives TextEncoder's bytes of the joined parts, however the text is cut", () => {
  for (const text of TEXTS) {
    for (const cut of [0, 1, Math.floor(text.length / 2), text.length]) {
      const parts = [text.slice(0, cut), "", text.slice(cut), " :tail"];
      assert.deepEqual(utf8Joined(parts), encoder.encode(parts.join("")), text);
    }
  }
  assert.deepEqual(utf8Joined([]), new Uint8Array(0));
});

Deno.test("utf8Joined() and utf8Bytes() never change bytes they handed out, across slabs", () => {
  const given: [string, Uint8Array][] = [];
  for (let i = 0; i < 2000; i++) {
    const parts = [":u", String(i), i % 5 === 0 ? " caf\u00e9" : " say", " ", "z".repeat(i % 120)];
    given.push([parts.join(""), i % 3 ? utf8Joined(parts) : utf8Bytes(parts.join(""))]);
  }
  for (const [text, bytes] of given) assert.deepEqual(bytes, encoder.encode(text), text);
});

Deno.test("utf8Text() decodes as a fatal TextDecoder does, and throws on bytes that are not UTF-8", () => {
  for (const text of TEXTS) {
    const bytes = encoder.encode(text);
    assert.equal(utf8Text(bytes), decoder.decode(bytes), text);
  }
  // A byte-order mark is dropped by the decoder: the slow path keeps that.
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
  assert.equal(utf8Text(bom), decoder.decode(bom));
  for (const bad of [[0xff], [0x61, 0x80], [0xc3], [0xed, 0xa0, 0x80]]) {
    assert.throws(() => utf8Text(new Uint8Array(bad)), TypeError);
  }
  // A part of a larger buffer decodes as itself.
  const line = encoder.encode("before|the line|after");
  assert.equal(utf8Text(line.subarray(7, 15)), "the line");
});
