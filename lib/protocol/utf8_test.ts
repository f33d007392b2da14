import assert from "node:assert/strict";
import { utf8Bytes, utf8BytesAfter, utf8Joined, utf8Lines, utf8Text } from "./utf8.ts";

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
  "x".repeat(511),
  "x".repeat(512),
  "x".repeat(513),
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
  "x".repeat(24),
  "x".repeat(25),
  "a replacement character \ufffd sent as such, past the short lines",
  "\ufffd",
];

Deno.test("utf8Bytes() gives TextEncoder's bytes for ASCII and every other text", () => {
  for (const text of TEXTS) assert.deepEqual(utf8Bytes(text), encoder.encode(text), text);
});

Deno.test("utf8Bytes(text, true) gives the bytes of the text and a line end, for every text", () => {
  for (const text of TEXTS) {
    assert.deepEqual(utf8Bytes(text, true), encoder.encode(`${text}\n`), text);
  }
  // At the carving limit: the line end makes it one byte longer.
  for (const text of ["x".repeat(511), "x".repeat(512)]) {
    assert.deepEqual(utf8Bytes(text, true), encoder.encode(`${text}\n`));
  }
});

Deno.test("utf8Bytes() never changes bytes it handed out, across slabs and after non-ASCII text", () => {
  const given: [string, Uint8Array][] = [];
  for (let i = 0; i < 2000; i++) {
    const text = i % 7 === 0 ? `caf\u00e9 ${i}` : `message ${i} ${"y".repeat(i % 90)}`;
    given.push([text, utf8Bytes(text)]);
  }
  for (const [text, bytes] of given) assert.deepEqual(bytes, encoder.encode(text), text);
});

Deno.test("utf8BytesAfter() leaves the headroom and gives TextEncoder's bytes after it, for short ASCII only", () => {
  for (const text of TEXTS) {
    const ascii = text.length <= 512 && /^[\0-\x7f]*$/.test(text);
    const part = utf8BytesAfter(4, text);
    if (!ascii) {
      assert.equal(part, undefined, text);
      continue;
    }
    assert.equal(part!.length, 4 + text.length);
    assert.deepEqual(part!.subarray(4), encoder.encode(text), text);
  }
  // Parts and their headroom stay the caller's, across slabs, mixed with utf8Bytes().
  const given: [string, Uint8Array][] = [];
  for (let i = 0; i < 2000; i++) {
    const text = `event ${i} ${"z".repeat(i % 120)}`;
    const part = i % 3 === 0 ? utf8Bytes(text) : utf8BytesAfter(2, text)!;
    if (part.length > text.length) part.set([i & 0xff, 0xee]);
    given.push([text, part]);
  }
  for (const [i, [text, part]] of given.entries()) {
    const head = part.length > text.length ? [i & 0xff, 0xee] : [];
    assert.deepEqual(part, new Uint8Array([...head, ...encoder.encode(text)]), text);
  }
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
  // Past the short lines (the replacing decoder's path): bad bytes still throw,
  // whether or not a real U+FFFD comes with them.
  const long = (...tail: number[]) => new Uint8Array([...encoder.encode("x".repeat(40)), ...tail]);
  for (const bad of [[0xff], [0x80], [0xc3], [0xed, 0xa0, 0x80], [0xef, 0xbf, 0xbd, 0xff]]) {
    assert.throws(() => utf8Text(long(...bad)), TypeError, String(bad));
  }
  assert.equal(utf8Text(long(0xef, 0xbf, 0xbd)), `${"x".repeat(40)}\ufffd`);
  const longBom = new Uint8Array([0xef, 0xbb, 0xbf, ...long()]);
  assert.equal(utf8Text(longBom), decoder.decode(longBom));
  // A part of a larger buffer decodes as itself.
  const line = encoder.encode("before|the line|after");
  assert.equal(utf8Text(line.subarray(7, 15)), "the line");
});

Deno.test("utf8Text() agrees with a fatal TextDecoder on mixed valid and invalid bytes of every length", () => {
  // Pieces a hostile or broken client may send: ASCII, BOMs, U+FFFD sent as
  // such, good 2-4 byte forms, overlong forms, surrogates, past U+10FFFF,
  // stray continuation bytes, characters cut short, bytes UTF-8 never uses.
  const pieces = [
    [0x61],
    [0x7f],
    [0x00],
    [0xef, 0xbb, 0xbf],
    [0xef, 0xbf, 0xbd],
    [0xc3, 0xa9],
    [0xe4, 0xb8, 0xad],
    [0xf0, 0x9f, 0x98, 0x80],
    [0xc0, 0x80],
    [0xc1, 0xbf],
    [0xe0, 0x80, 0x80],
    [0xf0, 0x80, 0x80, 0x80],
    [0xed, 0xa0, 0x80],
    [0xed, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80],
    [0x80],
    [0xbf],
    [0xc3],
    [0xe4, 0xb8],
    [0xf0, 0x9f, 0x98],
    [0xfe],
    [0xff],
  ];
  let seed = 7;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let round = 0; round < 20_000; round++) {
    const bytes: number[] = [];
    const target = next(90);
    // Mostly ASCII, as chat lines are, with a few other pieces anywhere.
    while (bytes.length < target) {
      bytes.push(...(next(4) === 0 ? pieces[next(pieces.length)] : [0x20 + next(95)]));
    }
    // Inside a larger buffer, as a line cut from a read is.
    const buffer = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes, 0xff]);
    const line = buffer.subarray(3, 3 + bytes.length);
    let expected: string | undefined;
    try {
      expected = decoder.decode(line);
    } catch (error) {
      assert.ok(error instanceof TypeError);
    }
    if (expected === undefined) assert.throws(() => utf8Text(line), TypeError, String(bytes));
    else assert.equal(utf8Text(line), expected, String(bytes));
  }
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
