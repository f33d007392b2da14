import assert from "node:assert/strict";
import { ProtocolError } from "./protocol_error.ts";
import { LineReader } from "./line_reader.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);
const text = (lines: Uint8Array[]) => lines.map((line) => decoder.decode(line));

function isLineTooLong(maxBytes: number) {
  return (error: unknown) => {
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "line_too_long");
    assert.equal(error.fatal, true);
    assert.equal(error.message, `Line is longer than ${maxBytes} bytes`);
    return true;
  };
}

/** Feeds `input` one byte per push and collects the lines. */
function feedBytewise(reader: LineReader, input: Uint8Array): string[] {
  const lines: string[] = [];
  for (let i = 0; i < input.length; i++) lines.push(...text(reader.push(input.subarray(i, i + 1))));
  return lines;
}

Deno.test("LineReader.push() splits a chunk into lines at LF", () => {
  const reader = new LineReader(100);
  assert.deepEqual(text(reader.push(bytes("one\ntwo\nthree\n"))), ["one", "two", "three"]);
  assert.equal(reader.buffered, 0);
});

Deno.test("LineReader.push() strips the CR of a CRLF line ending", () => {
  const reader = new LineReader(100);
  assert.deepEqual(text(reader.push(bytes("one\r\ntwo\r\n"))), ["one", "two"]);
});

Deno.test("LineReader.push() keeps a CR that is not at the end of the line", () => {
  const reader = new LineReader(100);
  assert.deepEqual(text(reader.push(bytes("a\rb\n\rc\r\n"))), ["a\rb", "\rc"]);
});

Deno.test("LineReader.push() returns empty lines for blank lines", () => {
  const reader = new LineReader(100);
  assert.deepEqual(text(reader.push(bytes("\n\r\nx\n\n"))), ["", "", "x", ""]);
});

Deno.test("LineReader holds an unfinished line until its newline arrives", () => {
  const reader = new LineReader(100);
  assert.deepEqual(reader.push(bytes("hel")), []);
  assert.equal(reader.buffered, 3);
  assert.deepEqual(text(reader.push(bytes("lo\nwor"))), ["hello"]);
  assert.equal(reader.buffered, 3);
  assert.deepEqual(text(reader.push(bytes("ld\n"))), ["world"]);
  assert.equal(reader.buffered, 0);
});

Deno.test("LineReader gives the same lines when fed one byte at a time", () => {
  const input = bytes("hello\r\nwörld 👋\n\r\nlast line\r\n");
  const whole = text(new LineReader(100).push(input));
  assert.deepEqual(whole, ["hello", "wörld 👋", "", "last line"]);
  assert.deepEqual(feedBytewise(new LineReader(100), input), whole);
});

Deno.test("LineReader joins a CRLF split across two chunks", () => {
  const reader = new LineReader(100);
  assert.deepEqual(reader.push(bytes("abc\r")), []);
  assert.deepEqual(text(reader.push(bytes("\nxyz\r"))), ["abc"]);
  assert.deepEqual(text(reader.push(bytes("\n"))), ["xyz"]);
  assert.equal(reader.buffered, 0);
});

Deno.test("LineReader keeps a multi-byte UTF-8 character split across chunks intact", () => {
  const reader = new LineReader(100);
  const euro = bytes("€\n"); // E2 82 AC 0A
  assert.deepEqual(reader.push(euro.subarray(0, 1)), []);
  assert.deepEqual(reader.push(euro.subarray(1, 2)), []);
  assert.deepEqual(text(reader.push(euro.subarray(2))), ["€"]);
});

Deno.test("LineReader copies an unfinished line, so the caller may reuse its buffer", () => {
  const reader = new LineReader(100);
  const buffer = bytes("abc");
  reader.push(buffer);
  buffer.fill(0x21); // "!!!"
  assert.deepEqual(text(reader.push(bytes("\n"))), ["abc"]);
});

Deno.test("LineReader accepts a line of exactly maxBytes", () => {
  const line = "x".repeat(16);
  assert.deepEqual(text(new LineReader(16).push(bytes(line + "\n"))), [line]);
});

