/**
 * History on a cluster is the room stream. {@linkcode NatsHistoryStore} is
 * the `HistoryStore` of a cluster node: it keeps no history of its own.
 *
 * - `load` (synchronous: the hub opens a room in one step) answers from a
 *   mirror in memory: the last messages of every room, each room's newest
 *   id and its topic. The mirror is filled from the whole stream when the
 *   node starts (so a node started after the messages were sent replays
 *   them to its joiners) and then kept by the hub's log listener, which
 *   hands every event this node reads from the stream to `append`/`touch`.
 *   Its ids are stream sequences only, so a node's ids never go back to
 *   those of an older local store.
 * - `page` and `range` (`/history`, IRC's `CHATHISTORY`) read the stream
 *   ({@linkcode NatsHistoryReader}), so they reach as far back as the
 *   stream keeps.
 * - Topics also go to a KV bucket ({@linkcode NatsTopics}): the stream's
 *   limits may delete a topic event, a topic must stay.
 * - Retention is the stream's limits ({@linkcode applyStreamLimits}).
 *
 * @module
 */

import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { DirectEvent, MessageEvent, RoomTopic } from "../core/events.ts";
import type { HistoryRange } from "../core/state/history_query.ts";
import { type HistoryStore, MemoryStore, type StoredRoom } from "../core/state/history_store.ts";
import { ROOM_STREAM } from "./cluster_names.ts";
import { NatsHistoryReader } from "./nats_history_reader.ts";
import { NatsTopics, type StoredTopic } from "./nats_history_topics.ts";
import { bounded, NatsLink } from "./nats_link.ts";

/**
 * The longest a `/history` read of the stream may take before it is
 * refused (`store_error`): while the stream has no leader (up to ~9 s after
 * its leader's machine dies) each request would wait out its own timeout.
 */
export const HISTORY_READ_MS = 5_000;

/** What `--retain-days`, `--retain-messages` and `--max-store-mb` ask of the stream. */
export interface StreamLimits {
  /** Delete events older than this many days (`max_age`); undefined: keep. */
  retainDays?: number;
  /** Keep at most this many events per room (`max_msgs_per_subject`); undefined: no limit. */
  retainMessages?: number;
  /** Keep at most this many bytes in the stream, per replica (`max_bytes`); undefined: no limit. */
  maxStoreBytes?: number;
}

/**
 * Only the retention figures of `limits` (a caller may hand in a bigger
 * object, such as the server's whole command line: never log that).
 */
export function streamLimitFigures(limits: StreamLimits): StreamLimits {
  const { retainDays, retainMessages, maxStoreBytes } = limits;
  return { retainDays, retainMessages, maxStoreBytes };
}

/**
 * Sets the room stream's limits to `limits` (the stream must exist). A
 * limit not given is lifted. Resolves true when the stream was changed.
 * The last node started decides: nodes should be started with the same flags.
 * `timeoutMs`: of each JetStream request (a caller that tries again sets it short).
 */
export async function applyStreamLimits(
  nc: NatsConnection,
  limits: StreamLimits,
  stream: string = ROOM_STREAM,
  timeoutMs?: number,
): Promise<boolean> {
  const jsm = await jetstreamManager(nc, timeoutMs ? { timeout: timeoutMs } : {});
  const { config } = await jsm.streams.info(stream);
  const wanted = {
    max_age: limits.retainDays ? nanos(Math.round(limits.retainDays * 86_400_000)) : 0,
    max_msgs_per_subject: limits.retainMessages ?? -1,
    max_bytes: limits.maxStoreBytes ?? -1,
  };
  if (
    config.max_age === wanted.max_age &&
    config.max_msgs_per_subject === wanted.max_msgs_per_subject &&
    config.max_bytes === wanted.max_bytes
  ) return false;
  await jsm.streams.update(stream, { ...config, ...wanted });
  return true;
}

/** Options for {@linkcode NatsHistoryStore.start}. */
export interface NatsHistoryOptions {
  /** The connection to the NATS cluster. */
  nc: NatsConnection;
  /** The topics bucket's replicas when this node creates it. @default {3} */
  replicas?: number;
  /** Messages per room kept in the mirror for joiners' replay. @default {1000} */
  perRoom?: number;
  /** Most bytes of messages in the mirror, across rooms. @default {16 MiB} */
  memoryBytes?: number;
  /** Called when a topic could not be written to its bucket. */
  onError?: (error: Error, folded: string) => void;
}

/** The history store of a cluster node: a mirror of the stream, and the stream itself. */
export class NatsHistoryStore implements HistoryStore {
  readonly #mirror: MemoryStore;
  readonly #reader: NatsHistoryReader;
  readonly #topics: NatsTopics;
  readonly #onError: NonNullable<NatsHistoryOptions["onError"]>;
  readonly #link: NatsLink;
  /** A topic the hub set, waiting for the `touch` that names its event's id. */
  #pendingTopic: { folded: string; name: string; topic: RoomTopic | undefined } | undefined;
  readonly #writes = new Set<Promise<unknown>>();
  /** How many stream events the start read, and how long it took (ms). */
  readonly filled: { events: number; ms: number } = { events: 0, ms: 0 };

