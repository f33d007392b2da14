/**
 * The log lines of what a cluster node refused from NATS (a room event, a
 * direct message, a kick or a nick record no node would have written: see
 * lib/cluster/nats_input.ts) or could not write there: at most ten a minute
 * per event and kind, so that a flood of forged data cannot flood the log;
 * the next line after a quiet spell says how many were left out.
 *
 * @module
 */

import { limitReports } from "../cluster/nats_input.ts";
import type { Log } from "./log_record.ts";

/** `report(error, event, what?)`: logs `event=<event> [what=<what>] error=...`, rate-limited. */
export function droppedReports(
  log: Log,
  perMinute = 10,
): (error: Error, event: string, what?: string) => void {
  const report = limitReports((error, key, suppressed) => {
    const [event, what] = key.split("\u0000");
    log({
      level: "warn",
      event,
      ...(what ? { what } : {}),
      error: error.message,
      ...(suppressed ? { suppressed } : {}),
    });
  }, perMinute);
  return (error, event, what) => report(error, what ? `${event}\u0000${what}` : event);
}
