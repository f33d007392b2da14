/**
 * Look-alike nicks: two nicks that a reader could take for one another get
 * the same {@linkcode lookAlikeSkeletons}. The confusable data is Unicode's
 * (`confusables.txt` of UTS #39, through the `unhomoglyph` package).
 *
 * @module
 */

import confusables from "unhomoglyph/data.json" with { type: "json" };
import { isAscii } from "./identifier_profile.ts";

// The combining marks shared by all scripts (accents, overlays, the Greek
// ypogegrammeni): small enough to go unnoticed on a terminal.
const INHERITED_MARKS = /[\p{M}&&\p{Script=Inherited}]/gv;

/** confusables.txt's mapping: a character (one code point) to its prototype. */
const prototypes = confusables as Record<string, string>;

/**
 * Each character of `text` replaced by its prototype, if it has one (what
 * the `unhomoglyph` package does with one regular expression of every
 * character, whose making was ~5% of a program's start-up CPU).
 */
export function withPrototypes(text: string): string {
  let out = "";
  for (const character of text) {
    out += Object.hasOwn(prototypes, character) ? prototypes[character] : character;
  }
  return out;
}

/** The UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again. */
export function skeleton(text: string): string {
  return withPrototypes(text.normalize("NFD")).normalize("NFD");
}

/**
 * Capitals for the small letters that have none but look like a small letter
 * that has one, keyed by their prototype (a character of confusables.txt
 * that others map to): "ĸ" (kra) is the prototype of Cyrillic "к" and Greek
 * "κ", whose capitals look like "K", so "ĸim" reads "KIM". Derived from the
 * confusables data: the capitals of a prototype's look-alikes, when they all
 * look alike themselves. Made when first asked (only a nick that is not all
 * ASCII asks): it is ~5% of a program's start-up CPU.
 */
function capitalsOfCaseless(): ReadonlyMap<string, string> {
  return capitalsOfCaselessMap ??= mapCapitalsOfCaseless();
}
let capitalsOfCaselessMap: ReadonlyMap<string, string> | undefined;

function mapCapitalsOfCaseless(): ReadonlyMap<string, string> {
  const lookAlikes = new Map<string, string[]>();
  for (const [character, prototype] of Object.entries(prototypes)) {
    if (!lookAlikes.has(prototype)) lookAlikes.set(prototype, []);
    lookAlikes.get(prototype)!.push(character);
  }
  const capitals = new Map<string, string>();
  for (const [prototype, characters] of lookAlikes) {
    if (!/^\p{Ll}$/u.test(prototype) || prototype.toUpperCase() !== prototype) continue;
    const found = new Set(
      characters.filter((c) => [...c].length === 1 && c.toUpperCase() !== c)
        .map((c) => skeleton(c.toUpperCase().normalize("NFKC"))),
    );
    if (found.size === 1) capitals.set(prototype, [...found][0]);
  }
  return capitals;
}

/** Upper case through look-alikes: each character's capital, or the capital its look-alikes share. */
function capitalsOf(text: string): string {
  const capitals = capitalsOfCaseless();
  return [...text].map((c) => capitals.get(c) ?? c.toUpperCase()).join("");
}

/**
 * What a nick looks like, for telling look-alikes apart: the UTS #39
 * skeletons of the nick as written, in lower case and in upper case
 * (nicks ignore case, so "Вob" with a Cyrillic Ve looks like "BOB", and
 * "ADMlN" like "ADMIN"), the skeleton as written in lower case ("AIice",
 * with a capital i, maps to "Alice": it looks like "alice"), and in upper
 * case again after the skeleton, where
 * a small letter without a capital takes the capital of its look-alikes
 * ("ĸim" looks like "KIM" as "к" does); all without the combining marks
 * shared by all scripts ("bob" with a mark under its last letter still reads
 * "bob"). Two nicks look alike when they share a skeleton. Not for display: "m"
 * becomes "rn".
 *
 * @example
 * ```ts
 * lookAlikeSkeletons("bоb").includes(lookAlikeSkeletons("bob")[0]); // true: the "о" is Cyrillic
 * ```
 */
export function lookAlikeSkeletons(nick: string): readonly string[] {
  // A join asks for the same nick's skeletons a few times over (the
  // reserved names, the look-alikes online, the presence index): the last
  // answer is kept, frozen so no caller changes it for the next.
  if (nick !== lastNick) {
    lastSkeletons = Object.freeze(asciiLookAlikeSkeletons(nick) ?? unicodeLookAlikeSkeletons(nick));
    lastNick = nick;
  }
  return lastSkeletons;
}

