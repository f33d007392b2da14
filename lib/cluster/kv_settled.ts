/**
 * Compare-and-set writes to a KV bucket that hold on nats-server 2.9.
 *
 * A write that names the revision it expects the key at
 * (`Nats-Expected-Last-Subject-Sequence`: `kv.update`, `kv.create` of a
 * deleted key, a delete at a revision) is checked by nats-server 2.9 (the
 * tests' and Debian's 2.9.10) against what the bucket's stream has
 * applied, not against a write to the same key still being replicated
 * (nats-server issue 4320, fixed in later servers). Two nodes writing one
 * key at one revision at once may both be told they wrote it: the stream
 * then holds both, the later over the earlier. Measured on 3 servers on
 * loopback, two writes sent at once were both taken in a quarter to three
 * quarters of tries (docs/cluster_progress.md, "Compare-and-set writes on
 * nats-server 2.9"). Two checks of 2.9 do hold: expecting revision 0 (a key
 * that holds nothing, not even a deletion) is checked when the write is
 * applied, in the stream's order; so is a stream-wide expected last
 * sequence.
 *
 * {@linkcode settledRevision} uses the first to learn the key's revision
 * in the stream's order: it sends a deletion of the key that expects it to
 * hold nothing. The leader proposes it after every write it took before
 * it, and refuses it as it applies it, naming the key's last revision then.
 * A write that raced another at one revision was answered only once applied,
 * and the other was taken before that (it passed the same stale check), so
 * a settled revision asked for after the answer counts it: the write
 * stands if the key's last revision is still its own, and lost (to the write
 * after it) otherwise. Of writers that race, at most one sees its own (none
 * when a third write lands right after both, or a confirmation times out).
 * {@linkcode putAt} and {@linkcode createKey} are `kv.update` and
 * `kv.create` confirmed so; {@linkcode deleteAt} answers a deletion's
 * revision, for {@linkcode confirmed}. On a server with the issue fixed nothing
 * races, and the confirmation costs its round trip only.
 *
 * @module
 */

import { headers } from "@nats-io/transport-node";
import { JetStreamApiError } from "@nats-io/jetstream";
import { Bucket, type KV, type KvEntry } from "@nats-io/kv";
import { bounded } from "./nats_link.ts";

/** JetStream's error code for a write whose expected last revision is not the key's. */
export const WRONG_LAST_SEQUENCE = 10071;

/** The body of the confirmation's deletion. */
const EMPTY = new Uint8Array();
/** How long one write or read here waits for JetStream unless told, in ms. */
const ANSWER_MS = 5_000;

/** A compare-and-set NATS took, and then another write (one that passed the same check) came after it. */
export class OverwrittenError extends Error {
  /** JetStream's code for a wrong expected revision: callers take it as the refusal it should have been. */
  readonly code = WRONG_LAST_SEQUENCE;
  /** The revision this write was stored at. */
  readonly revision: number;
  /** The key's last revision when it was checked. */
  readonly last: number;

  /** Names the error. */
  constructor(key: string, revision: number, last: number) {
    super(`The write of "${key}" at revision ${revision} was overwritten at ${last}`);
    this.name = "OverwrittenError";
    this.revision = revision;
    this.last = last;
  }
}

/**
 * The last revision of `key` once every write the bucket's stream took
 * before this call is applied (see the module doc); a key that holds
 * nothing at all is left holding a deletion, whose revision is returned.
 */
