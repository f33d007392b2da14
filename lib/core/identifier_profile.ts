/**
 * What a name may be made of, after Unicode's security mechanisms for
 * identifiers (UTS #39): only characters of the General Security Profile
 * (Identifier_Status Allowed, {@linkcode ALLOWED}), which leaves out
 * phonetic, technical, obsolete and uncommon letters (`ɘ`, `ʋ`, `ⱺ`, `ʌ`)
 * and compatibility forms (`ａ`, `𝐚`), and at most the script mixes of the
 * Highly Restrictive level: one script, Chinese, Japanese or Korean
 * writing with their own scripts, or Latin with those (Japanese and Chinese
 * names are often written with Latin letters too). Latin with any other
 * script is refused: Cyrillic and Greek letters are Latin's look-alikes,
 * and so are letters and digits of others (Georgian "ი" for "o", Khmer
 * "០" for "0") that confusables.txt does not list.
 *
 * @module
 */

import { ALLOWED, ALLOWED_SCRIPTS } from "./identifier_status.ts";

/** Whether a code point is in the General Security Profile (Identifier_Status Allowed). */
export function isAllowedCodePoint(cp: number): boolean {
  // Binary search over the ranges: ALLOWED[2i] .. ALLOWED[2i + 1].
  let low = 0;
  let high = ALLOWED.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (cp < ALLOWED[2 * middle]) high = middle - 1;
    else if (cp > ALLOWED[2 * middle + 1]) low = middle + 1;
    else return true;
  }
  return false;
}

/** A character a name may not use, and why, in words that finish "contains "x" (U+0078), ...". */
export interface RestrictedCharacter {
  /** The character as written. */
  character: string;
  /** `U+0258`. */
  codePoint: string;
  /** `a character not used in names; pick another`, or for a compatibility form what to write instead. */
  reason: string;
}

/**
 * The first character of `text` outside the General Security Profile, or
 * `undefined` when there is none. A compatibility form (full-width `ａ`,
 * mathematical `𝐚`, the ligature `ﬁ`) is named with the plain spelling to
 * use instead.
 */
export function restrictedCharacter(text: string): RestrictedCharacter | undefined {
  // By index, code point by code point as for-of goes (a lone surrogate is one): no iterator nor
  // a string per character for the common case, where every character is allowed.
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    i += units;
    if (isAllowedCodePoint(cp)) continue;
    const character = text.slice(i - units, i);
    const plain = character.normalize("NFKC");
    const reason = plain !== character && [...plain].every((c) =>
        isAllowedCodePoint(c.codePointAt(0)!)
      )
      ? `a compatibility form of "${plain}"; write "${plain}" instead`
      : "a character not used in names; pick another";
    return { character, codePoint: codePointLabel(cp), reason };
  }
  return undefined;
}

/** `U+0258`, `U+1D41A`. */
export function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

const SCRIPT_PATTERNS = Object.keys(ALLOWED_SCRIPTS).map((code) => ({
  code,
  pattern: new RegExp(`^\\p{Script_Extensions=${code}}$`, "u"),
}));

// UTS #39 "augmented script sets": Han goes with the scripts it is written
// with in Japanese (Jpan), Korean (Kore) and with Bopomofo (Hanb).
const AUGMENTED: Record<string, string[]> = {
  Hani: ["Hanb", "Jpan", "Kore"],
  Hira: ["Jpan"],
  Kana: ["Jpan"],
  Hang: ["Kore"],
  Bopo: ["Hanb"],
};

