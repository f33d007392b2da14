import assert from "node:assert/strict";
import stringWidth from "string-width";
import { NickError } from "./errors.ts";
import {
  foldNick,
  MAX_ACCENTS_PER_CHARACTER,
  MAX_NICK_LENGTH,
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
  const astral = "\u{1e7e0}".repeat(24); // An Ethiopic syllable: a narrow letter outside the BMP
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

Deno.test("normalizeNick() rejects reserved nicks regardless of case", () => {
  for (const nick of ["server", "Admin", "ROOT", "NickServ", "everyone"]) {
    assertBadNick(nick, /is reserved; pick another$/);
  }
});

Deno.test("normalizeNick() allows nicks that merely contain a reserved word", () => {
  assert.equal(normalizeNick("serverfan"), "serverfan");
  assert.equal(normalizeNick("admin_"), "admin_");
});

Deno.test("foldNick() ignores case", () => {
  assert.equal(foldNick("Ana"), foldNick("ana"));
  assert.equal(foldNick("ANA"), foldNick("ana"));
  assert.equal(foldNick("ΣΊΣΥΦΟΣ"), foldNick("σίσυφοσ"));
});

Deno.test("foldNick() folds full-width and compatibility forms (NFKC)", () => {
  assert.equal(foldNick("ａｎａ"), foldNick("ana"));
  assert.equal(foldNick("ＡＮＡ"), foldNick("ana"));
  assert.equal(foldNick("ﬁona"), foldNick("fiona"));
});

Deno.test("foldNick() ignores the Unicode normalisation form", () => {
  assert.equal(foldNick("Jose\u0301"), foldNick("Jos\u00e9"));
  assert.equal(foldNick("JOSE\u0301"), foldNick("jos\u00e9"));
});

Deno.test("foldNick() keeps different nicks apart", () => {
  assert.notEqual(foldNick("ana"), foldNick("anna"));
  assert.notEqual(foldNick("jose"), foldNick("josé"));
  assert.notEqual(foldNick("ana_"), foldNick("ana"));
});

Deno.test("foldNick() of ASCII text (its fast path) is the full Unicode fold", () => {
  const full = (nick: string) =>
    nick.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
  const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));
  for (const first of ascii) {
    for (const second of ascii) assert.equal(foldNick(first + second), full(first + second));
  }
  for (
    const nick of ["c0x1234", "Ana.B-2", "ANA", "\u00c9va", "\u00e9va", "ａna", "a\u0301", "\u0130"]
  ) {
    assert.equal(foldNick(nick), full(nick));
  }
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

Deno.test("normalizeNick() refuses letters outside Unicode's General Security Profile, naming them", () => {
  // Phonetic and technical letters that confusables.txt does not map to the ones they resemble.
  assertBadNick(
    "davɘ",
    'Nick "davɘ" contains "ɘ" (U+0258), a character not used in names; pick another',
  );
  assertBadNick(
    "eʋe",
    'Nick "eʋe" contains "ʋ" (U+028B), a character not used in names; pick another',
  );
  assertBadNick(
    "bⱺb",
    'Nick "bⱺb" contains "ⱺ" (U+2C7A), a character not used in names; pick another',
  );
  assertBadNick(
    "daʌe",
    'Nick "daʌe" contains "ʌ" (U+028C), a character not used in names; pick another',
  );
  // A combining mark is shown on a dotted circle.
  assertBadNick(
    "a\u0336",
    'Nick "a\u0336" contains "\u25cc\u0336" (U+0336), a character not used in names; pick another',
  );
  // Letters of scripts in limited use (Cherokee, Tifinagh), as UTS #39 has it.
  assertBadNick("ᏣᎳᎩ", /contains "Ꮳ" \(U\+13E3\), a character not used in names/);
  assertBadNick("ⴰⵎⴰⵣⵉⵖ", /contains "ⴰ" \(U\+2D30\), a character not used in names/);
});

Deno.test("normalizeNick() refuses compatibility forms, saying what to write instead", () => {
  assertBadNick(
    "ａｎａ",
    'Nick "ａｎａ" contains "ａ" (U+FF41), a compatibility form of "a"; write "a" instead',
  );
  assertBadNick(
    "ｓｅｒｖｅｒ",
    /contains "ｓ" \(U\+FF53\), a compatibility form of "s"; write "s"/,
  );
  assertBadNick("\u{1d41a}bc", /contains "\u{1d41a}" \(U\+1D41A\), a compatibility form of "a"/u);
  assertBadNick(
    "ﬁona",
    /contains "ﬁ" \(U\+FB01\), a compatibility form of "fi"; write "fi" instead$/,
  );
});

/** Names as people write them, in the scripts UTS #39 recommends for identifiers. */
const NAMES_IN_MANY_SCRIPTS = [
  "Ana",
  "José",
  "Nguyễn",
  "Zoë",
  "Łukasz",
  "Søren",
  "Şebnem",
  "Đorđe",
  "Ærø",
  "O_Neil",
  "Анна",
  "Дмитрий",
  "Їжак",
  "Ελένη",
  "Ἄλκηστις",
  "Գայանե",
  "ნინო",
  "דוד",
  "محمد",
  "فاطمة",
  "مُحَمَّد",
  "علی_رضا",
  "ދިވެހި",
  "राम",
  "क्षत्रिय",
  "অমিত",
  "ਗੁਰਪ੍ਰੀਤ",
  "ગીતા",
  "ଓଡ଼ିଆ",
  "முருகன்",
  "సీత",
  "ಕನ್ನಡ",
  "മലയാളം",
  "සිංහල",
  "สมชาย",
  "ใกล้",
  "ລາວ",
  "བོད",
  "ကြွေး",
  "សុខា",
  "አበበ",
  "李小龙",
  "山田太郎",
  "やまだ",
  "ヤマダ",
  "さくら々",
  "김민준",
  "ㄅㄆㄇ",
  "user_42",
  "a.b-c_d",
  "7up",
  "Ana李", // Latin with Han
  "Tanaka太郎さん", // Latin with Japanese
  "Kim김", // Latin with Hangul
  "Ravi", // or रवि, but not both in one nick
  "रवि",
  "李김", // Han with Hangul (Korean)
  "ВОВ", // Cyrillic alone, whatever it looks like
];

Deno.test("normalizeNick() accepts real names in many scripts, and Latin with Chinese, Japanese or Korean", () => {
  for (const nick of NAMES_IN_MANY_SCRIPTS) {
    assert.equal(normalizeNick(nick), nick.normalize("NFC"), nick);
  }
});

Deno.test("normalizeNick() refuses Latin mixed with Cyrillic or Greek, naming a letter of each", () => {
  assertBadNick(
    "bоb",
    'Nick "bоb" mixes Latin ("b") and Cyrillic ("о"), scripts whose letters look alike; write it in one script',
  );
  assertBadNick(
    "Воb",
    'Nick "Воb" mixes Cyrillic ("В") and Latin ("b"), scripts whose letters look alike; write it in one script',
  );
  assertBadNick(
    "раypal",
    /mixes Cyrillic \("р"\) and Latin \("y"\), scripts whose letters look alike/,
  );
  assertBadNick(
    "gοοgle",
    /mixes Latin \("g"\) and Greek \("ο"\), scripts whose letters look alike/,
  );
  assertBadNick("Ana_Мария", /mixes Latin \("A"\) and Cyrillic \("М"\)/);
  assertBadNick("αβγabc", /mixes Greek \("α"\) and Latin \("a"\)/);
});

Deno.test("normalizeNick() refuses other mixes: Latin goes only with Chinese, Japanese or Korean", () => {
  assertBadNick(
    "محمد李",
    'Nick "محمد李" mixes Arabic ("م") and Han ("李"); write it in one script (Latin may go with Chinese, Japanese or Korean)',
  );
  // Letters and digits of other scripts that pass for Latin ones, which confusables.txt misses.
  assertBadNick("bიb", /mixes Latin \("b"\) and Georgian \("ი"\); write it in one script/);
  assertBadNick("ძan", /mixes Georgian \("ძ"\) and Latin \("a"\)/);
  assertBadNick("b០b", /mixes Latin \("b"\) and Khmer \("០"\)/);
  assertBadNick("Ravi_रवि", /mixes Latin \("R"\) and Devanagari \("र"\)/);
  assertBadNick("Omar_عمر", /mixes Latin \("O"\) and Arabic \("ع"\)/);
  assertBadNick("Анна李", /mixes Cyrillic \("А"\) and Han \("李"\); write it in one script/);
  assertBadNick("Ana李محمد", /mixes Han \("李"\) and Arabic \("م"\)/);
  assertBadNick("やまだ김", /mixes Hiragana \("や"\) and Hangul \("김"\)/);
  assertBadNick("Ελένηанна", /mixes Greek \("Ε"\) and Cyrillic \("а"\)/);
});

Deno.test("normalizeNick() checks a nick again under another limit, and refuses a refused one again", () => {
  assert.equal(normalizeNick("a".repeat(10), 10), "a".repeat(10));
  assert.throws(() => normalizeNick("a".repeat(10), 9), NickError);
  assert.equal(normalizeNick(" ana ", 9), "ana");
  assert.throws(() => normalizeNick("admin"), NickError);
  assert.throws(() => normalizeNick("admin"), NickError);
});

Deno.test("normalizeNick(): an ASCII nick's characters are one column each, without marks (its checks are skipped)", () => {
  const allowed = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code))
    .filter((c) => /^[\p{L}\p{N}_.\-]$/u.test(c));
  assert.equal(allowed.length, 65);
  for (const c of allowed) {
    assert.equal(stringWidth(c), 1, c);
    assert.doesNotMatch(c, /\p{M}/u);
  }
  assert.equal(normalizeNick("A".repeat(MAX_NICK_LENGTH)), "A".repeat(MAX_NICK_LENGTH));
});
