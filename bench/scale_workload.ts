/**
 * The scale workload (`--only scale`): the latency workload's shape at
 * several sizes, so that how the cost grows with clients and with message
 * rate is one table: 250, 500, 1,000 and 2,000 clients at 100 messages/s,
 * and 50, 100 and 200 messages/s at 1,000 clients, 6 s each, a fresh server
 * per point. Each point is a row of its own in the table
 * (`scale 2000c@100/s`), through {@linkcode Workload.points}.
 *
 * @module
 */

import { generatorSetup } from "./drive.ts";
import { runLatency } from "./traffic_workloads.ts";
import type { Measurement, Workload } from "./workload.ts";

/** One point of the workload: clients in the room and messages per second over 10 senders. */
export interface ScalePoint {
  /** Clients in the room, the 10 senders among them. */
  clients: number;
  /** Messages per second over all senders. */
  rate: number;
}

/** The points of a full run: clients at 100 messages/s, then rates at 1,000 clients. */
export const SCALE_POINTS: ScalePoint[] = [
  ...[250, 500, 1000, 2000].map((clients) => ({ clients, rate: 100 })),
  ...[50, 200].map((rate) => ({ clients: 1000, rate })),
];

/** The points of a smoke run: the same two series, tiny (at least the 10 senders), two points each. */
export const SMOKE_SCALE_POINTS: ScalePoint[] = [
  ...[10, 40].map((clients) => ({ clients, rate: 20 })),
  ...[10, 40].map((rate) => ({ clients: 40, rate })),
];

/** Seconds of traffic per point (smoke: 1). */
export const SCALE_SECONDS = 6;

/** A point's name, in its row of the table and as its measurements' key prefix: `2000c@100/s`. */
export function pointName({ clients, rate }: ScalePoint): string {
  return `${clients}c@${rate}/s`;
}

/** The latency shape at several sizes; one row per point and metric. */
export const scaleWorkload: Workload = {
  name: "scale",
  description: "the latency workload at 250–2,000 clients (100 msg/s) and 50–200 msg/s (1,000)",
  text: true,
  irc: true,
  optIn: true,
  metrics: [
    { key: "p50", label: "p50 ms", higherIsBetter: false },
    { key: "p99", label: "p99 ms", higherIsBetter: false },
    { key: "serverUsPerDelivery", label: "server CPU µs/delivery", higherIsBetter: false },
    { key: "serverCpuShare", label: "server CPU share of a core", higherIsBetter: false },
    // Past ~100,000 deliveries/s the generators need a core too: then the point measures the machine.
    { key: "generatorCpuShare", label: "generator CPU share", higherIsBetter: false },
  ],
  points: (smoke) => (smoke ? SMOKE_SCALE_POINTS : SCALE_POINTS).map(pointName),
  async run(target, smoke) {
    const measurement: Measurement = { ok: true };
    for (const point of smoke ? SMOKE_SCALE_POINTS : SCALE_POINTS) {
      const name = pointName(point);
      let result: Measurement;
      try {
        result = await runLatency(target, target.clients ?? "text", {
          ...point,
          seconds: smoke ? 1 : SCALE_SECONDS,
          processes: smoke ? 1 : generatorSetup.readerProcesses,
        });
      } catch (error) {
        result = { ok: false, failure: (error as Error).message };
      }
      // One failed point fails the run, and the others still report.
      if (!result.ok && measurement.ok) {
        measurement.ok = false;
        measurement.failure = `${name}: ${result.failure}`;
      }
      for (const [key, value] of Object.entries(result)) measurement[`${name} ${key}`] = value;
    }
    return measurement;
  },
};
