import assert from "node:assert/strict";
import { NickError } from "../errors.ts";
import {
  MAX_ACCENTS_PER_CHARACTER,
  MAX_NICK_LENGTH,
  nickKey,
  normalizeNick,
  suggestNick,
} from "./nick.ts";

function assertBadNick(raw: string, message: string | RegExp): void {
  assert.throws(
    () => normalizeNick(raw),
    (error: unknown) => {
      assert.ok(error instanceof NickError, `expected a NickError for ${JSON.stringify(raw)}`);
      assert.equal(error.name, "NickError");
      assert.equal(error.code, "bad_nick");
      assert.equal(error.suggestion, undefined);
      if (typeof message === "string") assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

Deno.test("normalizeNick() accepts letters, digits, '_', '-' and '.'", () => {
  for (const nick of ["ana", "Bob42", "_x", "a.b-c_d", "7up", "Zoë", "Ώμέγα", "李小龙", "مرحبا"]) {
    assert.equal(normalizeNick(nick), nick.normalize("NFC"));
  }
});

Deno.test("normalizeNick() trims surrounding whitespace", () => {
  assert.equal(normalizeNick("  ana\t"), "ana");
});

Deno.test("normalizeNick() returns the nick in NFC", () => {
  const decomposed = "Jose\u0301";
  assert.equal(normalizeNick(decomposed), "Jos\u00e9");
});

Deno.test("normalizeNick() accepts combining marks after the first character", () => {
  assert.equal(normalizeNick("a\u0301\u0323"), "a\u0301\u0323".normalize("NFC"));
});

Deno.test("normalizeNick() rejects an empty nick", () => {
  assertBadNick("", "Nick is empty");
  assertBadNick("   ", "Nick is empty");
});

Deno.test("normalizeNick() accepts MAX_NICK_LENGTH characters and rejects one more", () => {
  assert.equal(MAX_NICK_LENGTH, 24);
  assert.equal(normalizeNick("a".repeat(24)), "a".repeat(24));
  assertBadNick("a".repeat(25), `Nick "${"a".repeat(25)}" is 25 characters long; the limit is 24`);
});

Deno.test("normalizeNick() counts the length in code points, not UTF-16 units", () => {
  const astral = "\u{1d41a}".repeat(24); // Mathematical bold "a": a narrow letter outside the BMP
  assert.equal(astral.length, 48);
  assert.equal(normalizeNick(astral), astral);
});

Deno.test("normalizeNick() shortens a very long nick in its error message", () => {
  assertBadNick("b".repeat(100), /^Nick "b{40}…" is 100 characters long; the limit is 24$/);
});

Deno.test("normalizeNick() rejects a nick with a space inside", () => {
  assertBadNick("ana maria", 'Nick "ana maria" contains a space');
  assertBadNick("ana\u00a0maria", /contains a space/);
});

Deno.test("normalizeNick() rejects characters other than letters, digits, '_', '-' and '.'", () => {
  for (const nick of ["ana!", "a@b", "<ana>", "a/b", "#room", "a😀", "a:b"]) {
    assertBadNick(nick, /may only contain letters, digits/);
  }
});

Deno.test("normalizeNick() says that a nick starting with '/' looks like a command", () => {
  for (const nick of ["/quit", " /quit gone", "/", "//x"]) {
    assertBadNick(
      nick,
      `Nick "${nick.trim()}" cannot start with "/": a line that starts with "/" is a command`,
    );
  }
});

Deno.test("normalizeNick() rejects a nick that starts with '-', '.' or a combining mark", () => {
  for (const nick of ["-ana", ".ana", "\u0301ana"]) {
    assertBadNick(nick, /must start with a letter, digit or "_"/);
  }
});

Deno.test("normalizeNick() rejects control characters", () => {
  for (const nick of ["a\x00b", "a\x1b[31mb", "a\u202eb", "a\x7fb"]) {
    assert.throws(() => normalizeNick(nick), NickError);
  }
});

Deno.test("normalizeNick() rejects reserved nicks regardless of case and width", () => {
  for (const nick of ["server", "Admin", "ROOT", "NickServ", "ｓｅｒｖｅｒ", "everyone"]) {
    assertBadNick(nick, /is reserved; pick another$/);
  }
});

Deno.test("normalizeNick() allows nicks that merely contain a reserved word", () => {
  assert.equal(normalizeNick("serverfan"), "serverfan");
  assert.equal(normalizeNick("admin_"), "admin_");
});

Deno.test("nickKey() ignores case", () => {
  assert.equal(nickKey("Ana"), nickKey("ana"));
  assert.equal(nickKey("ANA"), nickKey("ana"));
  assert.equal(nickKey("ΣΊΣΥΦΟΣ"), nickKey("σίσυφοσ"));
});

Deno.test("nickKey() folds full-width and compatibility forms (NFKC)", () => {
  assert.equal(nickKey("ａｎａ"), nickKey("ana"));
  assert.equal(nickKey("ＡＮＡ"), nickKey("ana"));
  assert.equal(nickKey("ﬁona"), nickKey("fiona"));
});

Deno.test("nickKey() ignores the Unicode normalisation form", () => {
  assert.equal(nickKey("Jose\u0301"), nickKey("Jos\u00e9"));
  assert.equal(nickKey("JOSE\u0301"), nickKey("jos\u00e9"));
});

Deno.test("nickKey() keeps different nicks apart", () => {
  assert.notEqual(nickKey("ana"), nickKey("anna"));
  assert.notEqual(nickKey("jose"), nickKey("josé"));
  assert.notEqual(nickKey("ana_"), nickKey("ana"));
});

Deno.test("suggestNick() appends '_' first", () => {
  assert.equal(suggestNick("ana", () => false), "ana_");
});

Deno.test("suggestNick() then tries 2, 3, ... until a nick is free", () => {
  const taken = new Set(["ana", "ana_", "ana2", "ana3"]);
  const asked: string[] = [];
  const suggestion = suggestNick("ana", (nick) => {
    asked.push(nick);
    return taken.has(nick);
  });
  assert.equal(suggestion, "ana4");
  assert.deepEqual(asked, ["ana_", "ana2", "ana3", "ana4"]);
});

Deno.test("suggestNick() shortens a long nick so the suggestion stays within the limit", () => {
  const long = "x".repeat(MAX_NICK_LENGTH);
  assert.equal(suggestNick(long, () => false), "x".repeat(23) + "_");
  const taken = new Set<string>();
  for (let n = 1; n <= 9; n++) taken.add("x".repeat(23) + (n === 1 ? "_" : String(n)));
  const suggestion = suggestNick(long, (nick) => taken.has(nick));
  assert.equal(suggestion, "x".repeat(22) + "10");
  assert.equal([...suggestion].length, MAX_NICK_LENGTH);
});

Deno.test("suggestNick() shortens by code points, never splitting a character", () => {
  const long = "\u{20000}".repeat(MAX_NICK_LENGTH);
  const suggestion = suggestNick(long, () => false);
  assert.equal(suggestion, "\u{20000}".repeat(23) + "_");
  assert.equal(suggestion.toWellFormed(), suggestion);
});

Deno.test("suggestNick() proposes a nick that normalizeNick() accepts", () => {
  for (const nick of ["ana", "a".repeat(24), "Zoë", "x.y-z"]) {
    const suggestion = suggestNick(nick, () => false);
    assert.equal(normalizeNick(suggestion), suggestion);
  }
});

Deno.test("normalizeNick() caps the width in terminal columns: 24 wide CJK characters are 48", () => {
  assertBadNick(
    "龙".repeat(24),
    `Nick "${"龙".repeat(24)}" is 48 columns wide; the limit is 24 (a wide character takes two)`,
  );
  assert.equal(normalizeNick("龙".repeat(12)), "龙".repeat(12));
  assertBadNick("李小龙".repeat(4) + "a", /is 25 columns wide; the limit is 24/);
  assertBadNick("\u{20000}".repeat(24), /is 48 columns wide/);
});

Deno.test("normalizeNick() allows two accents on a character and refuses a pile of them", () => {
  assert.equal(MAX_ACCENTS_PER_CHARACTER, 2);
  assert.equal(normalizeNick("Nguyê\u0303n"), "Nguyễn"); // composed by NFC
  assert.equal(normalizeNick("a\u0301\u0323"), "a\u0301\u0323".normalize("NFC"));
  assertBadNick(
    "bob" + "\u0301\u0302\u0303".repeat(7),
    /has 21 accents on one character; the limit is 2$/,
  );
  assertBadNick("a" + "\u0336".repeat(23), /has 23 accents on one character; the limit is 2$/);
  assertBadNick("a\u0336\u0336\u0336", /has 3 accents on one character/);
});

Deno.test("normalizeNick() keeps scripts that stack a few vowel signs", () => {
  for (const nick of ["ကြွေး", "क्षत्रिय", "ใกล้", "Ἄλκηστις"]) {
    assert.equal(normalizeNick(nick), nick.normalize("NFC"));
  }
});

Deno.test("normalizeNick() refuses a look-alike of a reserved nick, naming it", () => {
  assertBadNick("ѕerver", 'Nick "ѕerver" looks like "server", a reserved nick; pick another');
  assertBadNick("аdmin", 'Nick "аdmin" looks like "admin", a reserved nick; pick another');
  assertBadNick("rооt", /looks like "root", a reserved nick/);
  assertBadNick("ADMlN", /looks like "admin", a reserved nick/);
  assertBadNick("server", 'Nick "server" is reserved; pick another');
});
