import assert from "node:assert/strict";
import { KeyDecoder, type KeyEvent, type KeyName } from "./key_decoder.ts";

const key = (name: KeyName): KeyEvent => ({ type: "key", name });

function decode(input: string): KeyEvent[] {
  return new KeyDecoder().feed(input);
}

/** Feeds `bytes` split at the given offsets through a streaming UTF-8 decoder, as the UI does. */
function decodeChunks(bytes: Uint8Array, cuts: number[]): KeyEvent[] {
  const decoder = new KeyDecoder();
  const text = new TextDecoder();
  const events: KeyEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...decoder.feed(text.decode(bytes.subarray(start, cut), { stream: true })));
    start = cut;
  }
  return events;
}

/** Joins adjacent text events, which a split may produce without changing what was typed. */
function mergeText(events: KeyEvent[]): KeyEvent[] {
  const out: KeyEvent[] = [];
  for (const event of events) {
    const last = out.at(-1);
    if (event.type === "text" && last?.type === "text") last.text += event.text;
    else out.push({ ...event });
  }
  return out;
}

Deno.test("KeyDecoder reports printable input as one text event", () => {
  assert.deepEqual(decode("hello 中文 😀"), [{ type: "text", text: "hello 中文 😀" }]);
});

Deno.test("KeyDecoder reports CR and LF as Enter, splitting the text around them", () => {
  assert.deepEqual(decode("hi\rthere\n"), [
    { type: "text", text: "hi" },
    key("enter"),
    { type: "text", text: "there" },
    key("enter"),
  ]);
});

Deno.test("KeyDecoder reports Tab, and DEL and Ctrl-H as Backspace", () => {
  assert.deepEqual(decode("\t\x7f\b"), [key("tab"), key("backspace"), key("backspace")]);
});

Deno.test("KeyDecoder reports other control characters as Ctrl plus a letter", () => {
  assert.deepEqual(decode("\x01\x03\x04\x05\x0b\x15\x17\x0e\x10\x0c"), [
    { type: "ctrl", key: "a" },
    { type: "ctrl", key: "c" },
    { type: "ctrl", key: "d" },
    { type: "ctrl", key: "e" },
    { type: "ctrl", key: "k" },
    { type: "ctrl", key: "u" },
    { type: "ctrl", key: "w" },
    { type: "ctrl", key: "n" },
    { type: "ctrl", key: "p" },
    { type: "ctrl", key: "l" },
  ]);
});

Deno.test("KeyDecoder decodes the arrow keys in normal and application cursor mode", () => {
  assert.deepEqual(decode("\x1b[A\x1b[B\x1b[C\x1b[D"), [
    key("up"),
    key("down"),
    key("right"),
    key("left"),
  ]);
  assert.deepEqual(decode("\x1bOA\x1bOB\x1bOC\x1bOD"), [
    key("up"),
    key("down"),
    key("right"),
    key("left"),
  ]);
});

Deno.test("KeyDecoder decodes every Home and End variant", () => {
  for (const home of ["\x1b[H", "\x1bOH", "\x1b[1~", "\x1b[7~"]) {
    assert.deepEqual(decode(home), [key("home")], JSON.stringify(home));
  }
  for (const end of ["\x1b[F", "\x1bOF", "\x1b[4~", "\x1b[8~"]) {
    assert.deepEqual(decode(end), [key("end")], JSON.stringify(end));
  }
});

Deno.test("KeyDecoder decodes Delete, PgUp and PgDn", () => {
  assert.deepEqual(decode("\x1b[3~\x1b[5~\x1b[6~"), [
    key("delete"),
    key("pageup"),
    key("pagedown"),
  ]);
});

Deno.test("KeyDecoder turns Ctrl-Left/Right and Alt-Left/Right into word moves", () => {
  assert.deepEqual(decode("\x1b[1;5D\x1b[1;5C\x1b[1;3D\x1b[1;3C"), [
    key("word-left"),
    key("word-right"),
    key("word-left"),
    key("word-right"),
  ]);
});

Deno.test("KeyDecoder turns Alt-b and Alt-f into word moves and Alt-Backspace into delete-word", () => {
  assert.deepEqual(decode("\x1bb\x1bf\x1bB\x1bF\x1b\x7f"), [
    key("word-left"),
    key("word-right"),
    key("word-left"),
    key("word-right"),
    key("delete-word-back"),
  ]);
});

