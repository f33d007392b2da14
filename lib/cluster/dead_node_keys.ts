/**
 * A dead node's leftovers in the {@linkcode NICKS_BUCKET}: besides the nick
 * keys of its members (which the presence sweep frees, announcing their
 * leaves), a node killed in the middle of a claim or a rename leaves nick
 * records still `claiming` (listed by no node) and look-alike skeleton keys.
 * This index follows every key of the bucket with the node its value names
 * (fed by the presence's watch), and its sweep deletes, by revision, the
 * keys of nodes the registry confirms dead, so that the bucket holds
 * nothing of a dead node once its members expire.
 *
 * @module
 */

import type { KV, KvEntry } from "@nats-io/kv";

/** Every key of the nick bucket, with the node its value names and its revision. */
export class DeadNodeKeys {
  readonly #keys = new Map<string, { node: string; revision: number }>();

  /** Follows one entry of the bucket's watch; returns it (to hand it on). */
  seen(entry: KvEntry): KvEntry {
    const node = entry.operation === "PUT" ? nodeOf(entry) : undefined;
    if (node === undefined) this.#keys.delete(entry.key);
    else this.#keys.set(entry.key, { node, revision: entry.revision });
    return entry;
  }

  /**
   * Deletes the keys of nodes the registry confirms dead (asked once per
   * node), by the revision seen, except those `listed` (members the
   * presence sweep frees itself, announcing their leaves). Resolves with
   * how many went.
   */
  async sweep(
    kv: KV,
    registry: { confirmDead(node: string): Promise<boolean> },
    listed: { has(key: string): boolean },
  ): Promise<number> {
    const dead = new Map<string, boolean>();
    let deleted = 0;
    for (const [key, { node, revision }] of [...this.#keys]) {
      if (listed.has(key)) continue;
      if (!dead.has(node)) dead.set(node, await registry.confirmDead(node));
      if (!dead.get(node) || this.#keys.get(key)?.revision !== revision) continue;
      try {
        await kv.delete(key, { previousSeq: revision });
        this.#keys.delete(key);
        deleted++;
      } catch {
        // Changed meanwhile (taken over), or deleted by another survivor.
      }
    }
    return deleted;
  }
}

/** The node a nick or skeleton record names, or undefined. */
function nodeOf(entry: KvEntry): string | undefined {
  try {
    const node = (entry.json() as { node?: unknown } | null)?.node;
    return typeof node === "string" ? node : undefined;
  } catch {
    return undefined;
  }
}
