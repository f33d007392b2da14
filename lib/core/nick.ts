/**
 * Nick rules: letters, digits and combining marks of any script plus `_ - .`,
 * 1 to 24 characters after NFC normalisation, unique regardless of case and
 * Unicode normalisation form.
 *
 * @module
 */

import { NickError } from "../errors.ts";
import { excerpt as preview, unsafeCharacter } from "./sanitize.ts";

/** Longest nick by default, in Unicode code points after NFC normalisation. */
export const MAX_NICK_LENGTH = 24;

// Letters and marks that show nothing: Hangul fillers, the combining grapheme
// joiner, Khmer inherent vowels, Mongolian variation selectors, variation
// selectors. A nick made of them would look empty or like someone else's.
const INVISIBLE =
  /[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;

const NICK_PATTERN = /^[\p{L}\p{N}_][\p{L}\p{N}\p{M}_.\-]*$/u;

/** Names nobody may take, so no one can pose as the server. */
const RESERVED = new Set([
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
]);

/**
 * Validates a nick and returns it normalised to NFC.
 *
 * @throws {NickError} with code `bad_nick` and a message naming the problem.
 */
export function normalizeNick(raw: string, maxLength = MAX_NICK_LENGTH): string {
  const nick = raw.trim().normalize("NFC");
  const length = [...nick].length;
  if (length === 0) throw new NickError("bad_nick", "Nick is empty");
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
  if (RESERVED.has(nickKey(nick))) {
    throw new NickError("bad_nick", `Nick "${nick}" is reserved; pick another`);
  }
  return nick;
}

/**
 * The identity of a nick for uniqueness: case-folded and NFKC-normalised, so
 * "Ana", "ANA" and "ａｎａ" (full width) are the same person.
 */
export function nickKey(nick: string): string {
  return nick.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
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
