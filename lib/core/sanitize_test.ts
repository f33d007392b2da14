import assert from "node:assert/strict";
import { cleanLine, excerpt, sanitizeText, unsafeCharacter } from "./sanitize.ts";

/** Everything a terminal could act on, or that could reorder what a reader sees. */
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

Deno.test("sanitizeText() leaves ordinary text alone", () => {
  for (
    const text of ["hello, world!", "Zoë says 你好 👋🏽", "a < b && c > d", "→ ünïcödé ←", "e\u0301"]
  ) {
    assert.equal(sanitizeText(text), text);
  }
});

Deno.test("sanitizeText() removes a screen-clearing CSI sequence", () => {
  assert.equal(sanitizeText("hi\x1b[2J there"), "hi there");
  assert.equal(sanitizeText("\x1b[H\x1b[2Jgone"), "gone");
});

Deno.test("sanitizeText() removes colour (SGR) sequences and keeps the text", () => {
  assert.equal(sanitizeText("\x1b[31mred\x1b[0m and \x1b[38;5;196mmore\x1b[m"), "red and more");
});

Deno.test("sanitizeText() removes private-mode CSI sequences such as hiding the cursor", () => {
  assert.equal(sanitizeText("a\x1b[?25lb\x1b[?1049hc"), "abc");
});

Deno.test("sanitizeText() removes the 8-bit CSI introducer form", () => {
  assert.equal(sanitizeText("a\u009b2Jb"), "ab");
});

Deno.test("sanitizeText() removes OSC 8 hyperlinks but keeps their visible text", () => {
  const withST = "see \x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\ now";
  assert.equal(sanitizeText(withST), "see click here now");
  const withBEL = "see \x1b]8;;https://evil.example/\x07click here\x1b]8;;\x07 now";
  assert.equal(sanitizeText(withBEL), "see click here now");
});

Deno.test("sanitizeText() removes a window-title OSC sequence", () => {
  assert.equal(sanitizeText("\x1b]0;pwned\x07hello"), "hello");
  assert.equal(sanitizeText("\x1b]2;pwned\u009chello"), "hello");
  assert.equal(sanitizeText("\u009d0;pwned\x07hello"), "hello");
});

Deno.test("sanitizeText() drops an unterminated OSC string up to the end of the text", () => {
  assert.equal(sanitizeText("hi \x1b]0;never ends"), "hi ");
});

Deno.test("sanitizeText() removes DCS, APC, PM and SOS strings", () => {
  assert.equal(sanitizeText("a\x1bPq#0;2;0;0;0\x1b\\b"), "ab");
  assert.equal(sanitizeText("a\x1b_payload\x1b\\b"), "ab");
  assert.equal(sanitizeText("a\x1b^privacy\x1b\\b"), "ab");
  assert.equal(sanitizeText("a\x1bXstring\x1b\\b"), "ab");
  assert.equal(sanitizeText("a\u0090dcs\u009cb"), "ab");
});

Deno.test("sanitizeText() removes two-byte escapes such as a full terminal reset", () => {
  assert.equal(sanitizeText("a\x1bcb"), "ab");
  assert.equal(sanitizeText("a\x1b7b\x1b8"), "ab");
  assert.equal(sanitizeText("trailing\x1b"), "trailing");
});

Deno.test("sanitizeText() removes NUL, BEL, backspace, DEL and other control characters", () => {
  assert.equal(sanitizeText("a\x00b\x07c\x08d\x7fe\x0bf\x0cg\x1ch"), "abcdefgh");
});

Deno.test("sanitizeText() removes C1 control characters", () => {
  assert.equal(sanitizeText("a\u0085b\u008ec\u0080d\u0084e"), "abcde");
});

Deno.test("sanitizeText() removes bidirectional overrides, embeddings, isolates and marks", () => {
  const hostile =
    "abc\u202Egnp.exe\u202C \u202Ax\u202By\u202Dz \u2066i\u2067j\u2068k\u2069 \u200El\u200Fm\u061Cn";
  assert.equal(sanitizeText(hostile), "abcgnp.exe xyz ijk lmn");
});

Deno.test("sanitizeText() turns tabs into spaces", () => {
  assert.equal(sanitizeText("a\tb\t\tc"), "a b  c");
});

Deno.test("sanitizeText() turns line breaks into spaces by default", () => {
  assert.equal(sanitizeText("one\ntwo\r\nthree\rfour"), "one two three four");
});

