/**
 * What a fuzz run reports, whichever direction: the counts every summary
 * has, and bytes shown readably in a failure.
 *
 * @module
 */

/** What any fuzz run did and found, whichever direction. */
export interface FuzzRun {
  /** The run's seed. */
  seed: number;
  /** The first case number. */
  first: number;
  /** How many cases ran. */
  cases: number;
  /** Each failure names the seed and case number, and how to replay it. */
  failures: string[];
  /** All failures, including those past the ones kept in `failures`. */
  failureCount: number;
  /** Cases per generator. */
  kinds: Record<string, number>;
}

/** Shows bytes as printable ASCII with `\xHH` escapes, cut to `max` characters. */
export function show(bytes: Uint8Array, max = 400): string {
  let out = "";
  for (const byte of bytes) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c
      ? String.fromCharCode(byte)
      : `\\x${byte.toString(16).padStart(2, "0")}`;
    if (out.length > max) return out.slice(0, max) + `… (${bytes.length} bytes)`;
  }
  return out;
}
