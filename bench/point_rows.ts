/**
 * Workloads that measure several points in one run (the scale workload,
 * bench/scale_workload.ts) keep each point's measurement under keys
 * prefixed with the point's name (`2000c@100/s p99`); in the table each
 * point is a workload row of its own (`scale 2000c@100/s`), with the
 * workload's metrics.
 *
 * @module
 */

import type { Row } from "./report_table.ts";
import type { Measurement, Workload } from "./workload.ts";

/** One point's measurement out of a run of all points: its keys without the prefix. */
export function pointMeasurement(run: Measurement, point: string): Measurement {
  const prefix = `${point} `;
  const own = Object.entries(run).filter(([key]) => key.startsWith(prefix));
  // A run that threw before any point has only its own failure.
  if (own.length === 0) return { ok: false, failure: run.failure ?? "no data" };
  const measurement: Measurement = { ok: false };
  for (const [key, value] of own) measurement[key.slice(prefix.length)] = value;
  return measurement;
}

/**
 * The table's workloads and rows with each workload that has points
 * replaced by one workload per point, its runs split accordingly.
 */
export function pointRows(
  workloads: Workload[],
  rows: Row[],
  smoke: boolean,
): { workloads: Workload[]; rows: Row[] } {
  const out: Workload[] = [];
  const split: Row[] = [];
  for (const workload of workloads) {
    if (!workload.points) {
      out.push(workload);
      split.push(...rows.filter((row) => row.workload === workload.name));
      continue;
    }
    for (const point of workload.points(smoke)) {
      const name = `${workload.name} ${point}`;
      out.push({ ...workload, name, points: undefined });
      for (const row of rows.filter((row) => row.workload === workload.name)) {
        split.push({
          ...row,
          workload: name,
          runs: row.runs.map((r) => pointMeasurement(r, point)),
        });
      }
    }
  }
  return { workloads: out, rows: split };
}
