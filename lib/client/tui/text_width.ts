/**
 * Display width of text in terminal columns, by grapheme cluster: a wide CJK
 * character or an emoji takes 2 columns, a combining mark or a zero-width
 * character none. The width tables come from `string-width`.
 *
 * @module
 */

import stringWidth from "string-width";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Splits text into user-perceived characters (grapheme clusters). */
export function graphemes(text: string): string[] {
  const out: string[] = [];
  for (const { segment } of segmenter.segment(text)) out.push(segment);
  return out;
}

/** Columns one grapheme cluster takes: 0, 1 or 2. */
export function graphemeWidth(grapheme: string): number {
  const code = grapheme.charCodeAt(0);
  // Fast path for printable ASCII, the bulk of chat text.
  if (grapheme.length === 1 && code >= 0x20 && code < 0x7f) return 1;
  return Math.min(2, stringWidth(grapheme));
}

/** Columns a whole text takes (no line breaks expected). */
export function textWidth(text: string): number {
  // deno-lint-ignore no-control-regex
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let width = 0;
  for (const grapheme of graphemes(text)) width += graphemeWidth(grapheme);
  return width;
}

/**
 * Cuts text to at most `width` columns, never splitting a grapheme; adds
 * `ellipsis` when something was cut.
 */
export function truncate(text: string, width: number, ellipsis = "…"): string {
  if (textWidth(text) <= width) return text;
  const room = width - textWidth(ellipsis);
  let out = "";
  let used = 0;
  for (const grapheme of graphemes(text)) {
    const w = graphemeWidth(grapheme);
    if (used + w > room) break;
    out += grapheme;
    used += w;
  }
  return out + ellipsis;
}

/** Pads text with spaces on the right (or left) to exactly `width` columns. */
export function pad(text: string, width: number, align: "left" | "right" = "left"): string {
  const fill = " ".repeat(Math.max(0, width - textWidth(text)));
  return align === "left" ? text + fill : fill + text;
}

/**
 * Wraps one line of text into rows of at most `width` columns, breaking
 * after spaces where it can and inside a word only when the word alone is
 * wider than a row.
 *
 * @example
 * ```ts
 * wrapLine("the quick brown fox", 10); // ["the quick ", "brown fox"]
 * ```
 */
export function wrapLine(text: string, width: number): string[] {
  const columns = Math.max(1, width);
  if (textWidth(text) <= columns) return [text];
  const rows: string[] = [];
  let row = "";
  let rowWidth = 0;
  // The row as it stood after its last space: where a word break goes.
  let breakAt = -1;
  let breakWidth = 0;
  for (const grapheme of graphemes(text)) {
    const w = graphemeWidth(grapheme);
    if (rowWidth + w > columns) {
      if (grapheme === " ") {
        // A space at the end of a row is where the row breaks: drop it.
        rows.push(row);
        row = "";
        rowWidth = 0;
        breakAt = -1;
        continue;
      }
      if (breakAt > 0) {
        rows.push(row.slice(0, breakAt));
        row = row.slice(breakAt);
        rowWidth -= breakWidth;
      }
      if (breakAt <= 0 || rowWidth + w > columns) {
        if (row !== "") rows.push(row);
        row = "";
        rowWidth = 0;
      }
      breakAt = -1;
    }
    row += grapheme;
    rowWidth += w;
    if (grapheme === " ") {
      breakAt = row.length;
      breakWidth = rowWidth;
    }
  }
  if (row !== "" || rows.length === 0) rows.push(row);
  return rows;
}
