/**
 * Nick rules: letters, digits and combining marks of any script plus `_ - .`,
 * 1 to 24 characters and at most 24 columns wide after NFC normalisation, at
 * most two accents on a character, only characters of Unicode's General
 * Security Profile for identifiers and no mix of scripts beyond UTS #39's
 * Highly Restrictive level (see identifier_profile.ts), unique
 * regardless of case and Unicode normalisation form, and not a look-alike of
 * a reserved name.
 *
 * @module
 */

import stringWidth from "string-width";
import { NickError } from "./errors.ts";
import { lookAlikeSkeletons } from "./confusable.ts";
import { fold } from "./fold.ts";
import { isAscii, restrictedCharacter, scriptMix } from "./identifier_profile.ts";
import { excerpt as preview, unsafeCharacter } from "./sanitize.ts";

/** Longest nick by default, in Unicode code points after NFC normalisation. */
export const MAX_NICK_LENGTH = 24;

// Letters and marks that show nothing: Hangul fillers, the combining grapheme
// joiner, Khmer inherent vowels, Mongolian variation selectors, variation
// selectors. A nick made of them would look empty or like someone else's.
const INVISIBLE =
  /[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;

const NICK_PATTERN = /^[\p{L}\p{N}_][\p{L}\p{N}\p{M}_.\-]*$/u;

/**
 * Most combining marks shared by all scripts (accents, overlays) on one
 * character, after NFC: enough for any language written with them, too few
 * to pile them into a smear over the neighbouring lines.
 */
export const MAX_ACCENTS_PER_CHARACTER = 2;

/** Most combining marks of any kind on one character (some scripts stack a few vowel signs). */
export const MAX_MARKS_PER_CHARACTER = 4;

const ACCENT_RUN = /[\p{M}&&\p{Script=Inherited}]+/gv;
const MARK_RUN = /\p{M}+/gu;

/** Names nobody may take, so no one can pose as the server. */
const RESERVED = new Map([
  "server",
  "system",
  "admin",
  "administrator",
  "root",
  "operator",
  "op",
  "lanchat",
  "nickserv",
  "chanserv",
  "everyone",
  "all",
  "here",
].flatMap((nick) => lookAlikeSkeletons(nick).map((skeleton) => [skeleton, nick])));

/**
 * Validates a nick and returns it normalised to NFC.
 *
 * @throws {NickError} with code `bad_nick` and a message naming the problem.
 */
export function normalizeNick(raw: string, maxLength = MAX_NICK_LENGTH): string {
  // A join checks the nick twice (Hub.enter, then Hub.join): the last
  // nick accepted is not checked again.
  if (raw === lastAccepted.raw && maxLength === lastAccepted.maxLength) return lastAccepted.nick;
  const nick = checkNick(raw, maxLength);
  lastAccepted = { raw, maxLength, nick };
  return nick;
}

let lastAccepted: { raw?: string; maxLength?: number; nick: string } = { nick: "" };

function checkNick(raw: string, maxLength: number): string {
  const nick = raw.trim().normalize("NFC");
  // Most nicks are ASCII: one code point and one column a character, no marks.
  const ascii = isAscii(nick);
  const length = ascii ? nick.length : [...nick].length;
  if (length === 0) throw new NickError("bad_nick", "Nick is empty");
  if (nick.startsWith("/")) {
    // Someone typing a command where a nick was asked for (nc's first line).
    throw new NickError(
      "bad_nick",
      `Nick "${preview(nick)}" cannot start with "/": a line that starts with "/" is a command`,
    );
  }
  // Refused, never quietly cleaned: the nick others see is the one typed.
  const unsafe = unsafeCharacter(nick);
  if (unsafe) throw new NickError("bad_nick", `Nick "${preview(nick)}" contains ${unsafe}`);
  if (length > maxLength) {
    throw new NickError(
      "bad_nick",
      `Nick "${preview(nick)}" is ${length} characters long; the limit is ${maxLength}`,
    );
  }
  if (INVISIBLE.test(nick)) {
    throw new NickError("bad_nick", `Nick "${preview(nick)}" contains an invisible character`);
  }
  if (/\s/u.test(nick)) throw new NickError("bad_nick", `Nick "${preview(nick)}" contains a space`);
  if (!NICK_PATTERN.test(nick)) {
    throw new NickError(
      "bad_nick",
      `Nick "${
        preview(nick)
      }" may only contain letters, digits, "_", "-" and "." and must start with a letter, digit or "_"`,
    );
  }
  if (!ascii) checkMarksAndWidth(nick, maxLength);
  // Phonetic, technical, obsolete and compatibility letters: many look like
  // everyday ones without being in Unicode's confusables ("davɘ", "eʋe").
  const restricted = restrictedCharacter(nick);
  if (restricted !== undefined) {
    throw new NickError(
      "bad_nick",
      `Nick "${preview(nick)}" contains "${
        shown(restricted.character)
      }" (${restricted.codePoint}), ${restricted.reason}`,
    );
  }
  const reserved = reservedLookAlike(nick);
  if (reserved !== undefined) {
    throw new NickError(
      "bad_nick",
      foldNick(nick) === reserved
        ? `Nick "${nick}" is reserved; pick another`
        : `Nick "${nick}" looks like "${reserved}", a reserved nick; pick another`,
    );
  }
  const mix = scriptMix(nick);
  if (mix !== undefined) {
    const { first, second } = mix;
    const mixes = `Nick "${nick}" mixes ${first.script} ("${
      shown(first.character)
    }") and ${second.script} ("${shown(second.character)}")`;
    throw new NickError(
      "bad_nick",
      mix.lookAlikeScripts
        ? `${mixes}, scripts whose letters look alike; write it in one script`
        : `${mixes}; write it in one script (Latin may go with Chinese, Japanese or Korean)`,
    );
  }
  return nick;
}

/** The reserved nick that `nick` looks like, if any (a loop: no array nor closure per join). */
function reservedLookAlike(nick: string): string | undefined {
  const skeletons = lookAlikeSkeletons(nick);
  for (let i = 0; i < skeletons.length; i++) {
    const reserved = RESERVED.get(skeletons[i]);
    if (reserved) return reserved;
  }
  return undefined;
}

/** The checks that an ASCII nick passes by itself: marks on a character, columns. */
function checkMarksAndWidth(nick: string, maxLength: number): void {
  for (
    const [run, limit, what] of [
      [longestRun(nick, ACCENT_RUN), MAX_ACCENTS_PER_CHARACTER, "accents"],
      [longestRun(nick, MARK_RUN), MAX_MARKS_PER_CHARACTER, "combining marks"],
    ] as const
  ) {
    if (run > limit) {
      throw new NickError(
        "bad_nick",
        `Nick "${preview(nick)}" has ${run} ${what} on one character; the limit is ${limit}`,
      );
    }
  }
  // Columns on a terminal: a wide (CJK) character takes two.
  const width = stringWidth(nick);
  if (width > maxLength) {
    throw new NickError(
      "bad_nick",
      `Nick "${nick}" is ${width} columns wide; the limit is ${maxLength} (a wide character takes two)`,
    );
  }
}

/**
 * The folded form of a nick, its identity for uniqueness: case-folded and
 * NFKC-normalised, so "Ana", "ANA" and "ａｎａ" (full width) are the same
 * person. Not for display. (Room names fold alike, with `foldRoom`.)
 */
export function foldNick(nick: string): string {
  return fold(nick);
}

/**
 * Proposes a free nick close to `nick`: `ana_`, `ana2`, `ana3`, ...
 * `isTaken` receives candidate nicks.
 */
export function suggestNick(
  nick: string,
  isTaken: (nick: string) => boolean,
  maxLength = MAX_NICK_LENGTH,
): string {
  const chars = [...nick];
  for (let n = 1;; n++) {
    const suffix = n === 1 ? "_" : String(n);
    const base = chars.slice(0, maxLength - suffix.length).join("");
    const candidate = base + suffix;
    if (!isTaken(candidate)) return candidate;
  }
}

/** A character for an error message: a combining mark on a dotted circle, so it shows. */
function shown(character: string): string {
  return /^\p{M}$/u.test(character) ? `\u25cc${character}` : character;
}

/** The longest run of characters matching `pattern` (a global regex) in `text`. */
function longestRun(text: string, pattern: RegExp): number {
  let longest = 0;
  for (const match of text.matchAll(pattern)) longest = Math.max(longest, [...match[0]].length);
  return longest;
}
