/**
 * Mutes of a cluster in the KV bucket {@linkcode MUTES_BUCKET}: one key per
 * mute id, shared by every node and kept across restarts. Messages are
 * checked against a mirror kept by a watch, so a mute typed on one node
 * silences its target on every node as soon as the watch brings it (and on
 * the typing node before `/mute` answers). An unmute is a mute that ended
 * (`until` 0, with who lifted it), so other nodes can tell their members; a
 * mute that ran out is deleted at the revision it was read at, so a newer
 * mute of the same id is never lost to it. A deletion of a mute still
 * running is heard as an unmute: the unmute's own revision may be gone
 * before a lagging watch reads it.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import type { MuteChange, MuteEntry, MuteStore } from "../core/state/mute_store.ts";
import { MUTES_BUCKET } from "./cluster_names.ts";
import { bucketKey, KvMirror } from "./nats_access_mirror.ts";

/** Options for {@linkcode NatsMuteStore.open}. */
export interface NatsMuteOptions {
  /** The connection to NATS. */
  nc: NatsConnection;
  /** This node's name. */
  node: string;
  /** The bucket's replicas when this node creates it. @default {3} */
  replicas?: number;
}

/** Mutes in a NATS KV bucket, read from a mirror kept by a watch. */
export class NatsMuteStore implements MuteStore {
  readonly #mirror: KvMirror<MuteEntry>;
  #listener: (change: MuteChange) => void = () => {};

  private constructor(mirror: KvMirror<MuteEntry>) {
    this.#mirror = mirror;
  }

  /** Opens the bucket (creating it when missing) and loads what it holds. */
  static async open(options: NatsMuteOptions): Promise<NatsMuteStore> {
    let store: NatsMuteStore | undefined;
    const mirror = await KvMirror.open<MuteEntry>({
      ...options,
      bucket: MUTES_BUCKET,
      parse: parseMute,
      onChange: ({ value, before }) => {
        if (!store) return;
        if (value) store.#listener({ entry: value, before: before?.until });
        // Deleted while it still ran: the unmute (`until` 0) was replaced by its deletion before
        // this watch read it (the bucket keeps one revision a key; a watch started again after a
        // stall reads from where it was). It ended all the same, by someone this node cannot name.
        else if (before) {
          store.#listener({ entry: { id: before.id, until: 0 }, before: before.until });
        }
      },
    });
    return store = new NatsMuteStore(mirror);
  }

  until(id: string): number | undefined {
    return this.#mirror.get(bucketKey(id))?.until;
  }

  async set(entry: MuteEntry): Promise<void> {
    // JSON has no Infinity: "until unmuted" is stored as null.
    await this.#mirror.put(bucketKey(entry.id), entry);
  }

  expire(id: string, until: number): void {
    if (this.until(id) !== until) return;
    this.#mirror.delete(bucketKey(id)).catch(() => {}); // Someone muted it again meanwhile.
  }

  follow(listener: (change: MuteChange) => void): void {
    this.#listener = listener;
  }

  /** Stops the watch. */
  stop(): Promise<void> {
    return this.#mirror.stop();
  }
}

function parseMute(value: unknown): MuteEntry | undefined {
  const m = value as { id?: unknown; until?: unknown; by?: unknown } | null;
  if (typeof m !== "object" || m === null || typeof m.id !== "string") return undefined;
  const until = m.until === null ? Infinity : m.until;
  if (typeof until !== "number") return undefined;
  return { id: m.id, until, ...(typeof m.by === "string" ? { by: m.by } : {}) };
}
