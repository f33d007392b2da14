/**
 * The node heartbeat: each node keeps its {@linkcode NodeRecord} in the
 * {@linkcode NODES_BUCKET} (refreshed every {@linkcode NODE_HEARTBEAT_MS},
 * gone after the bucket's `max_age`), and watches everyone else's, to tell
 * which nodes are alive. A node not heard for {@linkcode NODE_DEAD_AFTER_MS}
 * counts as dead; "heard" is this node's clock when the record arrived, so
 * clocks of different machines need not agree.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";
import {
  NODE_DEAD_AFTER_MS,
  NODE_HEARTBEAT_MS,
  NODE_RECORD_TTL_MS,
  type NodeRecord,
  NODES_BUCKET,
  parseNodeRecord,
} from "./cluster_names.ts";
import { KvFollow } from "./kv_follow.ts";

/** Options of {@linkcode NodeRegistry.start}. */
export interface NodeRegistryOptions {
  /** The connection to NATS. */
  nc: NatsConnection;
  /** What this node says about itself, refreshed at every heartbeat (`seen` is set here). */
  describe: () => Omit<NodeRecord, "seen">;
  /** The bucket's replicas when this node creates it. @default {3} */
  replicas?: number;
  /**
   * How often this node's record is written, in ms.
   * @default {the smaller of NODE_HEARTBEAT_MS and a sixth of deadAfterMs}
   */
  heartbeatMs?: number;
  /** After how long unheard another node counts as dead, in ms. @default {NODE_DEAD_AFTER_MS} */
  deadAfterMs?: number;
  /** A heartbeat NATS did not take. */
  onError?: (error: Error) => void;
  /** Called when the watch of the other nodes' records is started again (a stall, an election). */
  onRestart?: (error: Error) => void;
}

/** Opens (or makes) a KV bucket; an existing one is opened whatever its settings. */
export async function openBucket(
  nc: NatsConnection,
  name: string,
  options: { replicas?: number; history?: number; ttl?: number },
): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    // Defaults first: a `replicas: undefined` spread over them made the bucket R1 (one copy).
    return await kvm.create(name, { ...options, replicas: options.replicas ?? 3 });
  } catch (error) {
    // Made by another node with other settings: use it as it is.
    return await kvm.open(name).catch(() => Promise.reject(error));
  }
}

/** This node's heartbeat and its view of the others'. */
export class NodeRegistry {
  /** This node's name. */
  readonly node: string;
  readonly #kv: KV;
  readonly #describe: () => Omit<NodeRecord, "seen">;
  readonly #deadAfter: number;
  readonly #heartbeat: number;
  readonly #records = new Map<string, { record: NodeRecord; revision: number; heard: number }>();
  readonly #gone = new Set<string>();
  readonly #heard = new Map<string, number>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #onError: (error: Error) => void;
  readonly #onRestart: (error: Error) => void;
  #watch: KvFollow | undefined;
  /** Since when this node's own heartbeats go through (after a failure: from the next success). */
  #healthySince: number;
  #lastOk = 0;
  #failing = false;
  #stopped = false;

  private constructor(kv: KV, options: NodeRegistryOptions, node: string) {
    this.#kv = kv;
    this.node = node;
    this.#describe = options.describe;
    this.#deadAfter = options.deadAfterMs ?? NODE_DEAD_AFTER_MS;
    // Six heartbeats per dead time, as the defaults (2 s, 12 s): a shorter dead time beats faster.
    this.#heartbeat = options.heartbeatMs ?? Math.min(NODE_HEARTBEAT_MS, this.#deadAfter / 6);
    this.#onError = options.onError ?? (() => {});
    this.#onRestart = options.onRestart ?? (() => {});
    this.#healthySince = Date.now();
    this.#timer = setInterval(() => this.#beat(), this.#heartbeat);
  }

