/**
 * Presence shared by the nodes of a cluster, on the {@linkcode NICKS_BUCKET}:
 * a nick is taken by `kv.create` of its key, which fails when the key
 * exists, so of two nodes racing for one nick exactly one wins; a rename
 * creates the new key, then deletes the old one by its revision. Every node
 * watches the bucket and keeps everyone in a local index (the
 * {@linkcode Presence} queries stay synchronous); a member of another node
 * is a {@linkcode Member} whose sink sends direct messages and notices to
 * its node over core NATS (`lanchat.node.<node>.dm`), and whose disconnect
 * asks its node (`.kick`). When a node dies ({@linkcode NodeRegistry}), the
 * survivors delete its nick keys by revision; the one whose deletion stands
 * as the key's last write announces that member's leaves in the room log
 * ({@linkcode DeadMemberSweep}).
 *
 * @module
 */

import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { KV, KvEntry } from "@nats-io/kv";
import { NickError } from "../core/errors.ts";
import type { Member } from "../core/member.ts";
import { foldNick, suggestNick } from "../core/nick.ts";
import { REPLACED_BYE } from "../core/nick_claims.ts";
import { LocalPresence, type Presence, type PresenceRoster } from "../core/state/presence.ts";
import { NICKS_BUCKET } from "./cluster_names.ts";
import { type NodeRegistry, openBucket } from "./node_registry.ts";
import * as across from "./remote_member.ts";
import type { Remote } from "./remote_member.ts";
import * as looks from "./nick_skeletons.ts";
import { DeadNodeKeys } from "./dead_node_keys.ts";
import { DeadMemberSweep } from "./dead_member_sweep.ts";
import { NatsLink } from "./nats_link.ts";
import { KvFollow } from "./kv_follow.ts";
import { CLAIM_MS, claimKey, freeKey, holds, takeKey, updateOwnKey } from "./claim_key.ts";
import { claimRecord, type Held, nickKey, type NickRecord } from "./nick_record.ts";
import { parseNickEntry, recordOf } from "./nick_record.ts";

/** Options of {@linkcode NatsPresence.start}. */
export interface NatsPresenceOptions {
  /** The connection to NATS. */
  nc: NatsConnection;
  /** Which nodes are alive (this node's heartbeat). */
  registry: NodeRegistry;
  /** The bucket's replicas when this node creates it. @default {3} */
  replicas?: number;
  /** How often dead nodes' nicks are looked for, in ms. @default {1000} */
  sweepMs?: number;
  /** Something NATS did not take (a record not written, a message not understood). */
  onError?: (error: Error, what: string) => void;
  /** A dead node's member freed (for the log). */
  onExpired?: (nick: string, node: string) => void;
}

/** {@linkcode Presence} on NATS KV: one nick, one owner, across every node. */
export class NatsPresence implements Presence {
  readonly #index = new LocalPresence<Member>();
  readonly #kv: KV;
  readonly #nc: NatsConnection;
  readonly #node: string;
  /** This node's name ({@linkcode Presence.node}). */
  readonly node: string;
  readonly #registry: NodeRegistry;
  readonly #options: NatsPresenceOptions;
  readonly #held = new Map<Member, Held>();
  readonly #reserved = new Map<string, Omit<Held, "key" | "chain" | "queued">>();
  readonly #remote = new Map<string, Remote>();
  readonly #leftHere = new WeakSet<Member>(); // Members taken over whose leave this node announced
  readonly #keys = new DeadNodeKeys(); // Every key, to sweep a dead node's leftovers too
  readonly #subscriptions: Subscription[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly #sweep: DeadMemberSweep;
  #roster: PresenceRoster | undefined;
  readonly #link: NatsLink;
  #watch: KvFollow | undefined;
  #nextRemoteId = -1;
  #stopped = false;