let lastNick: string | undefined;
let lastSkeletons: readonly string[] = [];

function unicodeLookAlikeSkeletons(nick: string): string[] {
  const text = nick.normalize("NFKC");
  const forms = [text, text.toLowerCase(), text.toUpperCase()];
  forms.push(capitalsOf(skeleton(forms[1])));
  const skeletons = forms.map((form) => skeleton(form).replace(INHERITED_MARKS, ""));
  // The nick as written, mapped, then without case: "AIice" maps to "Alice".
  skeletons.push(skeletons[0].toLowerCase());
  return [...new Set(skeletons)];
}

/**
 * The skeleton of each ASCII character when it is ASCII itself (all but
 * "%"): the confusables map single characters, so an ASCII text's
 * skeleton is its characters' skeletons end to end, without any mark.
 */
const ASCII_SKELETONS: readonly (string | undefined)[] = Array.from({ length: 128 }, (_, code) => {
  const mapped = skeleton(String.fromCharCode(code));
  return isAscii(mapped) ? mapped : undefined;
});

/** How {@linkcode asciiSkeleton} takes the text's letters first: as they are, small or capital. */
const AS_IS = 0, SMALL = 1, CAPITAL = 2;
type AsciiCase = typeof AS_IS | typeof SMALL | typeof CAPITAL;

/** A skeleton's character codes, before they are made into one string (reused by every call). */
const codes: number[] = [];

/** Longest text {@linkcode asciiSkeleton} makes with one `String.fromCharCode` call. */
const MAX_ASCII_SKELETON = 256;

/**
 * {@linkcode skeleton} of an ASCII text through {@linkcode ASCII_SKELETONS},
 * its letters taken small or capital first (`toLowerCase` / `toUpperCase`
 * without a string for it); undefined for other text. The text itself when
 * every character stays; else one string made from its codes at the end, not
 * an append per character.
 */
function asciiSkeleton(text: string, letters: AsciiCase): string | undefined {
  const length = text.length;
  if (length > MAX_ASCII_SKELETON) return undefined;
  let count = 0;
  let same = true;
  for (let i = 0; i < length; i++) {
    const written = text.charCodeAt(i);
    if (written >= 128) return undefined;
    const code = letters === SMALL && written >= 0x41 && written <= 0x5a
      ? written + 0x20
      : letters === CAPITAL && written >= 0x61 && written <= 0x7a
      ? written - 0x20
      : written;
    const mapped = ASCII_SKELETONS[code];
    if (mapped === undefined) return undefined;
    if (mapped.length === 1) {
      const out = mapped.charCodeAt(0);
      if (out !== written) same = false;
      codes[count++] = out;
    } else {
      same = false;
      for (let j = 0; j < mapped.length; j++) codes[count++] = mapped.charCodeAt(j);
    }
  }
  if (same) return text;
  // Set, not emptied and pushed to: an array's length set to 0 lets its storage go.
  codes.length = count;
  return String.fromCharCode.apply(null, codes);
}

/** Whether ASCII `text` has a capital letter (else it is its own `toLowerCase`). */
function hasCapital(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) return true;
  }
  return false;
}

/**
 * {@linkcode unicodeLookAlikeSkeletons} of an ASCII nick, the same forms
 * without Unicode normalisation (an ASCII text is its own NFKC and NFD) and
 * with ASCII capitals (no ASCII letter is caseless); undefined for any other
 * nick, or one whose skeletons would leave ASCII ("%").
 */
function asciiLookAlikeSkeletons(nick: string): string[] | undefined {
  const lowerSkeleton = asciiSkeleton(nick, SMALL);
  if (lowerSkeleton === undefined) return undefined;
  const written = asciiSkeleton(nick, AS_IS);
  const upper = asciiSkeleton(nick, CAPITAL);
  const upperOfLower = asciiSkeleton(lowerSkeleton, CAPITAL);
  if (written === undefined || upper === undefined || upperOfLower === undefined) return undefined;
  const writtenSmall = hasCapital(written) ? written.toLowerCase() : written;
  // The distinct ones, in this order, kept in place: no Set, and no array grown by pushes (its
  // first push makes room for 16).
  const skeletons = [written, lowerSkeleton, upper, upperOfLower, writtenSmall];
  let distinct = 1;
  for (let i = 1; i < skeletons.length; i++) {
    const form = skeletons[i];
    let seen = false;
    for (let j = 0; j < distinct && !seen; j++) seen = skeletons[j] === form;
    if (!seen) skeletons[distinct++] = form;
  }
  skeletons.length = distinct;
  return skeletons;
}
