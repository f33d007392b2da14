import assert from "node:assert/strict";
import {
  codePointLabel,
  isAllowedCodePoint,
  isAscii,
  restrictedCharacter,
  scriptMix,
} from "./identifier_profile.ts";
import { ALLOWED, ALLOWED_SCRIPTS, IDENTIFIER_STATUS_VERSION } from "./identifier_status.ts";

Deno.test("the Identifier_Status table is ascending, disjoint ranges of Unicode code points", () => {
  assert.match(IDENTIFIER_STATUS_VERSION, /^\d+\.\d+\.\d+$/);
  assert.equal(ALLOWED.length % 2, 0);
  for (let i = 0; i < ALLOWED.length; i += 2) {
    assert.ok(ALLOWED[i] <= ALLOWED[i + 1], `range ${i / 2} is backwards`);
    if (i > 0) assert.ok(ALLOWED[i] > ALLOWED[i - 1] + 1, `range ${i / 2} touches the one before`);
  }
  assert.ok(ALLOWED.at(-1)! <= 0x10ffff);
});

Deno.test("isAllowedCodePoint() follows the range edges of the table", () => {
  for (
    const [cp, allowed] of [
      [0x40, false], // @
      [0x41, true], // A
      [0x5a, true], // Z
      [0x5b, false], // [
      [0x5f, true], // _
      [0x0138, true], // ĸ
      [0x0258, false], // ɘ
      [0x0259, true], // ə, used in Azerbaijani
      [0x4e00, true], // 一
      [0xff41, false], // ａ
      [0x0, false],
      [0x10ffff, false],
    ] as const
  ) {
    assert.equal(isAllowedCodePoint(cp), allowed, codePointLabel(cp));
  }
  // Every range's first and last code points are in, their neighbours out.
  for (let i = 0; i < ALLOWED.length; i += 2) {
    assert.ok(isAllowedCodePoint(ALLOWED[i]) && isAllowedCodePoint(ALLOWED[i + 1]));
    assert.ok(!isAllowedCodePoint(ALLOWED[i] - 1) && !isAllowedCodePoint(ALLOWED[i + 1] + 1));
  }
});

Deno.test("the profile's scripts are the scripts of living languages, by their English names", () => {
  for (
    const [code, name] of [["Latn", "Latin"], ["Cyrl", "Cyrillic"], ["Hani", "Han"], [
      "Mymr",
      "Myanmar",
    ]]
  ) {
    assert.equal(ALLOWED_SCRIPTS[code], name);
  }
  // Scripts in limited use or of historic interest are not among them (UTS #39, UAX #31).
  for (const code of ["Cher", "Tfng", "Runr", "Goth", "Zyyy", "Zinh"]) {
    assert.equal(ALLOWED_SCRIPTS[code], undefined, code);
  }
});

Deno.test("restrictedCharacter() names the first character outside the profile and why", () => {
  assert.equal(restrictedCharacter("dave"), undefined);
  assert.deepEqual(restrictedCharacter("davɘʋ"), {
    character: "ɘ",
    codePoint: "U+0258",
    reason: "a character not used in names; pick another",
  });
  assert.deepEqual(restrictedCharacter("x\u{1d41a}"), {
    character: "\u{1d41a}",
    codePoint: "U+1D41A",
    reason: 'a compatibility form of "a"; write "a" instead',
  });
  // A compatibility form whose plain spelling is outside the profile too is just refused.
  assert.equal(restrictedCharacter("㈱")?.reason, "a character not used in names; pick another");
});

Deno.test("scriptMix() allows one script, Latin with Chinese, Japanese or Korean, and Han with its companions", () => {
  for (
    const text of [
      "dave",
      "Ωμέγα",
      "Анна",
      "Ana李",
      "Kim김",
      "李かな",
      "カタカナ漢字ひらがな",
      "李김",
      "ㄅ李",
      "a1_2.3-4",
      "Zoë",
      "",
    ]
  ) {
    assert.equal(scriptMix(text), undefined, text);
  }
});

Deno.test("scriptMix() names two characters whose scripts may not go together", () => {
  assert.deepEqual(scriptMix("bоb"), {
    first: { character: "b", script: "Latin" },
    second: { character: "о", script: "Cyrillic" },
    lookAlikeScripts: true,
  });
  assert.deepEqual(scriptMix("αa"), {
    first: { character: "α", script: "Greek" },
    second: { character: "a", script: "Latin" },
    lookAlikeScripts: true,
  });
  // Latin with Greek and Han: Greek is the problem, and named with Han.
  assert.deepEqual(scriptMix("a李α"), {
    first: { character: "李", script: "Han" },
    second: { character: "α", script: "Greek" },
    lookAlikeScripts: false,
  });
  assert.deepEqual(scriptMix("やまだ김"), {
    first: { character: "や", script: "Hiragana" },
    second: { character: "김", script: "Hangul" },
    lookAlikeScripts: false,
  });
  assert.equal(scriptMix("Анна_Ελένη")?.lookAlikeScripts, false);
  // Latin with any script but those of Chinese, Japanese and Korean (UTS #39 Highly Restrictive).
  assert.deepEqual(scriptMix("bიb"), {
    first: { character: "b", script: "Latin" },
    second: { character: "ი", script: "Georgian" },
    lookAlikeScripts: false,
  });
  assert.equal(scriptMix("Ravi_रवि")?.second.script, "Devanagari");
  assert.equal(scriptMix("b០b")?.second.script, "Khmer");
});

Deno.test("isAscii() is true only for text whose every UTF-16 unit is below 0x80", () => {
  for (let code = 0; code < 0x10000; code += code < 0x200 ? 1 : 97) {
    const character = String.fromCharCode(code);
    assert.equal(isAscii(`ab${character}c`), code < 0x80, `U+${code.toString(16)}`);
  }
  assert.equal(isAscii(""), true);
  assert.equal(isAscii("c0x1234_.-"), true);
  assert.equal(isAscii("bob\u{1f600}"), false);
  assert.equal(isAscii("\udc00"), false);
});

Deno.test("restrictedCharacter() finds the character for-of would, surrogates and astral characters included", () => {
  // The first code point for-of yields that is outside the profile (a lone surrogate is one).
  const firstOutside = (text: string) =>
    [...text].find((c) => !isAllowedCodePoint(c.codePointAt(0)!));
  const pieces = "a Z 0 _ - \t é ɘ ａ ㈱ \u{1d41a} \u{1f600} \ud835 \udc1a \udc1a\ud835 \u0301 李"
    .split(" ").concat([" "]);
  for (const a of pieces) {
    for (const b of pieces) {
      for (const c of ["", "x", "\ud835"]) {
        const text = a + b + c;
        assert.equal(
          restrictedCharacter(text)?.character,
          firstOutside(text),
          JSON.stringify(text),
        );
      }
    }
  }
});
