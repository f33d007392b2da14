/**
 * When a reconnecting session tries again, and when it gives up: the
 * backoff with jitter, which refusals and goodbyes are final, and the words
 * for an attempt that failed.
 *
 * @module
 */

import { ConnectError } from "../errors.ts";
import { describeFailure } from "./pipe.ts";
import { ServerNotFoundError } from "./resolver.ts";
import type { SessionEvent } from "./session_events.ts";

/**
 * Refusals that retrying will not fix. `session_replaced`: another
 * connection with our key took over; reconnecting would take it back, and
 * the two would push each other out forever.
 */
export const FATAL_CODES: ReadonlySet<string> = new Set([
  "bad_nick",
  "protocol_version",
  "protocol",
  "password_required",
  "access_denied",
  "banned",
  "nick_registered",
  "session_replaced",
  "untrusted_server",
]);

/**
 * Refusals of the nick itself. When the user picked the nick while offline
 * (`/nick` while refused), these are theirs to fix, not the end of the
 * session.
 */
export const NICK_CODES: ReadonlySet<string> = new Set([
  "nick_taken",
  "bad_nick",
  "nick_registered",
]);

/** Goodbyes after which reconnecting would defy the server (kicked, refused at the door). */
export const FINAL_BYE_REASONS: ReadonlySet<string> = new Set(["protocol", "kicked", "denied"]);

/** The backoff's settings. */
export interface Backoff {
  /** First delay; it doubles per failure up to `maxDelayMs`. */
  initialDelayMs: number;
  /** Longest delay before jitter. */
  maxDelayMs: number;
  /** Randomness for the jitter, in [0, 1). */
  random: () => number;
}

/**
 * The wait before attempt `attempt + 1`: exponential, capped, with jitter
 * of 50% to 150% so the clients of a restarted server spread out.
 */
export function retryDelay(attempt: number, backoff: Backoff): number {
  const base = Math.min(
    backoff.maxDelayMs,
    backoff.initialDelayMs * 2 ** Math.min(attempt, 20),
  );
  return Math.round(base * (0.5 + backoff.random()));
}

/**
 * Why an attempt did not reach the server, short: "connection refused"
 * (the caller says where), or the error's own message.
 */
export function unreachedReason(error: unknown): string {
  // The resolver's failure says itself what went wrong ("cannot find the server: ...").
  if (error instanceof ServerNotFoundError) return error.message;
  if (error instanceof ConnectError && error.cause !== undefined) {
    return describeFailure(error.cause);
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The offline status line: before the first attempt, after a refusal (in
 * the server's words, with a hint when the nick was refused), or after an
 * attempt that did not reach the server.
 */
export function offlineMessage(
  attempt: number,
  delayMs: number,
  refusal: { code: string; reason: string } | undefined,
  failure: string,
): string {
  const wait = `${(delayMs / 1000).toFixed(1)} s`;
  if (attempt === 0) return `Disconnected; reconnecting in ${wait}`;
  if (refusal) {
    const hint = NICK_CODES.has(refusal.code)
      ? " (or /nick <nick> to come back under another nick)"
      : "";
    return `Refused: ${refusal.reason}; retrying in ${wait}${hint}`;
  }
  return `Still offline (attempt ${attempt}: ${failure}); retrying in ${wait}`;
}

/**
 * What the user is told when the cluster refused a message that this client
 * sends again by itself: one line, that it is queued and goes again (the
 * server's "Not sent ... try again" is for clients whose users retype).
 */
export function* retryStatus(pauseMs: number | undefined): Generator<SessionEvent> {
  if (pauseMs === undefined) return;
  yield {
    type: "status",
    state: "warning",
    message: `Queued: the server's cluster cannot store messages right now; sending it again in ${
      Math.round(pauseMs / 1000)
    } s`,
  };
}
