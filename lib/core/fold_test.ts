import assert from "node:assert/strict";
import { fold } from "./fold.ts";

const full = (text: string) => text.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");

Deno.test("fold() of ASCII text (its fast path) is the full Unicode fold, for every pair of characters", () => {
  const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));
  for (const first of ascii) {
    for (const second of ascii) assert.equal(fold(first + second), full(first + second));
  }
});

Deno.test("fold() of other text is NFKC and the case round trip", () => {
  for (
    const text of [
      "#Lobby",
      "c0x1234",
      "\u00c9va",
      "\u00e9va",
      "ａna",
      "#ＯＰＳ",
      "a\u0301",
      "\u0130",
      "ΣΊΣΥΦΟΣ",
      "ﬁona",
    ]
  ) {
    assert.equal(fold(text), full(text));
  }
  assert.equal(fold("ａｎａ"), "ana");
  assert.equal(fold("#ＯＰＳ"), "#ops");
});
