/**
 * Creating a key of the nick bucket within a bound, safely tried again.
 * Right after NATS restarts, JetStream may drop a write while it settles: a
 * plain `kv.create` then waits its 5 s timeout, and the read that follows
 * another 5 s, before a newcomer hears anything. Here each write and read
 * waits {@linkcode CLAIM_TRY_MS}, and a write that got no answer (it may
 * still have been stored) is followed by a read of the key: a record this
 * claim wrote (`mine`) is ours, an empty or deleted key is written again
 * on its revision, another's record is the holder. A write on a revision
 * (a deleted key's) counts once its revision is confirmed as the key's last
 * (kv_settled.ts): nats-server 2.9 may take two such writes at once, and
 * then the later one holds the key, so two claimants still cannot both
 * win. After {@linkcode CLAIM_MS} in all the claim is refused with
 * `cluster_unavailable`.
 *
 * @module
 */

import type { KV, KvEntry } from "@nats-io/kv";
import { bounded } from "./nats_link.ts";
import {
  confirmed,
  leaderEntry,
  OverwrittenError,
  settledRevision,
  WRONG_LAST_SEQUENCE,
} from "./kv_settled.ts";
import { unavailable } from "./remote_member.ts";

/** How long one write or read of a claim waits for JetStream, in ms. */
export const CLAIM_TRY_MS = 600;
/** How long a whole claim (the nick key and its look-alike keys) may take, in ms. */
export const CLAIM_MS = 2_000;
/** The pause before trying again when NATS refused at once (no responder yet), in ms. */
const RETRY_PAUSE_MS = 100;

/** The outcome of {@linkcode claimKey}: the revision created, or the entry of another holder. */
export type Claimed = { revision: number; holder?: undefined } | {
  revision?: undefined;
  holder: KvEntry;
};

/**
 * Creates `key` with `value` unless it holds a record (`mine` tells this
 * claim's own from another's) before `deadline` (`performance.now()` ms).
 *
 * @throws {ChatError} `cluster_unavailable` when NATS gave no answer by the deadline
 */
export async function claimKey(
  kv: KV,
  key: string,
  value: string,
  mine: (entry: KvEntry) => boolean,
  deadline: number,
): Promise<Claimed> {
  let previous = 0;
  let written: number | undefined; // A revision holding this claim's record, not yet confirmed.
  let settled = false; // Whether the key was confirmed moved on: read it from the stream's leader.
  let failure: unknown = new Error("no time left to claim");
  while (performance.now() < deadline) {
    const wait = () => Math.max(1, Math.min(CLAIM_TRY_MS, deadline - performance.now()));
    const tried = performance.now();
    try {
      if (written === undefined) {
        written = await kv.put(key, value, { previousSeq: previous, timeout: wait() });
        if (previous === 0) return { revision: written }; // Checked in the stream's order.
      }
      const last = await settledRevision(kv, key, wait());
      if (last === written) return { revision: written };
      written = undefined; // Another write came after it: whose is read below.
      settled = true;
    } catch (error) {
      failure = error; // Taken, or no answer (then perhaps stored): the key says which.
      if (written !== undefined) { // Stored, not yet confirmed: confirmed again.
        if (performance.now() - tried < RETRY_PAUSE_MS) await pause(RETRY_PAUSE_MS);
        continue;
      }
    }
    let entry: KvEntry | null;
    try {
      entry = await (settled
        ? leaderEntry(kv, key, wait())
        : bounded(wait(), kv.get(key), "nick claim read"));
    } catch (error) {
      failure = error;
      if (performance.now() - tried < RETRY_PAUSE_MS) await pause(RETRY_PAUSE_MS);
      continue;
    }
    if (entry?.operation === "PUT") {
      if (!mine(entry)) return { holder: entry };
      written = entry.revision; // Stored after all (a write with no answer): confirmed first.
      continue;
    }
    previous = entry?.revision ?? 0; // Free (or deleted at that revision): written on it.
  }
  // A record written but never confirmed is refused with the claim: not left holding the key
  // (only a dead node's leftovers are swept, so it would block the nick while this node lives).
  if (written !== undefined) void freeKey(kv, key, written);
  throw unavailable(failure);
}

