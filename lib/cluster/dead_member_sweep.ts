/**
 * The sweep of dead nodes' members from the nick bucket (`NICKS_BUCKET`): every
 * surviving node deletes, by the revision it saw, the nick key of each
 * member whose node the registry confirms dead, and exactly one node
 * announces that member's leave in the room log.
 *
 * Every survivor sweeps (none waits for another, so a member is freed
 * while any node lives and reaches NATS, whichever nodes died or are cut
 * off). Two sweeps of one key may be taken at once on nats-server 2.9 (a
 * delete at a revision is checked against what the stream has applied,
 * issue 4320; lib/cluster/kv_settled.ts): the node whose deletion is the
 * key's last write, as {@linkcode confirmed} reads it in the stream's
 * order, announces; of deletions that raced only the later one is. A
 * takeover that raced the deletions and came after them announces the
 * leave itself (its claim is confirmed the same way); a record update of
 * a node thought dead that came after the deletion keeps the member, with
 * no leave. Left: a new claim of the nick
 * stored between our deletion and its confirmation (a round trip, under a
 * millisecond on loopback; the claimer has to see the deletion first) hides
 * the deletion, and no node announces that leave (the member is withdrawn
 * quietly, as every deletion withdraws it, and the nick is in use again). A
 * deletion whose confirmation goes unanswered is announced (it stood when
 * answered; only another sweep within the same milliseconds could also
 * announce).
 *
 * @module
 */

import type { KV } from "@nats-io/kv";
import type { Room } from "../core/room.ts";
import type { DeadNodeKeys } from "./dead_node_keys.ts";
import { confirmed, deleteAt, OverwrittenError } from "./kv_settled.ts";
import type { Remote } from "./remote_member.ts";

/** Options of {@linkcode DeadMemberSweep}. */
export interface DeadMemberSweepOptions {
  /** The nick bucket. */
  kv: KV;
  /** Which nodes are dead (asked once per node a sweep). */
  registry: { confirmDead(node: string): Promise<boolean> };
  /** Members of other nodes by nick key, as the presence's watch keeps them. */
  remote: ReadonlyMap<string, Remote>;
  /** Every key of the bucket, for a dead node's claims and skeleton keys. */
  keys: DeadNodeKeys;
  /** How often dead nodes' members are looked for, in ms. */
  everyMs: number;
  /** A member freed by this node's deletion, the key's last write: its leave is this node's to announce. */
  onGone(key: string, remote: Remote, rooms: Room[]): void;
  /** A sweep that failed, or a deletion whose confirmation did. */
  onError(error: unknown): void;
}

/** Frees the nick keys of dead nodes' members, every `everyMs`, until stopped. */
export class DeadMemberSweep {
  readonly #options: DeadMemberSweepOptions;
  readonly #timer: ReturnType<typeof setInterval>;
  #running = false;

  /** Starts sweeping. */
  constructor(options: DeadMemberSweepOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.run(), options.everyMs);
  }

  /** Stops sweeping (a sweep under way finishes). */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** One sweep, unless one is under way. */
  async run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const { kv, registry, remote: members, keys, onError } = this.#options;
    try {
      const dead = new Map<string, boolean>();
      for (const [key, remote] of [...members]) {
        if (!dead.has(remote.node)) dead.set(remote.node, await registry.confirmDead(remote.node));
        if (!dead.get(remote.node) || members.get(key) !== remote) continue;
        // The watch may withdraw it before the delete answers: its rooms are taken now.
        const rooms = [...remote.member.rooms.values()];
        if (await this.#free(key, remote.revision)) this.#options.onGone(key, remote, rooms);
      }
      await keys.sweep(kv, registry, members); // claims, skeletons
    } catch (error) {
      onError(error);
    } finally {
      this.#running = false;
    }
  }

  /** Deletes `key` at `revision`; whether this deletion is the one to announce. */
  async #free(key: string, revision: number): Promise<boolean> {
    const { kv, onError } = this.#options;
    let deletion: number;
    try {
      deletion = await deleteAt(kv, key, revision);
    } catch {
      return false; // Another survivor freed it first, or the nick changed hands.
    }
    try {
      await confirmed(kv, key, deletion);
      return true;
    } catch (error) {
      if (error instanceof OverwrittenError) return false; // A later write's node announces.
      onError(error);
      return true;
    }
  }
}
