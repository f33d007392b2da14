/**
 * Look-alike nicks: two nicks that a reader could take for one another get
 * the same {@linkcode lookAlikeKey}. The confusable data is Unicode's
 * (`confusables.txt` of UTS #39, through the `unhomoglyph` package).
 *
 * @module
 */

import unhomoglyph from "unhomoglyph";

// The combining marks shared by all scripts (accents, overlays, the Greek
// ypogegrammeni): small enough to go unnoticed on a terminal.
const INHERITED_MARKS = /[\p{M}&&\p{Script=Inherited}]/gv;

/** The UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again. */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize("NFD")).normalize("NFD");
}

/**
 * What a nick looks like, for telling look-alikes apart: the UTS #39
 * skeletons of the nick as written, in lower case and in upper case
 * (nicks ignore case, so "Вob" with a Cyrillic Ve looks like "BOB", and
 * "ADMlN" like "ADMIN"), without the combining marks shared by all scripts
 * ("bob" with a mark under its last letter still reads "bob"). Two nicks
 * look alike when they share a key. Not for display: "m" becomes "rn".
 *
 * @example
 * ```ts
 * lookAlikeKeys("bоb").includes(lookAlikeKeys("bob")[0]); // true: the "о" is Cyrillic
 * ```
 */
export function lookAlikeKeys(nick: string): string[] {
  const text = nick.normalize("NFKC");
  const keys = [text, text.toLowerCase(), text.toUpperCase()].map((form) =>
    skeleton(form).replace(INHERITED_MARKS, "")
  );
  return [...new Set(keys)];
}
