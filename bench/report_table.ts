/**
 * The benchmark's report: one markdown table per set of targets, the median
 * and range of each metric, and the ratio of the first two targets.
 *
 * @module
 */

import type { Target } from "./targets.ts";
import type { Measurement, Workload } from "./workload.ts";
import { median } from "./stats.ts";

function fmt(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (Math.abs(value) >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return value.toFixed(2);
}

/** The runs of one workload against one target. */
export interface Row {
  /** The workload's name. */
  workload: string;
  /** The target's name. */
  target: string;
  /** What each run measured. */
  runs: Measurement[];
}

/**
 * A ratio column: the first target's median over the best median among the
 * targets named in `against` (the lowest, or the highest where higher is better).
 */
export interface RatioColumn {
  /** The column's header. */
  header: string;
  /** The targets whose best median divides the first target's. */
  against: string[];
}

/**
 * The markdown table: median [min–max] per metric, and the ratio of the
 * first two targets' medians (its column headed `ratioHeader`, or
 * "first/second"); with `eachRatio`, the first target's ratio to each other
 * target, a column each; with `columns`, those ratio columns instead.
 */
export function table(
  workloads: Workload[],
  rows: Row[],
  targets: Target[],
  ratioHeader?: string,
  eachRatio = false,
  columns?: RatioColumn[],
): string {
  const against: RatioColumn[] = columns ??
    (targets.length < 2 ? [] : eachRatio ? targets.slice(1) : [targets[1]]).map((t, i) => ({
      header: i === 0 && !eachRatio && ratioHeader ? ratioHeader : `${targets[0].name}/${t.name}`,
      against: [t.name],
    }));
  const headers = against.map((column) => column.header);
  const out = [
    `| workload | metric | ${[...targets.map((t) => t.name), ...headers].join(" | ")} |`,
    `|---|---|${[...targets, ...headers].map(() => "---").join("|")}|`,
  ];
  for (const workload of workloads) {
    const byTarget = targets.map((t) =>
      rows.find((r) => r.workload === workload.name && r.target === t.name)
    );
    if (!byTarget.some(Boolean)) continue;
    for (const metric of workload.metrics) {
      const cells: string[] = [];
      const medians: (number | undefined)[] = [];
      for (const row of byTarget) {
        if (!row) {
          cells.push("n/a");
          medians.push(undefined);
          continue;
        }
        const failed = row.runs.filter((r) => !r.ok);
        const values = row.runs.filter((r) => r.ok).map((r) => r[metric.key] as number)
          .filter((v) => typeof v === "number" && !Number.isNaN(v));
        if (values.length === 0) {
          // Runs that completed without this metric (the Deno generator reports no CPU of its own).
          cells.push(failed.length === 0 ? "–" : `failed: ${failed[0].failure ?? "no data"}`);
          medians.push(undefined);
          continue;
        }
        const m = median(values);
        medians.push(m);
        const range = values.length > 1
          ? ` [${fmt(Math.min(...values))}–${fmt(Math.max(...values))}]`
          : "";
        cells.push(`${fmt(m)}${range}${failed.length ? ` (${failed.length} failed)` : ""}`);
      }
      const a = medians[0];
      const ratios = against.map((column) => {
        const others = targets.flatMap((t, i) =>
          column.against.includes(t.name) && medians[i] !== undefined ? [medians[i]!] : []
        );
        const b = others.length === 0
          ? undefined
          : metric.higherIsBetter
          ? Math.max(...others)
          : Math.min(...others);
        return a !== undefined && b !== undefined && b !== 0 ? `${(a / b).toFixed(2)}x` : "–";
      });
      out.push(`| ${workload.name} | ${metric.label} | ${[...cells, ...ratios].join(" | ")} |`);
    }
  }
  return out.join("\n");
}
