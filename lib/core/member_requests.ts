/**
 * One member's requests, in order and behind an error boundary: a request
 * runs once the one before it settled (a command that waits on a store
 * answers with a promise, and the member's later requests wait behind it),
 * is charged to the rate limit when its turn comes, and a `ChatError` it
 * throws becomes an `error` event for that member only.
 *
 * @module
 */

import { ChatError } from "./errors.ts";
import type { Member } from "./member.ts";

/** A request: called with the arguments given to {@linkcode runRequest}. */
export type RequestAction<A, B, C> = (a: A, b: B, c: C) => void | Promise<void>;

/**
 * Runs `action(a, b, c)` for `member` in turn, if `allowed` (the rate
 * limit's verdict, asked when its turn comes) lets it: whether it succeeded,
 * or a promise of that when it, or a request before it, waits. The
 * arguments let a caller pass one action made once instead of a closure
 * made per request (a message is one of these a line).
 */
export function runRequest<A = undefined, B = undefined, C = undefined>(
  member: Member,
  action: RequestAction<A, B, C>,
  allowed: (member: Member) => boolean,
  a?: A,
  b?: B,
  c?: C,
): boolean | Promise<boolean> {
  const pending = member.pending;
  if (pending === undefined) return run(member, action, allowed, a!, b!, c!);
  const next = () => run(member, action, allowed, a!, b!, c!);
  return wait(member, pending.then(next, next));
}

function run<A, B, C>(
  member: Member,
  action: RequestAction<A, B, C>,
  allowed: (member: Member) => boolean,
  a: A,
  b: B,
  c: C,
): boolean | Promise<boolean> {
  if (member.gone) return false;
  if (!allowed(member)) return false;
  let result;
  try {
    result = action(a, b, c);
  } catch (error) {
    return refuse(member, error);
  }
  if (result === undefined) return true;
  return wait(member, result.then(() => true, (error) => refuse(member, error)));
}

/** Makes `settled` the member's pending request until it settles. */
function wait(member: Member, settled: Promise<boolean>): Promise<boolean> {
  member.pending = settled;
  const done = () => {
    if (member.pending === settled) member.pending = undefined;
  };
  settled.then(done, done);
  return settled;
}

/** Tells the sender why its request failed; anything but a `ChatError` is a bug, rethrown. */
function refuse(member: Member, error: unknown): false {
  if (!(error instanceof ChatError)) throw error;
  member.sink.deliver({ type: "error", code: error.code, message: error.message });
  return false;
}
