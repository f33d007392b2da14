import assert from "node:assert/strict";
import { serverText } from "./terminal_text.ts";

Deno.test("serverText() drops escapes, controls, bidi and zero-width characters, and caps the length", () => {
  assert.equal(
    serverText("go\x1b]0;pwned\x07 away\u202e\u200b\u2066\ufeff\x9b2J now\r\n"),
    "go away now",
  );
  assert.equal(serverText("abcdef", 3), "abc…");
});
