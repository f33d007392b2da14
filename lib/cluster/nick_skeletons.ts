/**
 * Look-alike nicks across nodes: besides its nick key, a member's node
 * holds one key per look-alike skeleton of its nick
 * ({@linkcode lookAlikeSkeletons}) in the {@linkcode NICKS_BUCKET}
 * (`look.<base64url of the skeleton>`), taken by `kv.create`. Two look-alike
 * nicks ("bob" and "bоb" with a Cyrillic "о") share a skeleton, so of two
 * nodes claiming them at the same instant exactly one creates the shared
 * key. The keys are created in sorted order and a claim stops at its first
 * refusal: the two claims meet first at the smallest skeleton they share,
 * so one of them wins it and the other stops there, having created none of
 * the others they share (never both refused, never both admitted).
 *
 * A skeleton key is taken over (by revision) when its holder is the same
 * nick, the same key (a ghost, or a rename of the member itself), a nick of
 * a dead node, or a nick whose key is gone (a node stopped between the two
 * deletes): stale keys need no sweep of their own.
 *
 * @module
 */

import type { KV, KvEntry } from "@nats-io/kv";
import { lookAlikeSkeletons } from "../core/confusable.ts";
import { NickError } from "../core/errors.ts";
import { nickKey } from "./nick_record.ts";
import { CLAIM_MS, type Claimed, claimKey, holds, takeKey } from "./claim_key.ts";
import { roomSubject } from "./room_subject.ts";

/** The key prefix of skeleton keys in the nick bucket. */
export const SKELETON_KEY_PREFIX = "look";

/** Whether a key of the nick bucket is a skeleton key (not a nick's). */
export function isSkeletonKey(key: string): boolean {
  return key.startsWith(`${SKELETON_KEY_PREFIX}.`);
}

/** The skeleton keys of `nick`, sorted (the order claims take them in). */
export function skeletonKeys(nick: string): string[] {
  return [...new Set(lookAlikeSkeletons(nick).map((s) => roomSubject(s, SKELETON_KEY_PREFIX)))]
    .sort();
}

/** What a skeleton key holds: whose nick it belongs to. */
interface SkeletonRecord {
  folded: string;
  nick: string;
  node: string;
  fingerprint?: string;
}

/** Skeleton keys a node holds for one nick: key to revision. */
export type HeldSkeletons = Map<string, number>;

/** Who claims: the nick, the node, the key, and the member's present nick when renaming. */
export interface SkeletonClaim {
  nick: string;
  folded: string;
  node: string;
  fingerprint?: string;
  /** The folded nick the claimant holds now (a rename), whose skeletons it may take over. */
  was?: string;
  /** Whether `node` is dead (checked against the node bucket). */
  isDead(node: string): Promise<boolean>;
}

/**
 * Creates the skeleton keys of `claim.nick`; on a refusal deletes those it
 * created and throws. Bounded by `deadline` (`performance.now()` ms; see claim_key.ts).
 *
 * @throws {NickError} `nick_taken`, naming the look-alike nick that holds one
 */
export async function claimSkeletons(
  kv: KV,
  claim: SkeletonClaim,
  deadline = performance.now() + CLAIM_MS,
): Promise<HeldSkeletons> {
  const held: HeldSkeletons = new Map();
  const record: SkeletonRecord = {
    folded: claim.folded,
    nick: claim.nick,
    node: claim.node,
    ...(claim.fingerprint !== undefined ? { fingerprint: claim.fingerprint } : {}),
  };
  const value = JSON.stringify(record);
  const ours = { node: claim.node, folded: claim.folded };
  for (const key of skeletonKeys(claim.nick)) {
    let claimed: Claimed;
    try {
      claimed = await claimKey(kv, key, value, (entry) => holds(entry, ours), deadline);
    } catch (error) {
      freeSkeletons(kv, held);
      throw error; // cluster_unavailable
    }
    const entry = claimed.holder;
    if (!entry) {
      held.set(key, claimed.revision);
      continue;
    }
    const holder = parseSkeleton(entry);
    if (!holder || await mayTake(kv, holder, claim)) {
      const revision = await takeKey(kv, key, value, entry.revision, deadline).catch(() => 0);
      if (revision > 0) {
        held.set(key, revision);
        continue;
      }
    }
    freeSkeletons(kv, held);
    throw new NickError(
      "nick_taken",
      holder
        ? `Nick "${claim.nick}" looks like "${holder.nick}", who is online`
        : `Nick "${claim.nick}" is taken`,
    );
  }
  return held;
}

/** Deletes the skeleton keys still held at the revisions held (a newer holder keeps its own). */
export function freeSkeletons(kv: KV, held: HeldSkeletons | undefined): Promise<void> {
  if (!held?.size) return Promise.resolve();
  const deletes = [...held].map(([key, revision]) =>
    kv.delete(key, { previousSeq: revision }).catch(() => {})
  );
  held.clear();
  return Promise.all(deletes).then(() => {});
}

async function mayTake(kv: KV, holder: SkeletonRecord, claim: SkeletonClaim): Promise<boolean> {
  if (holder.folded === claim.folded) return true;
  if (holder.node === claim.node && holder.folded === claim.was) return true;
  if (claim.fingerprint !== undefined && holder.fingerprint === claim.fingerprint) return true;
  const nick = await kv.get(nickKey(holder.folded)).catch(() => undefined);
  if (nick === undefined) return false; // Cannot tell: refused.
  if (nick === null || nick.operation !== "PUT") return true; // Its nick is gone.
  return holder.node !== claim.node && await claim.isDead(holder.node);
}

function parseSkeleton(entry: KvEntry): SkeletonRecord | undefined {
  try {
    const r = entry.json() as Partial<SkeletonRecord> | null;
    if (
      typeof r === "object" && r !== null && typeof r.folded === "string" &&
      typeof r.nick === "string" && typeof r.node === "string"
    ) return r as SkeletonRecord;
  } catch {
    // Not ours: treated as stale.
  }
  return undefined;
}
