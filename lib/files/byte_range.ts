/**
 * The `Range` header of a download (RFC 9110 §14): one byte range, so a cut
 * download can resume. Several ranges at once are answered whole (allowed:
 * a server may ignore `Range`), which no downloader needs.
 *
 * @module
 */

/** What a `Range` header asks of a file of some size. */
export type RangeAnswer =
  | { kind: "whole" }
  | { kind: "part"; start: number; end: number }
  | { kind: "unsatisfiable" };

/** The answer to `header` for a file of `size` bytes; `end` is inclusive. */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: "whole" };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: "whole" }; // Another unit, several ranges, or malformed: ignored.
  const [, first, last] = match;
  if (first === "" && last === "") return { kind: "whole" };
  if (first === "") {
    // The last `last` bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "part", start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: "unsatisfiable" };
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: "whole" }; // Invalid: ignored, as RFC 9110 says.
  return { kind: "part", start, end };
}
