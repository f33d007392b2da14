import assert from "node:assert/strict";
import { HiddenLine } from "./password_prompt.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("HiddenLine: typed bytes up to Enter, across chunks, in UTF-8", () => {
  const line = new HiddenLine();
  assert.equal(line.feed(bytes("pä")), "more");
  assert.equal(line.feed(bytes("ss\r")), "done");
  assert.equal(line.value, "päss");
});

Deno.test("HiddenLine: Backspace drops a whole character, Ctrl-U the line, arrows are ignored", () => {
  const line = new HiddenLine();
  line.feed(bytes("abé\x7f"));
  assert.equal(line.value, "ab");
  line.feed(bytes("\x15xy\x1b[D\x1bOCz\n"));
  assert.equal(line.value, "xyz");
});

Deno.test("HiddenLine: Ctrl-C aborts; Ctrl-D aborts an empty line and ends a typed one", () => {
  assert.equal(new HiddenLine().feed(bytes("ab\x03")), "abort");
  assert.equal(new HiddenLine().feed(bytes("\x04")), "abort");
  const line = new HiddenLine();
  assert.equal(line.feed(bytes("ab\x04")), "done");
  assert.equal(line.value, "ab");
});
