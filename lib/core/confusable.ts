/**
 * Look-alike nicks: two nicks that a reader could take for one another get
 * the same {@linkcode lookAlikeSkeletons}. The confusable data is Unicode's
 * (`confusables.txt` of UTS #39, through the `unhomoglyph` package).
 *
 * @module
 */

import unhomoglyph from "unhomoglyph";
import prototypes from "unhomoglyph/data.json" with { type: "json" };
import { isAscii } from "./identifier_profile.ts";

// The combining marks shared by all scripts (accents, overlays, the Greek
// ypogegrammeni): small enough to go unnoticed on a terminal.
const INHERITED_MARKS = /[\p{M}&&\p{Script=Inherited}]/gv;

/** The UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again. */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize("NFD")).normalize("NFD");
}

/**
 * Capitals for the small letters that have none but look like a small letter
 * that has one, keyed by their prototype (a character of confusables.txt
 * that others map to): "ĸ" (kra) is the prototype of Cyrillic "к" and Greek
 * "κ", whose capitals look like "K", so "ĸim" reads "KIM". Derived from the
 * confusables data: the capitals of a prototype's look-alikes, when they all
 * look alike themselves.
 */
const CAPITALS_OF_CASELESS: ReadonlyMap<string, string> = (() => {
  const lookAlikes = new Map<string, string[]>();
  for (const [character, prototype] of Object.entries(prototypes as Record<string, string>)) {
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
})();

/** Upper case through look-alikes: each character's capital, or the capital its look-alikes share. */
function capitalsOf(text: string): string {
  return [...text].map((c) => CAPITALS_OF_CASELESS.get(c) ?? c.toUpperCase()).join("");
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

/** {@linkcode skeleton} of an ASCII text through {@linkcode ASCII_SKELETONS}; undefined for others. */
function asciiSkeleton(text: string): string | undefined {
  // Most characters are their own skeleton: the text itself when all of them are.
  let same = 0;
  while (same < text.length && ASCII_SKELETONS[text.charCodeAt(same)] === text[same]) same++;
  if (same === text.length) return text;
  let result = text.slice(0, same);
  for (let i = same; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const mapped = code < 128 ? ASCII_SKELETONS[code] : undefined;
    if (mapped === undefined) return undefined;
    result += mapped;
  }
  return result;
}

/**
 * {@linkcode unicodeLookAlikeSkeletons} of an ASCII nick, the same forms
 * without Unicode normalisation (an ASCII text is its own NFKC and NFD) and
 * with ASCII capitals (no ASCII letter is caseless); undefined for any other
 * nick, or one whose skeletons would leave ASCII ("%").
 */
function asciiLookAlikeSkeletons(nick: string): string[] | undefined {
  const lower = nick.toLowerCase();
  const lowerSkeleton = asciiSkeleton(lower);
  if (lowerSkeleton === undefined) return undefined;
  const written = asciiSkeleton(nick);
  const upper = asciiSkeleton(nick.toUpperCase());
  const upperOfLower = asciiSkeleton(lowerSkeleton.toUpperCase());
  if (written === undefined || upper === undefined || upperOfLower === undefined) return undefined;
  // The distinct ones, in this order (no Set for five short strings).
  const skeletons = [written];
  const forms = [lowerSkeleton, upper, upperOfLower, written.toLowerCase()];
  for (let i = 0; i < forms.length; i++) {
    if (!skeletons.includes(forms[i])) skeletons.push(forms[i]);
  }
  return skeletons;
}
