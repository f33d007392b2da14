/**
 * Getting the room stream's reader going again at once after NATS comes
 * back: the moments to replace it ({@linkcode followRecoveries}), and a
 * request sent again while unanswered ({@linkcode hedged}): right after an
 * election the first request can go unanswered for its whole timeout while
 * one sent a moment later is answered (measured; docs/cluster_progress.md,
 * "Chat again as soon as JetStream is").
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import { bounded } from "./nats_link.ts";

/**
 * Calls `recovered` when the connection is back after a loss, and when
 * JetStream announces a new leader of `stream` (its advisory): a reader of
 * the stream often stays stuck across either. Returns how to stop.
 */

/** Making the room log's reader: each request waits this long (ms) for its answer. */
export const READER_API_MS = 1_000;
/** While unanswered, another request is sent every HEDGE_MS (ms)... */
export const HEDGE_MS = 250;
/** ...HEDGES in all, */
export const HEDGES = 4;
/** ...or without a pause for URGENT_MS (ms) after a reconnect, an election or the gate opening. */
export const URGENT_MS = 10_000;

export function followRecoveries(
  nc: NatsConnection,
  stream: string,
  recovered: (why: string) => void,
): () => void {
  const elections = nc.subscribe(`$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.${stream}`, {
    callback: () => recovered("the stream has a new leader"),
  });
  const status = nc.status();
  (async () => {
    for await (const { type } of status) if (type === "reconnect") recovered("reconnected to NATS");
  })().catch(() => {});
  return () => {
    elections.unsubscribe();
    // The client's iterator has stop() (a QueuedIterator), though the type does not say so.
    (status as { stop?: () => void }).stop?.();
  };
}

/** Options for {@linkcode hedged}. */
export interface HedgedOptions<T> {
  /** Another attempt is started this often (ms) while none has succeeded... */
  everyMs: number;
  /** ...at least this many in all... */
  attempts: number;
  /** ...and more while this says so. */
  more?: () => boolean;
  /** Called with an attempt that succeeded after another one (or after a cancel): to release it. */
  late?: (value: T) => void;
}

/** A hedged request under way: its outcome, and how to stop waiting for it. */
export interface Hedged<T> {
  /** The first success, undefined once cancelled; rejects when every attempt failed. */
  result: Promise<T | undefined>;
  /** Stops starting attempts and settles `result` with undefined (if not settled yet). */
  cancel(): void;
}

/** Starts `attempt()` now and again every `everyMs` until one succeeds (see {@linkcode HedgedOptions}). */
export function hedged<T>(attempt: () => Promise<T>, options: HedgedOptions<T>): Hedged<T> {
  let cancel!: () => void;
  const result = new Promise<T | undefined>((resolve, reject) => {
    let done = false;
    let started = 0;
    let pending = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const more = () => started < options.attempts || (options.more?.() ?? false);
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      settle();
    };
    const start = () => {
      if (done) return;
      started++;
      pending++;
      attempt().then(
        (value) => done ? options.late?.(value) : finish(() => resolve(value)),
        (error) => {
          pending--;
          if (pending === 0 && !more()) finish(() => reject(error));
        },
      );
      if (more()) timer = setTimeout(start, options.everyMs);
    };
    cancel = () => finish(() => resolve(undefined));
    start();
  });
  return { result, cancel };
}

/**
 * While a request that makes a short-lived R1 consumer (a history read, a
 * bucket's key listing) is unanswered, another is sent every
 * CONSUMER_HEDGE_MS (ms), until {@linkcode CONSUMER_BOUND_MS}: JetStream
 * (2.9) places an R1 consumer on any replica of its stream, a dead one
 * included, and never answers a request placed there (measured: about half
 * of the history reads refused after 5 s while one NATS node was down;
 * docs/cluster_progress.md, "History reads made on a dead replica"). Short:
 * a user waits on these, and an answered request takes milliseconds.
 */
export const CONSUMER_HEDGE_MS = 500;
/** How long (ms) such a consumer's making may take in all: a JetStream request's own timeout. */
export const CONSUMER_BOUND_MS = 5_000;

/**
 * The first of `make()`'s results, asked again every {@linkcode CONSUMER_HEDGE_MS}
 * while none came, failing after {@linkcode CONSUMER_BOUND_MS} (`what`
 * names it in the error). Only unanswered requests are asked again: a
 * refusal (JetStream answering with an error) fails it at once, as an
 * unhedged request would. The others made are handed to `release` when
 * they come.
 */
export async function firstMade<T>(
  make: () => Promise<T>,
  release: (late: T) => void,
  what: string,
): Promise<T> {
  let refuse!: (error: unknown) => void;
  const refused = new Promise<never>((_, reject) => refuse = reject);
  const pending = hedged(() => make().catch((error) => (refuse(error), Promise.reject(error))), {
    everyMs: CONSUMER_HEDGE_MS,
    attempts: Math.ceil(CONSUMER_BOUND_MS / CONSUMER_HEDGE_MS),
    late: release,
  });
  try {
    const made = await bounded(CONSUMER_BOUND_MS, Promise.race([pending.result, refused]), what);
    if (made === undefined) throw new Error(`${what}: given up`);
    return made;
  } finally {
    pending.cancel(); // Those still under way are released when they come.
  }
}

/** The keys of `kv` (its listing is an R1 consumer: made with {@linkcode firstMade}). */
export async function bucketKeys(kv: KV): Promise<string[]> {
  const listing = await firstMade(() => kv.keys(), (late) => late.stop(), "KV keys");
  const keys: string[] = [];
  for await (const key of listing) keys.push(key);
  return keys;
}

/** How long the first reader may take to be made (ms). */
export const FIRST_READER_MS = 30_000;

/**
 * `make()`, asked again while it fails by `timedOut` (JetStream not
 * answering within a reader's short timeout: a stream just created,
 * elections, a loaded machine), for up to {@linkcode FIRST_READER_MS}.
 */
export async function untilAnswered<T>(
  make: () => Promise<T>,
  timedOut: (error: unknown) => boolean,
): Promise<T> {
  const deadline = performance.now() + FIRST_READER_MS;
  while (true) {
    try {
      return await make();
    } catch (error) {
      if (!timedOut(error) || performance.now() > deadline) throw error;
    }
  }
}
