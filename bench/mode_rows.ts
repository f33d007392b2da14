/**
 * `--modes`: the flood with lanchat driven by other clients than text
 * (native JSON, IRC, WebSocket) in the same runs as the references, so the
 * issue's "server CPU per delivery in text, native, IRC and WebSocket modes"
 * is one table. The measurements are the `native`, `irc-flood` and `web`
 * workloads' floods (the same {@linkcode runFlood}); only the grouping is new.
 *
 * @module
 */

import type { ClientMode } from "./traffic_workloads.ts";
import type { Row } from "./report_table.ts";
import type { Target } from "./targets.ts";
import type { Workload } from "./workload.ts";

/** The modes `--modes` takes; `text` is lanchat's own column. */
const MODES: ClientMode[] = ["text", "native", "irc", "web"];

/**
 * lanchat driven by each mode of `--modes` but text (`lanchat-native`, ...);
 * `ours` is this checkout's lanchat or `--against-tree`'s (`lanchat@base-web`).
 */
export function modeTargets(modes: string | undefined, ours: Target): Target[] {
  if (modes === undefined) return [];
  const wanted = modes.split(",").map((mode) => mode.trim());
  const unknown = wanted.find((mode) => !MODES.includes(mode as ClientMode));
  if (unknown !== undefined) {
    throw new Error(`Unknown mode "${unknown}" in --modes; use ${MODES.join(", ")}`);
  }
  return (wanted as ClientMode[]).filter((mode) => mode !== "text").map((mode) => ({
    ...ours,
    name: `${ours.name}-${mode}`,
    clients: mode,
  }));
}

/**
 * The shared table's workloads and rows with each mode's runs as a workload
 * row of its own (`flood (native)`): lanchat's column holds that mode's runs,
 * the references' columns their runs of the same workload; with
 * `--against-tree`, that tree's runs of the mode in its own column.
 */
export function modeRows(
  workloads: Workload[],
  rows: Row[],
  modes: Target[],
  targets: Target[],
): { workloads: Workload[]; rows: Row[] } {
  if (modes.length === 0) return { workloads, rows };
  const out: Workload[] = [];
  const extra: Row[] = [];
  const kinds = [...new Set(modes.map((mode) => mode.clients))];
  for (const workload of workloads) {
    out.push(workload);
    if (!workload.modes) continue;
    for (const clients of kinds) {
      const name = `${workload.name} (${clients})`;
      // Each mode's runs in the column of the lanchat it is a mode of (this checkout's, or
      // --against-tree's), the references' columns their runs of the same workload.
      const columns = new Set<string>();
      for (const mode of modes.filter((m) => m.clients === clients)) {
        const own = rows.find((r) => r.workload === workload.name && r.target === mode.name);
        if (!own) continue;
        const column = targets.find((t) => mode.name === `${t.name}-${clients}`) ?? targets[0];
        columns.add(column.name);
        extra.push({ ...own, workload: name, target: column.name });
      }
      if (columns.size === 0) continue;
      out.push({ ...workload, name });
      for (const target of targets.slice(1)) {
        if (columns.has(target.name)) continue;
        const theirs = rows.find((r) => r.workload === workload.name && r.target === target.name);
        if (theirs) extra.push({ ...theirs, workload: name });
      }
    }
  }
  return { workloads: out, rows: [...rows, ...extra] };
}