Deno.test("LineReader does not count the CR of CRLF against maxBytes", () => {
  const line = "x".repeat(16);
  assert.deepEqual(text(new LineReader(16).push(bytes(line + "\r\n"))), [line]);
  assert.deepEqual(feedBytewise(new LineReader(16), bytes(line + "\r\n")), [line]);
});

Deno.test("LineReader accepts many lines of exactly maxBytes fed one byte at a time", () => {
  const line = "y".repeat(8);
  const lines = feedBytewise(new LineReader(8), bytes(`${line}\n${line}\r\n${line}\n`));
  assert.deepEqual(lines, [line, line, line]);
});

Deno.test("LineReader rejects a complete line one byte over maxBytes", () => {
  const reader = new LineReader(16);
  assert.throws(() => reader.push(bytes("x".repeat(17) + "\n")), isLineTooLong(16));
});

Deno.test("LineReader counts a CR inside the line against maxBytes", () => {
  const reader = new LineReader(4);
  assert.throws(() => reader.push(bytes("ab\r\rc\n")), isLineTooLong(4));
});

Deno.test("LineReader detects an oversize line before its newline arrives", () => {
  const reader = new LineReader(16);
  assert.deepEqual(reader.push(bytes("x".repeat(16))), []);
  assert.throws(() => reader.push(bytes("x")), isLineTooLong(16));
});

Deno.test("LineReader detects an oversize line at its first excess byte when fed one byte at a time", () => {
  const maxBytes = 32;
  const reader = new LineReader(maxBytes);
  const one = bytes("z");
  for (let i = 0; i < maxBytes; i++) {
    assert.deepEqual(reader.push(one), []);
    assert.equal(reader.buffered, i + 1);
  }
  assert.throws(() => reader.push(one), isLineTooLong(maxBytes));
});

Deno.test("LineReader detects a trailing CR that turns out not to end the line", () => {
  const reader = new LineReader(4);
  assert.deepEqual(reader.push(bytes("abcd\r")), [], "the CR may still be half of a CRLF");
  assert.throws(() => reader.push(bytes("e")), isLineTooLong(4));
});

Deno.test("LineReader never holds more than maxBytes of an endless line", () => {
  const maxBytes = 4096;
  const reader = new LineReader(maxBytes);
  const chunk = new Uint8Array(1000).fill(0x61);
  let pushed = 0;
  let error: unknown;
  try {
    // A megabyte with no newline; the reader must give up long before.
    while (pushed < 1_000_000) {
      reader.push(chunk);
      pushed += chunk.length;
      assert.ok(reader.buffered <= maxBytes, `holding ${reader.buffered} bytes`);
    }
  } catch (caught) {
    error = caught;
  }
  assert.ok(isLineTooLong(maxBytes)(error));
  assert.equal(pushed, 4000, "it should fail on the chunk that crosses the limit");
  assert.equal(reader.buffered, 0, "the partial line is dropped on failure");
});

Deno.test("LineReader never holds more than maxBytes (plus a pending CR) when fed one byte at a time", () => {
  const maxBytes = 64;
  const reader = new LineReader(maxBytes);
  const input = bytes("q".repeat(maxBytes) + "\r" + "q".repeat(1000));
  let high = 0;
  assert.throws(() => {
    for (let i = 0; i < input.length; i++) {
      reader.push(input.subarray(i, i + 1));
      high = Math.max(high, reader.buffered);
    }
  }, isLineTooLong(maxBytes));
  assert.equal(high, maxBytes + 1);
  assert.equal(reader.buffered, 0);
});

Deno.test("LineReader returns the short lines of a chunk whose last line is still within bounds", () => {
  const reader = new LineReader(4);
  assert.deepEqual(text(reader.push(bytes("ab\ncd\nefgh"))), ["ab", "cd"]);
  assert.equal(reader.buffered, 4);
});

Deno.test("LineReader.failure is the error the next push throws, after the lines before it", () => {
  const reader = new LineReader(4);
  assert.equal(reader.failure, undefined);
  assert.deepEqual(text(reader.push(bytes("ab\ncd\r\nefghi\n"))), ["ab", "cd"]);
  assert.ok(isLineTooLong(4)(reader.failure));
  assert.throws(() => reader.push(bytes("x\n")), (error) => error === reader.failure);
});
