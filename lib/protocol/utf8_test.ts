import assert from "node:assert/strict";
import { utf8Bytes, utf8Lines, utf8Text } from "./utf8.ts";

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
  "x".repeat(511),
  "x".repeat(512),
  "x".repeat(513),
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

Deno.test("utf8Lines() gives the CRLF-ended lines' bytes when short ASCII, and undefined otherwise", () => {
  const cases: string[][] = [[], [""], ["", ""], ["Welcome", "You are in #lobby", "Type /help"]];
  for (const n of [100, 253, 254, 255, 508, 509, 510, 511]) cases.push(["x".repeat(n)]);
  cases.push(["a".repeat(200), "b".repeat(200), "c".repeat(106)], ["\0\x7f", "\t"]);
  for (const lines of cases) {
    const expected = encoder.encode(lines.map((line) => `${line}\r\n`).join(""));
    const carved = utf8Lines(lines);
    if (expected.length <= 512) assert.deepEqual(carved, expected, JSON.stringify(lines));
    else assert.equal(carved, undefined, JSON.stringify(lines));
  }
  for (const lines of [["caf\u00e9"], ["ok", "\u4e2d"], ["x".repeat(300), "\u{1f600}"]]) {
    assert.equal(utf8Lines(lines), undefined, JSON.stringify(lines));
  }
  // Bytes handed out stay as they were, with utf8Bytes and refused lines between them.
  const given: [string[], Uint8Array][] = [];
  for (let i = 0; i < 2000; i++) {
    const lines = [`line ${i}`, "y".repeat(i % 300)];
    if (i % 5 === 0) utf8Lines([`caf\u00e9 ${i}`, "y".repeat(i % 40)]);
    if (i % 3 === 0) utf8Bytes(`between ${i}`);
    given.push([lines, utf8Lines(lines)!]);
  }
  for (const [lines, bytes] of given) {
    assert.deepEqual(bytes, encoder.encode(lines.map((line) => `${line}\r\n`).join("")));
  }
});