/**
 * Writes `value` over another's record at its `revision` (taking it over:
 * a ghost of the same key, a dead node's member); the new revision once
 * confirmed as the key's last (kv_settled.ts), by `deadline` (a claim's). A
 * record written but not confirmed in time is deleted again, as
 * {@linkcode claimKey}'s: it would hold the key while this node lives.
 *
 * @throws {Error} when the key moved on, the write lost to one that raced it, or no answer came
 */
export async function takeKey(
  kv: KV,
  key: string,
  value: string,
  revision: number,
  deadline = performance.now() + CLAIM_MS,
): Promise<number> {
  const left = () => Math.max(1, deadline - performance.now());
  const written = await kv.put(key, value, { previousSeq: revision, timeout: left() });
  try {
    return await confirmed(kv, key, written, left());
  } catch (error) {
    if (!(error instanceof OverwrittenError)) void freeKey(kv, key, written);
    throw error;
  }
}

/** Whether `entry` holds JSON with these fields (a claim's own record, read back). */
export function holds(entry: KvEntry, fields: Record<string, unknown>): boolean {
  try {
    const record = entry.json<Record<string, unknown>>();
    return Object.entries(fields).every(([name, value]) => record?.[name] === value);
  } catch {
    return false;
  }
}

/** How long {@linkcode freeKey} goes on trying, in ms. */
const FREE_MS = 30_000;

/**
 * Deletes `key` if it still holds `revision`. A delete NATS drops (JetStream
 * settling after a leader change) is tried again with backoff, for up to
 * {@linkcode FREE_MS}: a key left behind would keep a member listed on
 * every node. Stops as soon as the key holds another revision (a delete
 * that was stored after all, or a new holder), or once `goOn` says so.
 */
export async function freeKey(
  kv: KV,
  key: string,
  revision: number,
  goOn: () => boolean = () => true,
): Promise<void> {
  if (revision <= 0) return;
  const deadline = performance.now() + FREE_MS;
  for (let wait = 200; performance.now() < deadline; wait = Math.min(2 * wait, 2_000)) {
    try {
      return await bounded(2_000, kv.delete(key, { previousSeq: revision }), "nick free");
    } catch (error) {
      if ((error as { code?: unknown }).code === WRONG_LAST_SEQUENCE || !goOn()) return;
    }
    await pause(wait);
  }
}

/**
 * Writes this node's new `value` over its own record at `revision`; the new
 * revision, or undefined once the key is no longer ours. An update NATS
 * drops (a leader change) is tried again with backoff for up to
 * {@linkcode FREE_MS}; one that was stored after all shows as ours when the
 * key is read back (`ours`), and is kept. A record left half-written (a
 * claim still marked) would keep the member unlisted on other nodes.
 */
export async function updateOwnKey(
  kv: KV,
  key: string,
  value: string,
  revision: number,
  ours: (entry: KvEntry) => boolean,
  goOn: () => boolean = () => true,
): Promise<number | undefined> {
  const deadline = performance.now() + FREE_MS;
  for (let wait = 200;; wait = Math.min(2 * wait, 2_000)) {
    try {
      return await bounded(2_000, kv.update(key, value, revision), "nick record");
    } catch (error) {
      if (!goOn() || performance.now() > deadline) throw error;
      const entry = await bounded(2_000, kv.get(key), "nick record").catch(() => undefined);
      if (entry !== undefined) {
        if (entry === null || entry.operation !== "PUT" || !ours(entry)) return undefined;
        if (entry.string() === value) return entry.revision; // Stored after all.
        revision = entry.revision;
      }
    }
    await pause(wait);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
