/** The bench's `--modes` rows: each mode's runs in the column of the lanchat it is a mode of. */

import assert from "node:assert/strict";
import { modeRows, modeTargets } from "../bench/mode_rows.ts";
import { lanchat } from "../bench/targets.ts";
import type { Row } from "../bench/report_table.ts";
import { floodWorkload } from "../bench/traffic_workloads.ts";

Deno.test("modeRows() puts --against-tree's runs of a mode in that tree's column, beside this tree's", () => {
  const ours = lanchat(false);
  const base = lanchat(false, "/tmp/base");
  const targets = [ours, base];
  const modes = [...modeTargets("web", ours), ...modeTargets("web", base)];
  assert.deepEqual(modes.map((m) => m.name), ["lanchat-web", "lanchat@base-web"]);
  const row = (target: string, ns: number): Row => ({
    workload: "flood",
    target,
    runs: [{ ok: true, serverNsPerDelivery: ns }],
  });
  const rows = [
    row("lanchat", 1),
    row("lanchat@base", 2),
    row("lanchat-web", 3),
    row("lanchat@base-web", 4),
  ];
  const flood = floodWorkload("text");
  const byMode = modeRows([flood], rows, modes, targets);
  assert.deepEqual(byMode.workloads.map((w) => w.name), ["flood", "flood (web)"]);
  const web = byMode.rows.filter((r) => r.workload === "flood (web)");
  assert.deepEqual(
    web.map((r) => [r.target, r.runs[0].serverNsPerDelivery]),
    [["lanchat", 3], ["lanchat@base", 4]],
  );
});