  private constructor(kv: KV, options: NatsPresenceOptions) {
    this.#kv = kv;
    this.#nc = options.nc;
    this.#link = new NatsLink(options.nc);
    this.#registry = options.registry;
    this.node = this.#node = options.registry.node;
    this.#options = options;
    this.#sweep = new DeadMemberSweep({
      kv,
      registry: options.registry,
      remote: this.#remote,
      keys: this.#keys,
      everyMs: options.sweepMs ?? 1_000,
      onGone: (key, remote, rooms) => {
        this.#options.onExpired?.(remote.member.nick, remote.node);
        this.#roster?.announceLeave(remote.member, rooms, "dropped", across.GONE);
        if (this.#remote.get(key) === remote) this.#forgetRemote(key);
      },
      onError: (error) => this.#error(error, "sweep"),
    });
  }

  /** Opens the nick bucket, reads who is online everywhere, and listens for this node's requests. */
  static async start(options: NatsPresenceOptions): Promise<NatsPresence> {
    const kv = await openBucket(options.nc, NICKS_BUCKET, {
      replicas: options.replicas,
      history: 1,
    });
    const presence = new NatsPresence(kv, options);
    const local = (to: unknown) => presence.#local(to);
    // options.onError hears what NATS sent that nats_input.ts refused.
    presence.#subscriptions.push(...across.listenForMembers(
      options.nc,
      presence.#node,
      local,
      presence,
      () => presence.#roster,
      options.onError,
    ));
    presence.#watch = await KvFollow.start({ // Started again after a stall, election or reconnect
      nc: options.nc,
      kv,
      bucket: NICKS_BUCKET,
      onEntry: (entry) => presence.#onEntry(presence.#keys.seen(entry)),
      onRestart: (error) => presence.#error(error, "watch"),
    }).catch((e) => presence.stop().then(() => Promise.reject(e)));
    return presence;
  }

  /** Everyone online, on every node. */
  get size(): number {
    return this.#index.size;
  }

  /** Members connected to this node. */
  get localSize(): number {
    return this.#held.size;
  }

  find(folded: string): Member | undefined {
    return this.#index.find(folded);
  }

  findLookAlike(skeleton: string): Member | undefined {
    return this.#index.findLookAlike(skeleton);
  }

  all(): Iterable<Member> {
    return this.#index.all();
  }

  bind(roster: PresenceRoster): void {
    this.#roster = roster;
    // Members of other nodes read before the hub existed: in its rooms from its start.
    for (const { member, rooms } of this.#remote.values()) roster.place(member, rooms);
  }

  async reserve(nick: string, folded: string, fingerprint?: string, member?: Member) {
    if (member && member.foldedNick === folded) return;
    // Refused at once while NATS is away: no claim can be made, and waiting would hang the join.
    if (!this.#link.up) throw across.unavailable(new Error("NATS is unreachable"));
    const key = nickKey(folded);
    const since = Date.now();
    const was = member?.foldedNick;
    const value = JSON.stringify(claimRecord(this.#node, nick, since, member, fingerprint));
    const deadline = performance.now() + CLAIM_MS; // A welcome or cluster_unavailable within it
    const mine = (entry: KvEntry) => holds(entry, { node: this.#node, since, nick });
    const claim = await claimKey(this.#kv, key, value, mine, deadline);
    let revision = claim.revision ?? 0;
    const entry = claim.holder;
    if (entry) {
      const holder = parseNickEntry(entry);
      // A ghost of the same key, or a member of a dead node: taken over by revision.
      const mayTake = holder &&
        ((fingerprint !== undefined && holder.fingerprint === fingerprint) ||
          (holder.node !== this.#node && await this.#registry.confirmDead(holder.node)));
      if (!mayTake) {
        if (!holder) throw across.unavailable(new Error(`unreadable record under ${key}`));
        const suggestion = suggestNick(nick, (n) => this.#index.find(foldNick(n)) !== undefined);
        throw new NickError(
          "nick_taken",
          `Nick "${nick}" is taken; try "${suggestion}"`,
          suggestion,
        );
      }
      // Its rooms taken now: a sweep's deletion stored before our write is withdrawn first.
      const taken = this.#remote.get(key);
      const rooms = taken && [...taken.member.rooms.values()];
      revision = await takeKey(this.#kv, key, value, entry.revision, deadline).catch(() => {
        throw new NickError("nick_taken", `Nick "${nick}" is taken`);
      });
      // The holder's leave is announced here, before the join (its node may be gone).
      if (holder.node !== this.#node) this.#takenOver(key, fingerprint, taken, rooms);
    }
    // Look-alikes claimed at once on two nodes: the shared skeleton key decides.
    const skeletons = await looks.claimSkeletons(this.#kv, {
      nick,
      folded,
      node: this.#node,
      fingerprint,
      was,
      isDead: (node) => this.#registry.confirmDead(node),
    }, deadline).catch((error) => {
      this.#delete(key, revision);
      throw error;
    });
    this.#reserved.set(folded, { revision, since, was, skeletons });
  }

  release(folded: string): void {
    const reservation = this.#reserved.get(folded);
    if (!reservation) return;
    this.#reserved.delete(folded);
    this.#track(this.#delete(nickKey(folded), reservation.revision));
    this.#track(looks.freeSkeletons(this.#kv, reservation.skeletons));
  }

  add(member: Member): void {
    if (member.remote) return this.#index.add(member);
    const replaced = this.#index.find(member.foldedNick);
    if (replaced?.remote) this.#forgetRemote(nickKey(member.foldedNick));
    this.#index.add(member);
    this.#hold(member);
  }

  remove(member: Member): void {
    this.#index.remove(member);
    const held = this.#held.get(member);
    if (!held) return;
    this.#held.delete(member);
    held.chain = held.chain.then(() => this.#free(held));
    this.#track(held.chain);
  }

  /** Keeps `work` until it settles, so that {@linkcode stop} waits for it. */
  #track(work: Promise<void>): void {
    this.#pending.add(work);
    work.finally(() => this.#pending.delete(work));
  }

  rename(member: Member, change: () => void): void {
    const old = member.foldedNick;
    this.#index.rename(member, change);
    const held = this.#held.get(member);
    if (!held || old === member.foldedNick) return this.changed(member);
    this.#held.delete(member);
    this.#hold(member); // The old key goes once the new one's record is out of its claim.
    this.#track(
      Promise.all([held.chain, this.#held.get(member)?.chain]).then(() => this.#free(held)),
    );
  }

  clear(): void {
    for (const [member] of [...this.#held]) {
      // Stopping: other nodes' rooms see its members go now, not at their expiry.
      this.#roster?.announceLeave(member, [...member.rooms.values()], "shutdown", "Shutting down");
      this.remove(member);
    }
    this.#index.clear();
    this.#remote.clear();
  }

  changed(member: Member): void {
    const held = this.#held.get(member);
    if (!held || held.queued) return;
    held.queued = true;
    held.chain = held.chain.then(async () => {
      held.queued = false;
      if (this.#held.get(member) !== held) return;
      const record = recordOf(member, this.#node, held.since, held.was);
      try {
        const ours = (e: KvEntry) => holds(e, { node: this.#node, since: held.since });
        const value = JSON.stringify(record);
        const live = () => !this.#stopped && this.#held.get(member) === held;
        held.revision = await updateOwnKey(this.#kv, held.key, value, held.revision, ours, live) ??
          held.revision;
      } catch (error) {
        this.#error(error, `update of ${member.nick}`);
      }
    });
  }

  /** Stops watching and listening, and frees every nick held here. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#sweep.stop();
    this.#link.stop();
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    await this.#watch?.stop();
    this.clear();
    await Promise.allSettled([...this.#pending]);
  }

  /** Binds a member here to the key reserved for its nick (or claims it now, failing late). */
  #hold(member: Member): void {
    const key = nickKey(member.foldedNick);
    const reservation = this.#reserved.get(member.foldedNick);
    this.#reserved.delete(member.foldedNick);
    const held: Held = {
      key,
      revision: reservation?.revision ?? 0,
      since: reservation?.since ?? Date.now(),
      was: reservation?.was,
      skeletons: reservation?.skeletons,
      chain: Promise.resolve(),
      queued: false,
    };
    this.#held.set(member, held);
    if (!reservation) {
      // Joined without a reservation (Hub.join called directly): claimed now, refused late.
      held.chain = this.#kv.create(key, JSON.stringify(recordOf(member, this.#node, held.since)))
        .then((revision) => void (held.revision = revision), () => {
          if (this.#held.get(member) !== held) return;
          this.#held.delete(member);
          this.#roster?.disconnect(
            member,
            "dropped",
            "nick taken elsewhere",
            across.NICK_LOST_BYE,
            false,
          );
        });
    }
    this.changed(member);
  }

  /** Deletes a nick key given up, then its skeleton keys. */
  async #free(held: Held): Promise<void> {
    await this.#delete(held.key, held.revision);
    await looks.freeSkeletons(this.#kv, held.skeletons);
  }

  #delete(key: string, revision: number): Promise<void> {
    // Tried again while JetStream settles; once only when stopping (the node is going away).
    return freeKey(this.#kv, key, revision, () => !this.#stopped && !this.#nc.isClosed());
  }

  #onEntry(entry: KvEntry): void {
    if (looks.isSkeletonKey(entry.key)) return;
    const remote = this.#remote.get(entry.key);
    if (remote && remote.revision >= entry.revision) return;
    const record = parseNickEntry(entry, this.#options.onError); // checked: nats_input.ts
    if (!record || record.node === this.#node) {
      // This node took the key over (its watch may be ahead of the update's answer).
      if (remote && record) this.#takenOver(entry.key, record.fingerprint, remote);
      if (remote) this.#forgetRemote(entry.key);
      if (!record && entry.operation !== "PUT") this.#reclaim(entry.key);
      return;
    }
    // Another node took a key a member here holds (its same key came back there).
    for (const [member, held] of this.#held) {
      if (held.key !== entry.key) continue;
      // That node announced the leave before its join: this session ends quietly.
      this.#held.delete(member);
      this.#index.remove(member);
      this.#roster?.withdraw(member);
      member.sink.end(REPLACED_BYE);
    }
    if (record.claiming) return remote && this.#forgetRemote(entry.key);
    if (remote && remote.node === record.node) return this.#update(remote, record, entry.revision);
    if (remote) this.#forgetRemote(entry.key);
    const before = record.was === undefined ? undefined : this.#remote.get(nickKey(record.was));
    if (before && before.node === record.node) {
      // A rename on that node: the same member under its new nick.
      this.#remote.delete(nickKey(record.was!));
      const old = before.member.nick;
      this.#index.rename(before.member, () => {
        before.member.nick = record.nick;
        before.member.foldedNick = foldNick(record.nick);
      });
      this.#remote.set(entry.key, before);
      this.#roster?.renamed(before.member, old);
      return this.#update(before, record, entry.revision);
    }
    const member = across.remoteMember(this.#nc, this.#nextRemoteId--, record, this.#node);
    const added: Remote = { member, node: record.node, revision: entry.revision, rooms: [] };
    this.#remote.set(entry.key, added);
    this.#index.add(member);
    this.#update(added, record, entry.revision);
  }

  #update(remote: Remote, record: NickRecord, revision: number): void {
    const { member } = remote;
    remote.revision = revision;
    remote.rooms = record.rooms;
    if (member.nick !== record.nick && foldNick(record.nick) === member.foldedNick) {
      const old = member.nick;
      this.#index.rename(member, () => (member.nick = record.nick));
      this.#roster?.renamed(member, old);
    }
    member.address = record.address;
    member.operator = record.operator === true;
    if (member.away !== record.away) this.#roster?.away(member, record.away);
    this.#roster?.place(member, record.rooms);
  }

  /** Another node's member whose key this node took: its leave announced here, once (before the join). */
  #takenOver(
    key: string,
    fingerprint: string | undefined,
    taken: Remote | undefined,
    rooms = taken && [...taken.member.rooms.values()],
  ): void {
    if (!taken || !rooms || this.#leftHere.has(taken.member)) return;
    this.#leftHere.add(taken.member); // The watch may have announced it, ahead of the answer.
    const { member } = taken;
    const why = fingerprint !== undefined && member.fingerprint === fingerprint
      ? "replaced by a new connection"
      : across.GONE;
    this.#roster?.announceLeave(member, rooms, "dropped", why);
    if (this.#remote.get(key) === taken) this.#forgetRemote(key);
  }

  #forgetRemote(key: string): void {
    const remote = this.#remote.get(key);
    if (!remote) return;
    this.#remote.delete(key);
    this.#index.remove(remote.member);
    this.#roster?.withdraw(remote.member);
  }

  /** A key of a member here was deleted by another node (it thought this node dead): taken back. */
  #reclaim(key: string): void {
    for (const [member, held] of this.#held) {
      if (held.key !== key || held.queued) continue;
      held.chain = held.chain.then(async () => {
        const record = recordOf(member, this.#node, held.since);
        held.revision = await this.#kv.create(key, JSON.stringify(record)).catch(() => 0);
        if (held.revision === 0 && this.#held.get(member) === held) {
          this.#held.delete(member);
          this.#roster?.disconnect(member, "dropped", "nick lost", across.NICK_LOST_BYE, false);
        }
      });
    }
  }

  #local(folded: unknown): Member | undefined {
    if (typeof folded !== "string") return undefined;
    const member = this.#index.find(folded);
    return member && this.#held.has(member) ? member : undefined;
  }

  #error(error: unknown, what: string): void {
    this.#options.onError?.(error instanceof Error ? error : new Error(String(error)), what);
  }
}