Deno.test("sanitizeText() keeps line breaks as '\\n' in multiline mode", () => {
  assert.equal(
    sanitizeText("one\ntwo\r\nthree\rfour", { multiline: true }),
    "one\ntwo\nthree\nfour",
  );
});

Deno.test("sanitizeText() does not let a CR rewrite the start of the line", () => {
  const spoof = "I agree\r<bob> I disagree";
  const clean = sanitizeText(spoof);
  assert.ok(!clean.includes("\r"));
  assert.equal(clean, "I agree <bob> I disagree");
});

Deno.test("sanitizeText() replaces unpaired surrogates with U+FFFD", () => {
  assert.equal(sanitizeText("a\ud800b"), "a\ufffdb");
  assert.equal(sanitizeText("a\udc00"), "a\ufffd");
  assert.equal(sanitizeText("\ud83d\ude00"), "😀");
});

Deno.test("sanitizeText() cannot be tricked into rebuilding an escape sequence", () => {
  // Removing one piece must not join two harmless halves into a live sequence.
  for (
    const text of ["\x1b\x00[2J", "\x1b\x1b[[2J", "\x00\x1b[31m", "\x1b\u202e[2J", "\x1b\n[2J"]
  ) {
    const clean = sanitizeText(text, { multiline: true });
    assert.ok(!UNSAFE.test(clean), `${JSON.stringify(text)} gave ${JSON.stringify(clean)}`);
  }
});

Deno.test("sanitizeText() leaves no unsafe character in random hostile input", () => {
  const pieces = [
    "\x1b",
    "[",
    "]",
    "P",
    "\\",
    "\x07",
    "\x00",
    "\x08",
    "\x7f",
    "\u009b",
    "\u009d",
    "\u009c",
    "\u202e",
    "\u2066",
    "\u200f",
    "\r",
    "\n",
    "\t",
    "a",
    "1",
    ";",
    "m",
    "é",
    "\ud800",
    "😀",
  ];
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let round = 0; round < 2000; round++) {
    let text = "";
    const length = Math.floor(random() * 30);
    for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
    for (const multiline of [false, true]) {
      const clean = sanitizeText(text, { multiline });
      assert.ok(!UNSAFE.test(clean), `${JSON.stringify(text)} gave ${JSON.stringify(clean)}`);
      assert.equal(clean.toWellFormed(), clean);
      if (!multiline) assert.ok(!clean.includes("\n"));
    }
  }
});

Deno.test("sanitizeText() treats U+2028 and U+2029 as line breaks and drops interlinear marks", () => {
  assert.equal(sanitizeText("a\u2028b\u2029c"), "a b c");
  assert.equal(sanitizeText("a\u2028b\u2029c", { multiline: true }), "a\nb\nc");
  assert.equal(sanitizeText("see\ufff9hidden\ufffanote\ufffb"), "seehiddennote");
});

Deno.test("cleanLine() makes one trimmed line, cut at a number of code points", () => {
  assert.equal(cleanLine("  chat\x1b]0;t\x07-client\r\n/1.0 ", 64), "chat-client /1.0");
  assert.equal(cleanLine("\u{1f600}".repeat(100), 3), "\u{1f600}".repeat(3));
  assert.equal(cleanLine("ab \x1b[2J", 64), "ab");
});

Deno.test("unsafeCharacter() names the first control, invisible or broken character", () => {
  assert.equal(unsafeCharacter("ana"), undefined);
  assert.equal(unsafeCharacter("Zoë_日本"), undefined);
  assert.equal(unsafeCharacter("a\x1b[2J"), "the control character U+001B");
  assert.equal(unsafeCharacter("a\u0085"), "the control character U+0085");
  assert.equal(unsafeCharacter("a\u202eb"), "the invisible formatting character U+202E");
  assert.equal(unsafeCharacter("a\u200db"), "the invisible formatting character U+200D");
  assert.equal(unsafeCharacter("a\udc00"), "an unpaired surrogate");
  assert.equal(unsafeCharacter("a\u2028"), "the line separator U+2028");
});

Deno.test("excerpt() shows controls and invisible characters as escapes and cuts long input", () => {
  assert.equal(excerpt("a\x1b[2Jb\x07"), "a\\x1b[2Jb\\x07");
  assert.equal(excerpt("x\u202ey\ud800z\u{e0041}"), "x\\u202ey\\ud800z\\u{e0041}");
  assert.equal(excerpt("é".repeat(50)), "é".repeat(40) + "…");
  assert.ok(!UNSAFE.test(excerpt("\x1b]0;t\x07\u009b\u2066")));
});
