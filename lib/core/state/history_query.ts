/**
 * History queries beyond "older than an id": before, after, latest, around
 * and between a message id or a time, each reduced to ranges a
 * {@linkcode HistoryStore} answers (`range`: open bounds, newest or oldest
 * first, a limit). `/history` (lib/core/commands/history.ts) and IRC's
 * `CHATHISTORY` both ask through {@linkcode queryHistory}.
 *
 * @module
 */

import type { MessageEvent } from "../events.ts";

/** A point in a room's history: a message id, or a time (ms since the epoch). */
export type HistoryRef = { id: number } | { ts: number };

/**
 * Messages strictly between two points (either may be open), the `limit`
 * oldest of them (`newest: false`) or the `limit` newest; always returned
 * oldest first.
 */
export interface HistoryRange {
  /** Only messages after this point (exclusive). */
  above?: HistoryRef;
  /** Only messages before this point (exclusive). */
  below?: HistoryRef;
  /** Take the newest `limit` of the range instead of the oldest. */
  newest: boolean;
  /** Most messages returned. */
  limit: number;
}

/** What a client asks for; the limit is checked by the caller. */
export type HistoryQuery =
  | { kind: "before" | "after" | "around"; ref: HistoryRef; limit: number }
  | { kind: "latest"; ref?: HistoryRef; limit: number }
  | { kind: "between"; ref: HistoryRef; end: HistoryRef; limit: number };

/** The one method of a store the queries need. */
export interface HistoryRanges {
  /** See {@linkcode HistoryRange}. */
  range(foldedRoom: string, range: HistoryRange): Promise<MessageEvent[]>;
}

/** The key of `message` a bound compares: its id or its time. */
export function refKey(message: MessageEvent, ref: HistoryRef): number {
  return "id" in ref ? message.id : message.ts;
}

/** The value of a bound (an id or a time). */
export function refValue(ref: HistoryRef): number {
  return "id" in ref ? ref.id : ref.ts;
}

/** Whether `message` lies inside `range`'s bounds. */
export function inRange(message: MessageEvent, range: HistoryRange): boolean {
  const { above, below } = range;
  return (above === undefined || refKey(message, above) > refValue(above)) &&
    (below === undefined || refKey(message, below) < refValue(below));
}

/** The point just before `ref`, so a bound above it includes it (ids and ms are integers). */
function justBefore(ref: HistoryRef): HistoryRef {
  return "id" in ref ? { id: ref.id - 1 } : { ts: ref.ts - 1 };
}

/**
 * The messages `query` asks for in a room, oldest first, at most its limit:
 * - `before`: the newest before the point; `after`: the oldest after it;
 * - `latest`: the newest (after the point, when there is one);
 * - `around`: up to half the limit before the point, and the rest from it
 *   on (a message at the point included), more on one side when the other
 *   runs out;
 * - `between`: strictly between the two points, starting from the first
 *   (the oldest when it is the earlier point, else the newest).
 */
export async function queryHistory(
  store: HistoryRanges,
  foldedRoom: string,
  query: HistoryQuery,
): Promise<MessageEvent[]> {
  const { limit } = query;
  switch (query.kind) {
    case "before":
      return await store.range(foldedRoom, { below: query.ref, newest: true, limit });
    case "after":
      return await store.range(foldedRoom, { above: query.ref, newest: false, limit });
    case "latest":
      return await store.range(foldedRoom, {
        ...(query.ref ? { above: query.ref } : {}),
        newest: true,
        limit,
      });
    case "around": {
      const from = justBefore(query.ref);
      const half = Math.floor(limit / 2);
      const before = await store.range(foldedRoom, { below: query.ref, newest: true, limit });
      const kept = before.slice(Math.max(0, before.length - half));
      const after = await store.range(foldedRoom, {
        above: from,
        newest: false,
        limit: limit - kept.length,
      });
      // The side after the point ran out: more from before it.
      const extra = limit - kept.length - after.length;
      const earlier = extra > 0 ? before.slice(Math.max(0, before.length - half - extra)) : kept;
      return [...earlier, ...after];
    }
    case "between": {
      const forward = await earlier(store, foldedRoom, query.ref, query.end);
      return await store.range(
        foldedRoom,
        forward
          ? { above: query.ref, below: query.end, newest: false, limit }
          : { above: query.end, below: query.ref, newest: true, limit },
      );
    }
  }
}

/**
 * Whether `a` comes before (or at) `b`. An id and a time are compared
 * through the time of the message with that id (a missing one: the next
 * message's; none after it: forward).
 */
async function earlier(
  store: HistoryRanges,
  foldedRoom: string,
  a: HistoryRef,
  b: HistoryRef,
): Promise<boolean> {
  if (("id" in a) === ("id" in b)) return refValue(a) <= refValue(b);
  const id = "id" in a ? a : b as { id: number };
  const [message] = await store.range(foldedRoom, {
    above: justBefore(id),
    newest: false,
    limit: 1,
  });
  if (message === undefined) return true;
  const ts = message.ts;
  return "id" in a ? ts <= refValue(b) : refValue(a) <= ts;
}
