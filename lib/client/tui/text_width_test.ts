import assert from "node:assert/strict";
import { graphemes, graphemeWidth, pad, textWidth, truncate, wrapLine } from "./text_width.ts";

const FAMILY = "👨‍👩‍👧"; // man, ZWJ, woman, ZWJ, girl
const FLAG = "🇫🇷"; // two regional indicators
const E_ACUTE = "e\u0301"; // e + combining acute accent

Deno.test("graphemes() keeps ASCII as one cluster per character", () => {
  assert.deepEqual(graphemes("hi there"), ["h", "i", " ", "t", "h", "e", "r", "e"]);
});

Deno.test("graphemes() keeps a ZWJ family, a flag and a combining sequence whole", () => {
  assert.deepEqual(graphemes(`a${FAMILY}b${FLAG}c${E_ACUTE}`), [
    "a",
    FAMILY,
    "b",
    FLAG,
    "c",
    E_ACUTE,
  ]);
});

Deno.test("graphemeWidth() is 1 for ASCII and Latin letters with accents", () => {
  assert.equal(graphemeWidth("a"), 1);
  assert.equal(graphemeWidth("é"), 1);
  assert.equal(graphemeWidth(E_ACUTE), 1);
});

Deno.test("graphemeWidth() is 2 for CJK, emoji, a ZWJ family and a flag", () => {
  assert.equal(graphemeWidth("中"), 2);
  assert.equal(graphemeWidth("한"), 2);
  assert.equal(graphemeWidth("😀"), 2);
  assert.equal(graphemeWidth("👍🏽"), 2);
  assert.equal(graphemeWidth(FAMILY), 2);
  assert.equal(graphemeWidth(FLAG), 2);
});

Deno.test("graphemeWidth() is 0 for a lone combining mark and zero-width characters", () => {
  assert.equal(graphemeWidth("\u0301"), 0);
  assert.equal(graphemeWidth("\u200b"), 0);
  assert.equal(graphemeWidth("\u200d"), 0);
});

Deno.test("textWidth() adds up the clusters' widths", () => {
  assert.equal(textWidth(""), 0);
  assert.equal(textWidth("hello"), 5);
  assert.equal(textWidth("中文"), 4);
  assert.equal(textWidth(`hi ${FAMILY}`), 5);
  assert.equal(textWidth(`${FLAG}${FLAG}`), 4);
  assert.equal(textWidth(`caf${E_ACUTE}`), 4);
  assert.equal(textWidth("a\u200bb"), 2);
});

Deno.test("truncate() leaves text that fits alone", () => {
  assert.equal(truncate("hello", 5), "hello");
  assert.equal(truncate("中文", 4), "中文");
});

Deno.test("truncate() cuts to the width with an ellipsis", () => {
  assert.equal(truncate("hello world", 8), "hello w…");
  assert.equal(textWidth(truncate("hello world", 8)), 8);
});

Deno.test("truncate() never splits a wide character or a cluster", () => {
  // 3 columns for text: a second 中 would need 4.
  assert.equal(truncate("中中中", 4), "中…");
  assert.equal(truncate(`${FAMILY}${FAMILY}${FAMILY}`, 5), `${FAMILY}${FAMILY}…`);
  assert.equal(truncate(`${E_ACUTE}${E_ACUTE}${E_ACUTE}x`, 3), `${E_ACUTE}${E_ACUTE}…`);
});

Deno.test("pad() fills to the width by display width, left or right aligned", () => {
  assert.equal(pad("ab", 5), "ab   ");
  assert.equal(pad("ab", 5, "right"), "   ab");
  assert.equal(pad("中", 4), "中  ");
  assert.equal(pad(E_ACUTE, 3, "right"), `  ${E_ACUTE}`);
  assert.equal(pad("toolong", 3), "toolong");
});

Deno.test("wrapLine() returns a line that fits as it is", () => {
  assert.deepEqual(wrapLine("short", 10), ["short"]);
  assert.deepEqual(wrapLine("", 10), [""]);
  assert.deepEqual(wrapLine("exactly10!", 10), ["exactly10!"]);
});

Deno.test("wrapLine() breaks after spaces, between words", () => {
  assert.deepEqual(wrapLine("the quick brown fox", 10), ["the quick ", "brown fox"]);
  assert.deepEqual(wrapLine("one two three four five", 9), ["one two ", "three ", "four five"]);
});

Deno.test("wrapLine() drops the space a row breaks at", () => {
  assert.deepEqual(wrapLine("abcde fghij", 5), ["abcde", "fghij"]);
});

Deno.test("wrapLine() breaks a word longer than a row inside it", () => {
  assert.deepEqual(wrapLine("abcdefghijklm", 5), ["abcde", "fghij", "klm"]);
  assert.deepEqual(wrapLine("see https://example.com/a/very/long/path", 12), [
    "see ",
    "https://exam",
    "ple.com/a/ve",
    "ry/long/path",
  ]);
});

Deno.test("wrapLine() never splits a wide character across rows", () => {
  // 5 columns hold two CJK characters; the fifth column stays empty.
  assert.deepEqual(wrapLine("中文中文中", 5), ["中文", "中文", "中"]);
  assert.deepEqual(wrapLine(`ab${FAMILY}${FLAG}`, 3), ["ab", FAMILY, FLAG]);
});

Deno.test("wrapLine() keeps combining marks with their letter", () => {
  const word = E_ACUTE.repeat(7);
  const rows = wrapLine(word, 3);
  assert.deepEqual(rows, [E_ACUTE.repeat(3), E_ACUTE.repeat(3), E_ACUTE]);
});

Deno.test("wrapLine() treats a width below 1 as 1", () => {
  assert.deepEqual(wrapLine("abc", 0), ["a", "b", "c"]);
});

Deno.test("wrapLine() rows never exceed the width and keep every non-space cluster in order", () => {
  const pieces = [
    "a",
    "bb",
    "ccc ",
    " ",
    "中",
    "文字",
    "😀",
    FAMILY,
    FLAG,
    E_ACUTE,
    "x\u200by",
    "-",
  ];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let round = 0; round < 400; round++) {
    let text = "";
    const count = 1 + Math.floor(random() * 30);
    for (let i = 0; i < count; i++) text += pieces[Math.floor(random() * pieces.length)];
    const width = 2 + Math.floor(random() * 20);
    const rows = wrapLine(text, width);
    for (const row of rows) {
      assert.ok(textWidth(row) <= width, `row ${JSON.stringify(row)} of ${JSON.stringify(text)}`);
    }
    const visible = (s: string) => graphemes(s).filter((g) => g !== " ");
    assert.deepEqual(visible(rows.join("")), visible(text), JSON.stringify(text));
    // No cluster was cut: the rows' clusters are the text's clusters.
    for (const row of rows) {
      for (const cluster of graphemes(row)) assert.ok(graphemes(text).includes(cluster));
    }
  }
});
