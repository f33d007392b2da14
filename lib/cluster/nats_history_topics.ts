/**
 * Room topics in a KV bucket ({@linkcode TOPICS_BUCKET}). A topic is a room
 * event in the stream too, but the stream's limits (`--retain-days`,
 * `--retain-messages`) delete old events, and a topic must outlive them and
 * a restart of everything. Every node sees each topic event and writes it
 * here; the write is a compare-and-set on the event id, confirmed as the
 * key's last revision (kv_settled.ts: nats-server 2.9 may take two writes
 * at one revision), so a late node never puts an older topic over a newer
 * one.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";
import type { RoomTopic } from "../core/events.ts";
import { foldRoom } from "../core/room_name.ts";
import { TOPICS_BUCKET } from "./cluster_names.ts";
import { roomSubject } from "./room_subject.ts";
import { finite, natsRoom, natsTopic } from "./nats_input.ts";
import { bucketKeys } from "./reader_recovery.ts";
import { leaderEntry, putAt } from "./kv_settled.ts";

/** A room's topic as the bucket keeps it: with the id of the event that set it. */
export interface StoredTopic {
  /** The room's name as shown. */
  room: string;
  /** The id (stream sequence) of the topic event. */
  id: number;
  /** The topic; absent when it was cleared. */
  topic?: RoomTopic;
}

/** The bucket key of a room: its subject token. */
function keyOf(folded: string): string {
  return roomSubject(folded, "t").slice(2);
}

/** The topics bucket of a cluster. */
export class NatsTopics {
  readonly #kv: KV;

  private constructor(kv: KV) {
    this.#kv = kv;
  }

  /** Opens the bucket, creating it with `replicas` when missing. */
  static async open(nc: NatsConnection, replicas = 3): Promise<NatsTopics> {
    const kv = await new Kvm(nc).create(TOPICS_BUCKET, { history: 1, replicas });
    return new NatsTopics(kv);
  }

  /** Every room's stored topic, by folded name (rooms whose topic was cleared included). */
  async all(): Promise<Map<string, StoredTopic>> {
    const topics = new Map<string, StoredTopic>();
    for (const key of await bucketKeys(this.#kv)) {
      const entry = await this.#kv.get(key);
      const stored = entry?.operation === "PUT" ? parse(entry.json<unknown>()) : undefined;
      if (stored) topics.set(foldRoom(stored.room), stored);
    }
    return topics;
  }

  /**
   * Records `stored` unless the bucket already has this room's topic from
   * an event at or after it. Resolves true when this call wrote it.
   */
  async record(folded: string, stored: StoredTopic): Promise<boolean> {
    const key = keyOf(folded);
    let lost = false; // Read from the stream's leader once a write lost: a replica may lag.
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = lost ? await leaderEntry(this.#kv, key) : await this.#kv.get(key);
      const current = entry?.operation === "PUT" ? parse(entry.json<unknown>()) : undefined;
      if (current && current.id >= stored.id) return false;
      try {
        // Confirmed as the key's last: two nodes writing at one revision may both be taken.
        await putAt(this.#kv, key, JSON.stringify(stored), entry?.revision ?? 0);
        return true;
      } catch {
        lost = true; // Another node wrote first, or over this write: read again and compare.
      }
    }
    return false;
  }
}

/** A stored topic, checked and cleaned (nats_input.ts), or undefined when it is not one. */
function parse(value: unknown): StoredTopic | undefined {
  try {
    const v = value as Partial<StoredTopic> | null;
    const room = natsRoom(v?.room);
    const id = finite(v?.id, "id");
    return { room, id, ...(v?.topic !== undefined ? { topic: natsTopic(v.topic) } : {}) };
  } catch {
    return undefined;
  }
}
