import assert from "node:assert/strict";
import unhomoglyph from "unhomoglyph";
import confusables from "unhomoglyph/data.json" with { type: "json" };
import { lookAlikeSkeletons, skeleton, withPrototypes } from "./confusable.ts";

// The skeletons of an ASCII nick as computed before the ASCII shortcut,
// through Unicode normalisation and the confusables' regular expression all
// the way (an ASCII skeleton has no caseless letter to give a capital).
function unicodeSkeletons(nick: string): string[] {
  const full = (text: string) => unhomoglyph(text.normalize("NFD")).normalize("NFD");
  const text = nick.normalize("NFKC");
  const forms = [text, text.toLowerCase(), text.toUpperCase()];
  forms.push(full(forms[1]).toUpperCase());
  const skeletons = forms.map((form) => full(form).replace(/[\p{M}&&\p{Script=Inherited}]/gv, ""));
  // The skeleton as written, without case.
  skeletons.push(skeletons[0].toLowerCase());
  return [...new Set(skeletons)];
}

Deno.test("withPrototypes() maps as the unhomoglyph package does: every confusable, in text, astral and lone surrogates", () => {
  const characters = Object.keys(confusables);
  assert.ok(characters.length > 6000);
  for (const character of characters) {
    for (const text of [character, `a${character}b`, `${character}${character}`]) {
      assert.equal(withPrototypes(text), unhomoglyph(text), JSON.stringify(text));
    }
  }
  // Every confusable in one text, and texts of random code points (lone surrogates too).
  assert.equal(withPrototypes(characters.join("")), unhomoglyph(characters.join("")));
  let seed = 19;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 2000; n++) {
    const text = Array.from({ length: 1 + Math.floor(random() * 12) }, () => {
      const pick = random();
      if (pick < 0.3) return characters[Math.floor(random() * characters.length)];
      if (pick < 0.4) return String.fromCharCode(0xd800 + Math.floor(random() * 0x800));
      return String.fromCodePoint(Math.floor(random() * 0x30000));
    }).join("");
    assert.equal(withPrototypes(text), unhomoglyph(text), JSON.stringify(text));
  }
  // Names of Object.prototype are no characters of the data.
  assert.equal(withPrototypes("constructor"), unhomoglyph("constructor"));
});

const ASCII = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));

Deno.test("lookAlikeSkeletons() of ASCII nicks matches the Unicode computation, pair by pair", () => {
  for (const a of ASCII) {
    assert.deepEqual(lookAlikeSkeletons(a), unicodeSkeletons(a), JSON.stringify(a));
    for (const b of ASCII) {
      assert.deepEqual(lookAlikeSkeletons(a + b), unicodeSkeletons(a + b), JSON.stringify(a + b));
    }
  }
});

Deno.test("lookAlikeSkeletons() of ASCII nicks as typed matches the Unicode computation", () => {
  const long = "Mm0O1lI|_rn-W.vv".repeat(20); // 320: longer than one fromCharCode call makes
  for (
    const nick of ["bob", "ADMlN", "c0x17", "rn_m-1.I|l", "50%off", "%", "a%B", long, long + "%"]
      .concat([long.slice(0, 256), long.slice(0, 257), "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"])
  ) {
    assert.deepEqual(lookAlikeSkeletons(nick), unicodeSkeletons(nick), nick);
  }
});

Deno.test("lookAlikeSkeletons() still ties other scripts' look-alikes to ASCII nicks", () => {
  const bob = lookAlikeSkeletons("bob");
  const kim = lookAlikeSkeletons("KIM");
  const cases: [string, readonly string[]][] = [["b\u043eb", bob], ["\u0412ob", bob], [
    "\u0138im",
    kim,
  ]];
  for (const [nick, ascii] of cases) {
    for (let round = 0; round < 2; round++) {
      assert.ok(lookAlikeSkeletons(nick).some((s) => ascii.includes(s)), nick);
    }
  }
});

Deno.test("lookAlikeSkeletons() asked twice gives the same skeletons, frozen", () => {
  const first = lookAlikeSkeletons("ADMlN");
  assert.throws(() => (first as string[]).push("changed"), TypeError);
  assert.deepEqual(lookAlikeSkeletons("ADMlN"), unicodeSkeletons("ADMlN"));
  assert.equal(skeleton("m"), "rn");
});

Deno.test("lookAlikeSkeletons(): a capital i for a small L, or a zero for an o, still looks like the nick", () => {
  const shares = (a: string, b: string) =>
    lookAlikeSkeletons(a).some((s) => lookAlikeSkeletons(b).includes(s));
  // Found by a review: each was accepted while the other was online.
  assert.ok(shares("AIice", "alice"));
  assert.ok(shares("AII", "all"));
  assert.ok(shares("IANCHAT", "lanchat"));
  assert.ok(shares("B0b", "bob"));
  // Nicks that only share letters are not look-alikes.
  assert.ok(!shares("alice", "alex"));
  assert.ok(!shares("bob", "rob"));
});
