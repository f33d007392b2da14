/**
 * Case folding for names (nicks, rooms): their identity for lookups.
 *
 * @module
 */

/**
 * `text` NFKC-normalised, upper-cased, lower-cased and NFKC-normalised
 * again, so "Ana", "ANA" and "ａｎａ" (full width) fold alike. ASCII text is
 * its own NFKC and its case round trip is `toLowerCase`: without a capital
 * it is its own folded form, returned as the same string (no copy, and a
 * map that hashed it once finds it again without hashing a fresh string:
 * every join folds its nick and the lobby's name).
 */
export function fold(text: string): string {
  let capitals = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return text.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
    if (code >= 0x41 && code <= 0x5a) capitals = true;
  }
  return capitals ? text.toLowerCase() : text;
}
