/**
 * A cluster node's log lines for operators: the same failure repeated every
 * heartbeat during an outage is written once and then summed up
 * ({@linkcode LogLimiter}), a publish refused because the room stream has
 * no leader says so, and a node declared dead is one line (how long it was
 * unheard, how many of its members were dropped) instead of one per member.
 *
 * @module
 */

import { LogLimiter } from "./log_limiter.ts";
import type { Log, LogRecord } from "./log_record.ts";

/** Cluster events that repeat while NATS or the stream is away: limited by event and error. */
export const REPEATED_CLUSTER_EVENTS: ReadonlySet<string> = new Set([
  "cluster_heartbeat",
  "cluster_presence",
  "cluster_lost",
  "cluster_reader_restart",
  "cluster_skip",
  "cluster_topic",
  "cluster_watch",
]);

/**
 * Events about data this node refused from NATS (lib/cluster/nats_input.ts):
 * their error text quotes what was sent, so they count by event and `what`
 * alone, or a flood of forged values, each different, would pass the limit.
 */
export const DROPPED_CLUSTER_EVENTS: ReadonlySet<string> = new Set([
  "cluster_skip",
  "cluster_presence",
]);

/** The window of {@linkcode limitClusterLog}: one line per kind, then a sum a minute. */
export const CLUSTER_LOG_WINDOW_MS = 60_000;

/** A log that writes each repeated cluster failure once per window, with a summary line after. */
export interface ClusterLog {
  /** Logs a record (a repeated one counted once its kind used up its window). */
  log: Log;
  /** Writes the summaries still pending and stops the timer. */
  close(): void;
}

/**
 * `log`, with {@linkcode REPEATED_CLUSTER_EVENTS} limited to `burst` lines
 * per kind (event and error) per `windowMs`; other records pass as they are.
 */
export function limitClusterLog(
  log: Log,
  windowMs = CLUSTER_LOG_WINDOW_MS,
  burst = 1,
): ClusterLog {
  const limiter = new LogLimiter(log, {
    windowMs,
    burst,
    kindOf: (record) =>
      DROPPED_CLUSTER_EVENTS.has(record.event)
        ? `${record.event}|${record.what ?? ""}`
        : REPEATED_CLUSTER_EVENTS.has(record.event)
        ? `${record.event}|${record.what ?? ""}|${record.error ?? ""}`
        : undefined,
  });
  // The summary of a window that ended with no record after it is written by this timer.
  const timer = setInterval(() => limiter.flush(), Math.max(1_000, windowMs / 4));
  Deno.unrefTimer(timer);
  return {
    log: limiter.log,
    close() {
      clearInterval(timer);
      limiter.close();
    },
  };
}

/** Errors of a publish that JetStream's stream did not answer (no leader to take it). */
const NO_LEADER = /jetstream is not enabled|no responders|503|no suitable peers|leader/i;

/**
 * The record of the room stream becoming (un)available; a refusal that
 * means "no stream leader" says so, with the client's own words as detail.
 */
export function availabilityRecord(reason: string | undefined): LogRecord {
  if (reason === undefined) return { level: "info", event: "cluster_available" };
  if (NO_LEADER.test(reason)) {
    return {
      level: "error",
      event: "cluster_unavailable",
      error: "no stream leader (election in progress)",
      detail: reason,
    };
  }
  return { level: "error", event: "cluster_unavailable", error: reason };
}

/**
 * Collects the members of a dead node this node dropped (one call each,
 * as the presence sweep frees them) into one line per node:
 * `event=cluster_node_dead node=X unheard=12 dropped=N`.
 */
export class DeadNodeLog {
  readonly #log: Log;
  readonly #lastHeard: (node: string) => number | undefined;
  readonly #gatherMs: number;
  readonly #pending = new Map<string, { dropped: number; timer: ReturnType<typeof setTimeout> }>();

  /** Writes to `log`; `lastHeard` says when a node was last heard (ms since the epoch). */
  constructor(log: Log, lastHeard: (node: string) => number | undefined, gatherMs = 1_000) {
    this.#log = log;
    this.#lastHeard = lastHeard;
    this.#gatherMs = gatherMs;
  }

  /** A member of `node` was dropped because its node is dead. */
  dropped(nick: string, node: string): void {
    this.#log({ level: "debug", event: "cluster_expired", nick, node });
    const pending = this.#pending.get(node);
    if (pending) {
      pending.dropped++;
      return;
    }
    const timer = setTimeout(() => this.#write(node), this.#gatherMs);
    this.#pending.set(node, { dropped: 1, timer });
  }

  /** Writes what is gathered now. */
  close(): void {
    for (const [node, { timer }] of [...this.#pending]) {
      clearTimeout(timer);
      this.#write(node);
    }
  }

  #write(node: string): void {
    const pending = this.#pending.get(node);
    if (!pending) return;
    this.#pending.delete(node);
    const heard = this.#lastHeard(node);
    const unheard = heard === undefined ? undefined : Math.round((Date.now() - heard) / 1000);
    const members = `${pending.dropped} member${pending.dropped === 1 ? "" : "s"} dropped`;
    this.#log({
      level: "warn",
      event: "cluster_node_dead",
      node,
      unheard,
      dropped: pending.dropped,
      detail: unheard === undefined
        ? `node ${node} gone: ${members}`
        : `node ${node} unheard for ${unheard} s: ${members}`,
    });
  }
}
