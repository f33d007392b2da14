/**
 * Mutes of a cluster in the KV bucket {@linkcode MUTES_BUCKET}: one key per
 * mute id, shared by every node and kept across restarts. Messages are
 * checked against a mirror kept by a watch, so a mute typed on one node
 * silences its target on every node as soon as the watch brings it (and on
 * the typing node before `/mute` answers). An unmute is a mute that ended
 * (`until` 0, with who lifted it), so other nodes can tell their members.
 *
 * Every write is a plain put, ordered by the bucket's stream: the last one
 * typed wins. No node deletes a key, not even one whose mute ended (an
 * unmute, or a mute that ran out): it stays, one small entry for each id
 * ever muted, and reads as not muted. A delete at the revision read is not
 * safe here: nats-server 2.9 (Debian's 2.9.10) checks a write's expected
 * revision against what the stream has applied, not against a write still
 * being replicated (nats-server issue 4320), so a node deleting an unmute it
 * read as ended had its delete accepted after a `/mute` typed meanwhile on
 * another node, and that mute was gone (docs/performance.md, "The test
 * suite's time", item 6). A deletion still heard (from an older node, or
 * `nats kv del`) of a mute still running is taken as its unmute.
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
        // Deleted (by an older node, or by hand) while it still ran here: its unmute may have been
        // replaced by the deletion before this watch read it (the bucket keeps one revision a key;
        // a watch started again after a stall reads from where it was). It ended all the same.
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