export async function settledRevision(kv: KV, key: string, ms = ANSWER_MS): Promise<number> {
  const bucket = asBucket(kv);
  const marker = headers();
  marker.set("KV-Operation", "DEL"); // Harmless should it be stored: the key holds nothing.
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      const ack = await bucket.js.publish(
        bucket.subjectForKey(bucket.encodeKey(key), true),
        EMPTY,
        {
          headers: marker,
          expect: { lastSubjectSequence: 0 },
          timeout: Math.max(1, deadline - performance.now()),
        },
      );
      return ack.seq;
    } catch (error) {
      if (!(error instanceof JetStreamApiError)) throw error;
      const found = /wrong last sequence: (\d+)/.exec(error.message);
      if (found) return Number(found[1]);
      // A refusal naming no revision: a server with issue 4320 fixed (not 2.9) refuses a write
      // at a revision while another to the key is in flight. Asked again once that one is in.
      if (!/wrong last sequence/.test(error.message) || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/**
 * Writes `value` under `key` if the key is at revision `previous` (0: holds
 * nothing), and confirms it stands; its revision.
 *
 * @throws {OverwrittenError} when a write that raced it came after it
 * @throws {JetStreamApiError} `WRONG_LAST_SEQUENCE` when the key is not at `previous`
 */
export async function putAt(
  kv: KV,
  key: string,
  value: string,
  previous: number,
  ms = ANSWER_MS,
): Promise<number> {
  const revision = await kv.put(key, value, { previousSeq: previous, timeout: ms });
  if (previous === 0) return revision; // Checked in the stream's order already.
  return await confirmed(kv, key, revision, ms);
}

/**
 * `revision`, a write to `key` at a revision above 0, once confirmed as the
 * key's last (see the module doc).
 *
 * @throws {OverwrittenError} when a write that raced it came after it
 */
export async function confirmed(kv: KV, key: string, revision: number, ms = ANSWER_MS) {
  const last = await settledRevision(kv, key, ms);
  if (last !== revision) throw new OverwrittenError(key, revision, last);
  return revision;
}

/**
 * `kv.delete` of `key` if it is at revision `previous` (above 0), answering
 * the deletion's revision, which `kv.delete` does not. Like every write at a
 * revision on 2.9 it may be taken although a write that raced it was too:
 * {@linkcode confirmed} tells whether it stands as the key's last write.
 *
 * @throws {JetStreamApiError} `WRONG_LAST_SEQUENCE` when the key is not at `previous`
 */
export async function deleteAt(kv: KV, key: string, previous: number, ms = ANSWER_MS) {
  const bucket = asBucket(kv);
  const operation = headers();
  operation.set("KV-Operation", "DEL");
  const ack = await bucket.js.publish(bucket.subjectForKey(bucket.encodeKey(key), true), EMPTY, {
    headers: operation,
    expect: { lastSubjectSequence: previous },
    timeout: ms,
  });
  return ack.seq;
}

/**
 * `kv.create`, confirmed: writes `value` under `key` if it holds nothing
 * or a deletion; its revision.
 *
 * @throws {OverwrittenError} when a write that raced it came after it
 * @throws {JetStreamApiError} `WRONG_LAST_SEQUENCE` when the key holds a value
 */
export async function createKey(kv: KV, key: string, value: string, ms = ANSWER_MS) {
  try {
    return await putAt(kv, key, value, 0, ms);
  } catch (error) {
    if ((error as { code?: unknown }).code !== WRONG_LAST_SEQUENCE) throw error;
    const entry = await leaderEntry(kv, key, ms);
    if (!entry || entry.operation === "PUT") throw error;
    return await putAt(kv, key, value, entry.revision, ms); // Over its deletion.
  }
}

/**
 * The entry of `key` as the stream's leader holds it, or null. `kv.get`
 * may be answered by any replica (direct gets), one that has not yet
 * applied the last write; the leader has applied every write whose answer
 * or settled revision (above) came before this call.
 */
export async function leaderEntry(kv: KV, key: string, ms = ANSWER_MS): Promise<KvEntry | null> {
  const bucket = asBucket(kv);
  const stored = await bounded(
    ms,
    bucket.jsm.streams.getMessage(bucket.bucketName(), {
      last_by_subj: bucket.subjectForKey(bucket.encodeKey(key)),
    }),
    "KV read",
  );
  return stored ? bucket.smToEntry(stored) : null;
}

function asBucket(kv: KV): Bucket {
  if (!(kv instanceof Bucket)) throw new TypeError("Not a bucket of @nats-io/kv");
  return kv;
}
