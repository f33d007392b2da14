/**
 * Waiting for JetStream at a cluster node's start. Right after the NATS
 * servers start (or restart), JetStream answers some requests before it
 * serves every stream and bucket: a stream without a leader yet, a stream
 * being created by another node, the meta layer still electing. Those
 * requests time out or come back "temporarily unavailable"; they succeed a
 * few seconds later. A node therefore tries each start step again, with a
 * growing pause, for a bounded time, says once that it is waiting, and
 * gives up with the last error. Other errors (refused credentials, storage
 * NATS cannot offer, a bad configuration) fail at once.
 *
 * @module
 */

/** How long a start step is tried again while JetStream is not ready, in ms. */
export const JETSTREAM_WAIT_MS = 60_000;

/** Options for {@linkcode untilReady}. */
export interface UntilReadyOptions {
  /** How long to keep trying, from the first attempt, in ms. @default {JETSTREAM_WAIT_MS} */
  waitMs?: number;
  /** The first pause, doubled after each failure up to `maxPauseMs`. @default {250} */
  pauseMs?: number;
  /** @default {4000} */
  maxPauseMs?: number;
  /**
   * A step's own "not yet" answers, waited for as {@linkcode isNotReady}'s are
   * (a stream just created answering "stream not found" from a server that has
   * not heard of it yet, say).
   */
  alsoNotReady?: (error: unknown) => boolean;
  /** Told once per step, at its first failure that is worth waiting for. */
  onWait?: (error: unknown, waitMs: number) => void;
  /** The clock, for tests. @default {performance.now} */
  now?: () => number;
  /** How to pause, for tests. @default {setTimeout} */
  sleep?: (ms: number) => Promise<void>;
}

/** Thrown when a step still failed at the end of the wait. */
export class JetStreamNotReadyError extends Error {
  /** How many attempts were made. */
  readonly attempts: number;

  /** Names the error; `cause` is the last failure. */
  constructor(message: string, attempts: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "JetStreamNotReadyError";
    this.attempts = attempts;
  }
}

/**
 * Whether `error` says JetStream is not ready yet (worth trying again):
 * a request that timed out or found no responder, JetStream not (yet)
 * enabled on the server reached, or one of JetStream's "not now" answers.
 */
export function isNotReady(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (["TimeoutError", "NoResponders", "JetStreamNotEnabled"].includes(e.name)) return true;
    if (
      /\btimeout\b|timed out|no responders|temporarily unavailable|not ready|no suitable peers|jetstream not enabled|jetstream is not enabled|no leader|offline/i
        .test(e.message)
    ) return true;
  }
  return false;
}

/**
 * Runs `attempt` until it resolves; a failure {@linkcode isNotReady} counts
 * is tried again after a pause (250 ms, doubled up to 4 s) while the wait
 * lasts; any other failure is thrown at once.
 *
 * @throws {JetStreamNotReadyError} with the last failure as `cause` when the wait ran out
 */
export async function untilReady<T>(
  attempt: () => Promise<T>,
  options: UntilReadyOptions = {},
): Promise<T> {
  const waitMs = options.waitMs ?? JETSTREAM_WAIT_MS;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ??
    ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  let pause = options.pauseMs ?? 250;
  for (let attempts = 1;; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isNotReady(error) && !options.alsoNotReady?.(error)) throw error;
      const left = waitMs - (now() - started);
      if (left <= 0) {
        const seconds = Math.round(waitMs / 1000);
        throw new JetStreamNotReadyError(
          `${message(error)} (JetStream still not ready after ${seconds} s, ${attempts} attempts)`,
          attempts,
          { cause: error },
        );
      }
      if (attempts === 1) options.onWait?.(error, waitMs);
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, options.maxPauseMs ?? 4_000);
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