/** Whether `text` is all ASCII (the nick checks' fast paths: one code point and one column a character, no marks, Latin or common). */
export function isAscii(text: string): boolean {
  // A loop, not a regular expression: a join asks a few times, and the match allocated.
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The scripts Latin may be mixed with (UTS #39 Highly Restrictive): Chinese, Japanese, Korean. */
const WITH_LATIN = new Set(["Hani", "Hira", "Kana", "Hang", "Bopo", "Jpan", "Kore", "Hanb"]);
/** Scripts whose letters are the look-alikes of Latin's, named as such in the refusal. */
const LOOK_ALIKE_SCRIPTS = new Set(["Cyrl", "Grek"]);

/**
 * The augmented script set of a character (UTS #39), limited to the
 * scripts of the profile; empty for characters of every script (digits,
 * `_ - .`, accents shared by all scripts).
 */
function scriptSet(character: string): Set<string> {
  const scripts = new Set<string>();
  for (const { code, pattern } of SCRIPT_PATTERNS) {
    if (!pattern.test(character)) continue;
    scripts.add(code);
    for (const extra of AUGMENTED[code] ?? []) scripts.add(extra);
  }
  return scripts;
}

/** Two characters of a name from scripts that may not be mixed. */
export interface ScriptMix {
  /** The first character, and the English name of its script. */
  first: { character: string; script: string };
  /** A later character whose script may not go with the first one's. */
  second: { character: string; script: string };
  /** Whether the mix is Latin with Cyrillic or Greek. */
  lookAlikeScripts: boolean;
}

/**
 * Two characters of `text` whose scripts may not be mixed in a name, or
 * `undefined` when the scripts of `text` are within UTS #39's Highly
 * Restrictive level: a single script (counting Han with Hiragana and
 * Katakana, with Hangul, or with Bopomofo as one), or Latin with one of
 * those.
 *
 * @example
 * ```ts
 * scriptMix("bоb"); // Latin "b" and Cyrillic "о"
 * scriptMix("Ana李"); // undefined: Latin and Han
 * ```
 */
export function scriptMix(text: string): ScriptMix | undefined {
  // ASCII letters are all Latin and the rest of ASCII is of every script: nothing to mix. Most
  // names are ASCII, and the script test per character was most of a join's name checks.
  if (isAscii(text)) return undefined;
  const sets = [...text].map((character) => ({ character, scripts: scriptSet(character) }))
    .filter(({ scripts }) => scripts.size > 0);
  if (intersectAll(sets).mix === undefined) return undefined;
  // Latin plus one other script: the characters that are not Latin must share a script.
  const latin = sets.find(({ scripts }) => scripts.has("Latn"));
  const others = intersectAll(sets.filter(({ scripts }) => !scripts.has("Latn")));
  if (others.mix !== undefined) return others.mix;
  const other = sets.find(({ scripts }) => !scripts.has("Latn"))!;
  if ([...others.common].some((code) => WITH_LATIN.has(code))) return undefined;
  // Latin with another script: in order of appearance.
  const [a, b] = sets.indexOf(latin!) < sets.indexOf(other) ? [latin!, other] : [other, latin!];
  return {
    first: described(a),
    second: described(b),
    lookAlikeScripts: [...others.common].some((code) => LOOK_ALIKE_SCRIPTS.has(code)),
  };
}

type CharacterScripts = { character: string; scripts: Set<string> };

/** The scripts all of `sets` share, or the first two characters that share none. */
function intersectAll(
  sets: CharacterScripts[],
): { common: Set<string>; mix?: ScriptMix } {
  let common: Set<string> | undefined;
  for (const [index, entry] of sets.entries()) {
    const next: Set<string> = common === undefined
      ? new Set(entry.scripts)
      : new Set([...common].filter((code) => entry.scripts.has(code)));
    if (next.size === 0) {
      // Name the earliest character that does not share a script with this one.
      const earlier = sets.slice(0, index).find(({ scripts }) =>
        ![...scripts].some((code) =>
          entry.scripts.has(code)
        )
      ) ?? sets[0];
      const mix = { first: described(earlier), second: described(entry) };
      const codes = [mix.first.script, mix.second.script];
      return {
        common: new Set(),
        mix: {
          ...mix,
          lookAlikeScripts: codes.includes("Latin") &&
            codes.some((name) => name === "Cyrillic" || name === "Greek"),
        },
      };
    }
    common = next;
  }
  return { common: common ?? new Set() };
}

/** A character with the name of its script (the first of its scripts, augmented ones aside). */
function described(
  { character, scripts }: CharacterScripts,
): { character: string; script: string } {
  const code = [...scripts].find((code) => code in ALLOWED_SCRIPTS)!;
  return { character, script: ALLOWED_SCRIPTS[code] };
}