Deno.test("KeyDecoder keeps plain arrows with other modifiers as arrows", () => {
  assert.deepEqual(decode("\x1b[1;5A\x1b[1;2D"), [key("up"), key("left")]);
});

Deno.test("KeyDecoder ignores unknown sequences without losing the text around them", () => {
  assert.deepEqual(decode("a\x1b[Zb\x1b[15~c"), [
    { type: "text", text: "a" },
    { type: "text", text: "b" },
    { type: "text", text: "c" },
  ]);
});

Deno.test("KeyDecoder holds a lone ESC until flush() reports it as Escape", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.feed("\x1b"), []);
  assert.equal(decoder.waiting, true);
  assert.deepEqual(decoder.flush(), [key("escape")]);
  assert.equal(decoder.waiting, false);
  assert.deepEqual(decoder.flush(), []);
});

Deno.test("KeyDecoder reports ESC ESC as Escape followed by what comes next", () => {
  assert.deepEqual(decode("\x1b\x1b[A"), [key("escape"), key("up")]);
});

Deno.test("KeyDecoder completes an escape sequence split across chunks", () => {
  const sequence = "x\x1b[1;5Dy";
  for (let cut = 1; cut < sequence.length; cut++) {
    const decoder = new KeyDecoder();
    const events = [...decoder.feed(sequence.slice(0, cut)), ...decoder.feed(sequence.slice(cut))];
    assert.deepEqual(
      mergeText(events),
      [{ type: "text", text: "x" }, key("word-left"), { type: "text", text: "y" }],
      `cut at ${cut}`,
    );
  }
});

Deno.test("KeyDecoder reports a bracketed paste as one paste event, line breaks included", () => {
  assert.deepEqual(decode("\x1b[200~one\ntwo\tthree\x1b[201~"), [
    { type: "paste", text: "one\ntwo\tthree" },
  ]);
});

Deno.test("KeyDecoder turns CRLF and CR inside a paste into LF", () => {
  assert.deepEqual(decode("\x1b[200~a\r\nb\rc\x1b[201~"), [{ type: "paste", text: "a\nb\nc" }]);
});

Deno.test("KeyDecoder does not treat control characters and sequences inside a paste as keys", () => {
  assert.deepEqual(decode("\x1b[200~\x03\x1b[A/quit\r\x1b[201~"), [
    { type: "paste", text: "\x03\x1b[A/quit\n" },
  ]);
});

Deno.test("KeyDecoder reports typed text before and after a paste separately", () => {
  assert.deepEqual(decode("ab\x1b[200~pasted\x1b[201~cd\r"), [
    { type: "text", text: "ab" },
    { type: "paste", text: "pasted" },
    { type: "text", text: "cd" },
    key("enter"),
  ]);
});

Deno.test("KeyDecoder decodes a bracketed paste split into two chunks at every byte position", () => {
  const input = "hi\x1b[200~first line\r\nsecond 中文 😀\r\nthird\x1b[201~\r";
  const bytes = new TextEncoder().encode(input);
  const expected = [
    { type: "text", text: "hi" },
    { type: "paste", text: "first line\nsecond 中文 😀\nthird" },
    key("enter"),
  ];
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(mergeText(decodeChunks(bytes, [cut])), expected, `cut at byte ${cut}`);
  }
});

Deno.test("KeyDecoder decodes a bracketed paste fed one byte at a time", () => {
  const bytes = new TextEncoder().encode("\x1b[200~a\r\nb 😀\x1b[201~x");
  const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(mergeText(decodeChunks(bytes, cuts)), [
    { type: "paste", text: "a\nb 😀" },
    { type: "text", text: "x" },
  ]);
});

Deno.test("KeyDecoder keeps text in a paste that only looks like the start of its end marker", () => {
  const decoder = new KeyDecoder();
  const events = [
    ...decoder.feed("\x1b[200~price \x1b[20"),
    ...decoder.feed("0 or \x1b[201~"),
  ];
  assert.deepEqual(events, [{ type: "paste", text: "price \x1b[200 or " }]);
});

Deno.test("KeyDecoder reports a lone Escape and keeps the text typed after it", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.feed("\x1bhello"), [
    { type: "key", name: "escape" },
    { type: "text", text: "hello" },
  ]);
});
