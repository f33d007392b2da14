import assert from "node:assert/strict";
import {
  cleanFileName,
  contentDisposition,
  FALLBACK_FILE_NAME,
  MAX_FILE_NAME_BYTES,
} from "./file_name.ts";

const bytes = (text: string) => new TextEncoder().encode(text).length;

Deno.test("cleanFileName() keeps an ordinary name as it is", () => {
  assert.equal(
    cleanFileName("Screenshot 2026-11-30 at 16.07.png"),
    "Screenshot 2026-11-30 at 16.07.png",
  );
  assert.equal(cleanFileName("résumé – final.pdf"), "résumé – final.pdf");
});

Deno.test("cleanFileName() leaves no path: separators and ../ become plain characters", () => {
  assert.equal(cleanFileName("../../etc/passwd"), "_.._etc_passwd");
  assert.equal(cleanFileName("..\\..\\Windows\\win.ini"), "_.._Windows_win.ini");
  assert.equal(cleanFileName("/abs/path.txt"), "_abs_path.txt");
  assert.equal(cleanFileName(".."), FALLBACK_FILE_NAME);
  assert.equal(cleanFileName("."), FALLBACK_FILE_NAME);
  assert.ok(!cleanFileName("a/b\\c").match(/[/\\]/));
});

Deno.test("cleanFileName() removes NUL, control and direction-changing characters", () => {
  assert.equal(cleanFileName("evil\u0000.txt"), "evil.txt");
  assert.equal(cleanFileName("a\r\nb\t.txt"), "ab.txt");
  assert.equal(cleanFileName("\u001b[31mred.txt"), "[31mred.txt");
  assert.equal(cleanFileName("invoice\u202egpj.exe"), "invoicegpj.exe");
  assert.equal(cleanFileName("zero\u200bwidth\ufeff.txt"), "zerowidth.txt");
  assert.equal(cleanFileName("c1\u0085\u009b.txt"), "c1.txt");
});

Deno.test("cleanFileName() replaces the characters Windows refuses", () => {
  assert.equal(cleanFileName('a:b*c?d"e<f>g|h.txt'), "a_b_c_d_e_f_g_h.txt");
});

Deno.test("cleanFileName() prefixes reserved Windows device names, with or without extension, in any case", () => {
  for (
    const name of [
      "CON",
      "con",
      "Con.txt",
      "PRN",
      "aux.tar.gz",
      "NUL",
      "nul.",
      "COM1",
      "com9.log",
      "LPT1",
      "lpt¹",
      "CONIN$",
    ]
  ) {
    const cleaned = cleanFileName(name);
    assert.ok(cleaned.startsWith("_"), `${name} -> ${cleaned}`);
  }
  assert.equal(cleanFileName("CON"), "_CON");
  assert.equal(cleanFileName("nul."), "_nul");
  // Windows drops the spaces before the extension (and after the name) and still sees the device.
  assert.equal(cleanFileName("CON .txt"), "_CON .txt");
  assert.equal(cleanFileName("nul .tar.gz"), "_nul .tar.gz");
  assert.equal(cleanFileName("COM1 "), "_COM1");
  assert.equal(cleanFileName("aux   .log"), "_aux .log");
  assert.equal(cleanFileName("lpt2 . txt"), "_lpt2 . txt");
  // Not reserved: longer words that start like one.
  assert.equal(cleanFileName("console.log"), "console.log");
  assert.equal(cleanFileName("con x.txt"), "con x.txt");
  assert.equal(cleanFileName("COM10"), "COM10");
});

Deno.test("cleanFileName() trims leading dots and spaces and trailing ones (hidden files, Windows)", () => {
  assert.equal(cleanFileName(".bashrc"), "bashrc");
  assert.equal(cleanFileName("  name.txt . . "), "name.txt");
  assert.equal(cleanFileName("a    b.txt"), "a b.txt");
});

Deno.test("cleanFileName() cuts a 300-byte name to the limit at a character boundary, keeping the extension", () => {
  const long = `${"x".repeat(300)}.jpeg`;
  const cleaned = cleanFileName(long);
  assert.ok(bytes(cleaned) <= MAX_FILE_NAME_BYTES);
  assert.ok(cleaned.endsWith(".jpeg"));
  const wide = `${"é".repeat(150)}${"😀".repeat(20)}.png`;
  const cut = cleanFileName(wide);
  assert.ok(bytes(cut) <= MAX_FILE_NAME_BYTES);
  assert.ok(cut.endsWith(".png"));
  assert.ok(!cut.includes("\ufffd"));
  // An "extension" too long to be one is cut with the rest.
  assert.ok(bytes(cleanFileName(`a.${"b".repeat(300)}`)) <= MAX_FILE_NAME_BYTES);
});

Deno.test("cleanFileName() turns a name of nothing usable into the fallback", () => {
  assert.equal(cleanFileName(""), FALLBACK_FILE_NAME);
  assert.equal(cleanFileName("\u0000\u0001"), FALLBACK_FILE_NAME);
  assert.equal(cleanFileName("\ud800"), "\ufffd");
});

Deno.test("contentDisposition() gives an ASCII fallback and the exact UTF-8 name", () => {
  assert.equal(
    contentDisposition("attachment", 'ré "sumé".pdf'),
    `attachment; filename="r_ _sum__.pdf"; filename*=UTF-8''r%C3%A9%20%22sum%C3%A9%22.pdf`,
  );
  assert.match(contentDisposition("inline", "a'b(c).png"), /filename\*=UTF-8''a%27b%28c%29\.png$/);
});