  private constructor(
    options: NatsHistoryOptions,
    reader: NatsHistoryReader,
    topics: NatsTopics,
  ) {
    this.#mirror = new MemoryStore(options.perRoom ?? 1_000, options.memoryBytes);
    this.#reader = reader;
    this.#topics = topics;
    this.#onError = options.onError ?? (() => {});
    this.#link = new NatsLink(options.nc);
  }

  /**
   * Opens the topics bucket and reads the whole room stream into the
   * mirror. Start it after the room log (which creates the stream and holds
   * what it reads until the hub listens): events the log then hands on
   * twice are recognised by their ids and kept once.
   */
  static async start(options: NatsHistoryOptions): Promise<NatsHistoryStore> {
    const reader = await NatsHistoryReader.open(options.nc);
    const topics = await NatsTopics.open(options.nc, options.replicas ?? 3);
    const store = new NatsHistoryStore(options, reader, topics);
    await store.#fill();
    return store;
  }

  /** The reader of the stream behind this store (export, tests). */
  get reader(): NatsHistoryReader {
    return this.#reader;
  }

  load(foldedRoom: string, limit: number): StoredRoom {
    return this.#mirror.load(foldedRoom, limit);
  }

  append(foldedRoom: string, event: MessageEvent): void {
    // Read at start and handed on again by the log: kept once.
    if (event.id <= this.#mirror.load(foldedRoom, 0).lastId) return;
    this.#mirror.append(foldedRoom, event);
  }

  appendPrivate(_event: DirectEvent): void {
    // Private messages are not stored on a cluster (they never enter the stream).
  }

  setTopic(foldedRoom: string, name: string, topic: RoomTopic | undefined): void {
    // The hub calls `touch` with the topic event's id right after this.
    this.#pendingTopic = { folded: foldedRoom, name, topic };
  }

  touch(foldedRoom: string, name: string, lastId: number): void {
    const pending = this.#pendingTopic;
    this.#pendingTopic = undefined;
    if (lastId <= this.#mirror.load(foldedRoom, 0).lastId) return;
    this.#mirror.touch(foldedRoom, name, lastId);
    if (pending?.folded !== foldedRoom) return;
    this.#mirror.setTopic(foldedRoom, name, pending.topic);
    const stored: StoredTopic = {
      room: name,
      id: lastId,
      ...(pending.topic ? { topic: pending.topic } : {}),
    };
    const write = this.#topics.record(foldedRoom, stored).catch((error) =>
      this.#onError(error instanceof Error ? error : new Error(String(error)), foldedRoom)
    ).finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }

  page(foldedRoom: string, beforeId: number, limit: number): Promise<MessageEvent[]> {
    return this.range(foldedRoom, { below: { id: beforeId }, newest: true, limit });
  }

  /** Refused at once while NATS is unreachable, and after {@linkcode HISTORY_READ_MS}. */
  range(foldedRoom: string, range: HistoryRange): Promise<MessageEvent[]> {
    try {
      this.#link.check();
    } catch (error) {
      return Promise.reject(error);
    }
    return bounded(HISTORY_READ_MS, this.#reader.range(foldedRoom, range), "History read");
  }

  /** Prunes the mirror only: the stream's own limits delete from the stream. */
  prune(olderThan: number | undefined, keep: number | undefined): number {
    return this.#mirror.prune(olderThan, keep);
  }

  flush(): void {}

  close(): void {
    this.#link.stop();
  }

  /** Waits for the topic writes still in flight. */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
  }

  async #fill(): Promise<void> {
    const started = performance.now();
    const { first, last } = await this.#reader.bounds();
    const topicIds = new Map<string, number>();
    if (last >= first) {
      const events = this.#reader.events(undefined, { seq: first }, { stopBeforeSeq: last + 1 });
      for await (const { folded, event } of events) {
        this.filled.events++;
        if (event.type === "msg") this.#mirror.append(folded, event);
        else if (event.type === "topic") {
          const topic = event.text ? { text: event.text, by: event.nick, ts: event.ts } : undefined;
          this.#mirror.setTopic(folded, event.room, topic);
          topicIds.set(folded, event.id);
        }
        this.#mirror.touch(folded, event.room, event.id);
      }
    }
    // The bucket outlives the stream's limits: its topic wins unless the stream has a newer one.
    for (const [folded, stored] of await this.#topics.all()) {
      if (stored.id > (topicIds.get(folded) ?? 0)) {
        this.#mirror.setTopic(folded, stored.room, stored.topic);
      }
    }
    this.filled.ms = Math.round(performance.now() - started);
  }
}
