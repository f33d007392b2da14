/**
 * The bench's two summaries of a set of runs: the median, and the median
 * with its range as the docs quote it.
 *
 * @module
 */

/** The median (the upper one of an even count) of `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** "median [min–max]", each with `digits` decimals. */
export function summary(values: number[], digits: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(digits);
  return `${f(median(sorted))} [${f(sorted[0])}–${f(sorted.at(-1)!)}]`;
}
