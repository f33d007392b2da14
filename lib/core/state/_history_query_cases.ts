/**
 * The cases every {@linkcode HistoryStore} must pass for history queries
 * (history_query.ts): the memory store's test and the SQLite store's run
 * them on their own store.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { MessageEvent } from "../events.ts";
import { type HistoryQuery, queryHistory } from "./history_query.ts";
import type { HistoryStore } from "./history_store.ts";

/** Ten messages of `#lobby`, ids 1 to 10, one second apart; one message of `#dev`. */
export function fill(store: HistoryStore): void {
  for (let id = 1; id <= 10; id++) store.append("#lobby", at(id));
  store.append("#dev", { ...at(11), room: "#dev" });
}

/** The time of message `id` in {@linkcode fill}. */
export function timeOf(id: number): number {
  return 1_700_000_000_000 + id * 1000;
}

function at(id: number): MessageEvent {
  return {
    type: "msg",
    room: "#lobby",
    id,
    ts: timeOf(id),
    from: "ana",
    text: `m${id}`,
    kind: "say",
  };
}

/** `[query, the ids it must give]`, for a store filled by {@linkcode fill}. */
export const CASES: [HistoryQuery, number[]][] = [
  [{ kind: "before", ref: { id: 7 }, limit: 20 }, [1, 2, 3, 4, 5, 6]],
  [{ kind: "before", ref: { id: 7 }, limit: 2 }, [5, 6]],
  [{ kind: "before", ref: { ts: timeOf(7) }, limit: 2 }, [5, 6]],
  [{ kind: "before", ref: { ts: timeOf(7) - 1 }, limit: 2 }, [5, 6]],
  [{ kind: "after", ref: { id: 4 }, limit: 20 }, [5, 6, 7, 8, 9, 10]],
  [{ kind: "after", ref: { id: 4 }, limit: 3 }, [5, 6, 7]],
  [{ kind: "after", ref: { ts: timeOf(4) }, limit: 3 }, [5, 6, 7]],
  [{ kind: "after", ref: { ts: timeOf(4) + 1 }, limit: 3 }, [5, 6, 7]],
  [{ kind: "after", ref: { id: 10 }, limit: 3 }, []],
  [{ kind: "latest", limit: 3 }, [8, 9, 10]],
  [{ kind: "latest", limit: 50 }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  [{ kind: "latest", ref: { id: 5 }, limit: 50 }, [6, 7, 8, 9, 10]],
  [{ kind: "latest", ref: { ts: timeOf(5) }, limit: 2 }, [9, 10]],
  [{ kind: "around", ref: { id: 8 }, limit: 1 }, [8]],
  [{ kind: "around", ref: { id: 8 }, limit: 3 }, [7, 8, 9]],
  [{ kind: "around", ref: { id: 8 }, limit: 4 }, [6, 7, 8, 9]],
  [{ kind: "around", ref: { ts: timeOf(8) }, limit: 3 }, [7, 8, 9]],
  [{ kind: "around", ref: { id: 10 }, limit: 5 }, [6, 7, 8, 9, 10]],
  [{ kind: "around", ref: { id: 1 }, limit: 3 }, [1, 2, 3]],
  [{ kind: "between", ref: { id: 1 }, end: { id: 10 }, limit: 50 }, [2, 3, 4, 5, 6, 7, 8, 9]],
  [{ kind: "between", ref: { id: 10 }, end: { id: 1 }, limit: 50 }, [2, 3, 4, 5, 6, 7, 8, 9]],
  [{ kind: "between", ref: { id: 1 }, end: { id: 10 }, limit: 3 }, [2, 3, 4]],
  [{ kind: "between", ref: { id: 10 }, end: { id: 1 }, limit: 3 }, [7, 8, 9]],
  [{ kind: "between", ref: { ts: timeOf(1) }, end: { ts: timeOf(10) }, limit: 3 }, [2, 3, 4]],
  [{ kind: "between", ref: { ts: timeOf(10) }, end: { ts: timeOf(1) }, limit: 3 }, [7, 8, 9]],
  [{ kind: "between", ref: { id: 10 }, end: { ts: timeOf(1) }, limit: 3 }, [7, 8, 9]],
  [{ kind: "between", ref: { ts: timeOf(1) }, end: { id: 10 }, limit: 3 }, [2, 3, 4]],
  [{ kind: "between", ref: { id: 5 }, end: { id: 6 }, limit: 3 }, []],
];

/** Runs every case on `store` (filled by {@linkcode fill}), naming the one that fails. */
export async function checkCases(store: HistoryStore): Promise<void> {
  for (const [query, ids] of CASES) {
    const got = (await queryHistory(store, "#lobby", query)).map((m) => m.id);
    assert.deepEqual(got, ids, JSON.stringify(query));
  }
  // Another room's messages never show; an unknown room is empty.
  assert.deepEqual(
    (await queryHistory(store, "#dev", { kind: "latest", limit: 5 })).map((m) => m.id),
    [11],
  );
  assert.deepEqual(await queryHistory(store, "#none", { kind: "latest", limit: 5 }), []);
}
