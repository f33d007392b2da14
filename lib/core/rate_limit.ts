/**
 * A member's rate limit: one token a request, refused past the limit, and
 * the member disconnected when it floods on regardless of the refusals.
 *
 * @module
 */

import type { ByeEvent, ErrorEvent } from "./events.ts";
import type { RateLimit } from "./hub_options.ts";
import type { Member } from "./member.ts";
import { TokenBucket } from "./token_bucket.ts";

/** What charging a request decided: let it through, refuse it, or drop the member for flooding. */
export type RateVerdict = "allowed" | "refused" | "flooding";

/** Charges one request to `member` (its buckets are made on first use). */
export function chargeRequest(member: Member, limit: RateLimit, now: () => number): RateVerdict {
  member.bucket ??= new TokenBucket(limit, now);
  if (member.bucket.take()) return "allowed";
  member.refusals ??= new TokenBucket({ rate: limit.rate, burst: limit.floodLimit }, now);
  return member.refusals.take() ? "refused" : "flooding";
}

/** The refusal a member gets over its limit: how fast it may go and when to try again. */
export function rateLimited(member: Member, limit: RateLimit): ErrorEvent {
  const wait = ((member.bucket?.waitMs() ?? 0) / 1000).toFixed(1);
  return {
    type: "error",
    code: "rate_limited",
    message: `Slow down: at most ${limit.rate} message${
      limit.rate === 1 ? "" : "s"
    } a second (bursts of ${limit.burst}); not sent, try again in ${wait} s`,
  };
}

/** The goodbye of a member disconnected for flooding. */
export function floodingBye(limit: RateLimit): ByeEvent {
  return {
    type: "bye",
    reason: "dropped",
    code: "flooding",
    message: `Disconnected for flooding: more than ${limit.floodLimit} messages refused`,
  };
}

/**
 * The check a hub runs before each request: charges it to the member's
 * limit (`false`: none) and acts on the verdict; over the limit the member
 * is told `rate_limited`, flooding on regardless it is dropped by `drop`.
 */
export function rateLimiter(
  limit: RateLimit | false,
  now: () => number,
  drop: (member: Member, bye: ByeEvent) => void,
): (member: Member) => boolean {
  if (!limit) return () => true;
  return (member) => {
    const verdict = chargeRequest(member, limit, now);
    if (verdict === "allowed") return true;
    if (verdict === "flooding") drop(member, floodingBye(limit));
    else member.sink.deliver(rateLimited(member, limit));
    return false;
  };
}