  /**
   * Writes the first heartbeat and starts watching the other nodes. The
   * first heartbeat must be stored (else this throws, and the caller tries
   * again while JetStream settles): a node that serves is one the others
   * have heard of, even if it dies at once.
   */
  static async start(options: NodeRegistryOptions): Promise<NodeRegistry> {
    const kv = await openBucket(options.nc, NODES_BUCKET, {
      replicas: options.replicas,
      history: 1,
      ttl: NODE_RECORD_TTL_MS,
    });
    const registry = new NodeRegistry(kv, options, options.describe().node);
    try {
      await registry.#beat(true);
      await registry.#startWatch(options.nc);
    } catch (error) {
      await registry.stop();
      throw error;
    }
    return registry;
  }

  /** When `node`'s record last arrived here (ms since the epoch), if it ever did. */
  lastHeard(node: string): number | undefined {
    return this.#heard.get(node);
  }

  /** The live nodes' records, this one's included. */
  nodes(): NodeRecord[] {
    return [...this.#records.values()].filter(({ record }) => !this.isDead(record.node)).map((
      { record },
    ) => record);
  }

  /**
   * Whether `node` counts as dead: its record was deleted, or nothing was
   * heard of it for the dead time while this node's own heartbeats went
   * through (a node cut off from NATS declares no one dead).
   */
  isDead(node: string, now = Date.now()): boolean {
    if (node === this.node) return false;
    if (this.#gone.has(node)) return true;
    if (this.#failing || now - this.#lastOk > 2 * this.#heartbeat + 1_000) return false;
    const heard = this.#records.get(node)?.heard ?? 0;
    return now - Math.max(heard, this.#healthySince) > this.#deadAfter;
  }

  /**
   * {@linkcode isDead}, checked once more against the bucket itself (a
   * watch can fall behind after a NATS leader change): a newer record than
   * the last one seen means the node is alive.
   */
  async confirmDead(node: string): Promise<boolean> {
    if (!this.isDead(node)) return false;
    if (this.#gone.has(node)) return true;
    const entry = await this.#kv.get(node).catch(() => undefined);
    if (entry === undefined) return false; // Cannot tell: not dead yet.
    const known = this.#records.get(node);
    if (entry?.operation === "PUT" && (!known || entry.revision > known.revision)) {
      this.#take(entry.key, entry.revision, entry.json());
      return false;
    }
    return this.isDead(node);
  }

  /** Stops the heartbeat and the watch, and deletes this node's record (it left on purpose). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#watch?.stop();
    await this.#kv.delete(this.node).catch(() => {});
  }

  /** Writes this node's record; `strict`: a failure is thrown, not only reported. */
  async #beat(strict = false): Promise<void> {
    if (this.#stopped) return;
    const record: NodeRecord = { ...this.#describe(), seen: Date.now() };
    try {
      await this.#kv.put(this.node, JSON.stringify(record));
      const now = Date.now();
      if (this.#failing) this.#healthySince = now;
      this.#failing = false;
      this.#lastOk = now;
    } catch (error) {
      this.#failing = true;
      if (strict) throw error;
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The watch of the bucket, started again after a stall, an election or a reconnect. */
  async #startWatch(nc: NatsConnection): Promise<void> {
    this.#watch = await KvFollow.start({
      nc,
      kv: this.#kv,
      bucket: NODES_BUCKET,
      onEntry: (entry) => {
        if (entry.operation !== "PUT") {
          this.#records.delete(entry.key);
          if (entry.key !== this.node) this.#gone.add(entry.key);
          return;
        }
        let value: unknown;
        try {
          value = entry.json();
        } catch {
          return;
        }
        this.#take(entry.key, entry.revision, value);
      },
      onRestart: (error) => this.#onRestart(error),
    });
  }

  #take(key: string, revision: number, value: unknown): void {
    const record = parseNodeRecord(value);
    if (!record || record.node !== key) return;
    const known = this.#records.get(key);
    if (known && known.revision >= revision) return;
    this.#records.set(key, { record, revision, heard: Date.now() });
    this.#heard.set(key, Date.now());
    this.#gone.delete(key);
  }
}
