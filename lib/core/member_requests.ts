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

/**
 * Runs `action` for `member` in turn, if `allowed` (the rate limit's
 * verdict, asked when its turn comes) lets it: whether it succeeded, or a
 * promise of that when it, or a request before it, waits.
 */
export function runRequest(
  member: Member,
  action: () => void | Promise<void>,
  allowed: (member: Member) => boolean,
): boolean | Promise<boolean> {
  const pending = member.pending;
  if (pending === undefined) return run(member, action, allowed);
  const next = () => run(member, action, allowed);
  return wait(member, pending.then(next, next));
}

function run(
  member: Member,
  action: () => void | Promise<void>,
  allowed: (member: Member) => boolean,
): boolean | Promise<boolean> {
  if (member.gone) return false;
  if (!allowed(member)) return false;
  let result;
  try {
    result = action();
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
