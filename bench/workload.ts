/**
 * What a benchmark workload is, and what one run of it measures.
 *
 * @module
 */

import type { GeneratorKind } from "./drive.ts";
import type { Target } from "./targets.ts";

/** What one run of one workload measured. */
export interface Measurement {
  /** Whether the run completed. */
  ok: boolean;
  /** Why it did not, if it did not. */
  failure?: string;
  /** The metrics, by key. */
  [metric: string]: number | boolean | string | undefined;
}

/** A benchmark workload: what it runs and which metrics it reports. */
export interface Workload {
  /** The name `--only` takes. */
  name: string;
  /** One line on what it does. */
  description: string;
  /** Metrics to report, with units and whether higher is better. */
  metrics: { key: string; label: string; higherIsBetter: boolean }[];
  /** Whether it runs against targets that speak only text. */
  text: boolean;
  /** Whether it runs against IRC servers, with IRC clients (`--against ngircd,inspircd`). */
  irc?: boolean;
  /** Whether `--modes` adds lanchat driven by other clients to its targets (the flood). */
  modes?: boolean;
  /** Runs once against `target` (tiny with `smoke`). */
  run(target: Target, smoke: boolean): Promise<Measurement>;
  /** Targets of its own instead of the run's (the churn workload's runtime baselines). */
  targets?: () => Promise<Target[]>;
  /** A name `--only` takes for this workload and others of its group (`irc`). */
  group?: string;
  /**
   * The points it measures in one run (`2000c@100/s`, given whether the run
   * is a smoke run): each point's metrics are keyed `"<point> <metric>"` in
   * the measurement, and each point is a row of its own in the table
   * (bench/point_rows.ts).
   */
  points?: (smoke: boolean) => string[];
  /** Runs only when named in `--only` (it takes minutes and measures something else). */
  optIn?: boolean;
  /**
   * The load generators that can drive it, when not every one can (skipped
   * with another `--generator` unless named in `--only`, which then fails).
   */
  generators?: GeneratorKind[];
  /** The header of its table's ratio column, when "first/second target" does not say it. */
  ratioHeader?: string;
  /** Its table has the first target's ratio to each other target, not only to the second. */
  ratiosAgainstEach?: boolean;
}
