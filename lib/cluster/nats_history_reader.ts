/**
 * Reading the room stream back: a room's messages between two points, the
 * newest before a point, everything since a time. History on a cluster is
 * the stream ({@linkcode NatsRoomLog} writes it): `/history`, IRC's
 * `CHATHISTORY` and `chat-server export --cluster` read it here.
 *
 * Each read is a short-lived pull consumer (no acks, in memory, one
 * replica; its making hedged, {@linkcode firstMade}) filtered on one
 * room's subject, from a stream sequence or a time; its `num_pending`
 * says how many messages are there to read, so a read never waits for
 * news. JetStream cannot read backwards: the newest
 * messages before a point are read in windows of sequences going back,
 * each four times the last, until enough are found or the stream's start
 * is reached.
 *
 * @module
 */

import { nanos, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { MessageEvent } from "../core/events.ts";
import { type HistoryRange, inRange } from "../core/state/history_query.ts";
import type { RoomEvent } from "../core/state/room_log.ts";
import { natsRoomEvent } from "./nats_input.ts";
import { ROOM_SUBJECT_PREFIX, roomOfSubject, roomSubject } from "./room_subject.ts";
import { ROOM_STREAM } from "./cluster_names.ts";
import { firstMade } from "./reader_recovery.ts";

/**
 * How far a message's own time (the sending node's clock) may lie from
 * when the stream stored it, in ms: reads by time start this much earlier
 * and stop this much later, then keep only what is truly in range.
 */
export const CLOCK_SKEW_MS = 60_000;

/** Messages fetched from the stream in one pull. */
const BATCH = 500;

/** A room event read from the stream, with the folded room it belongs to. */
export interface StreamEvent {
  /** The folded room name (from the subject). */
  folded: string;
  /** The event, its id the stream sequence. */
  event: RoomEvent;
}

/** Where a read starts: a stream sequence, or a time (ms since the epoch). */
export type ReadStart = { seq: number } | { time: number };

/** The room event a stream message holds (checked), or undefined when it holds none. */
export function eventOf(message: JsMsg, prefix = ROOM_SUBJECT_PREFIX): StreamEvent | undefined {
  try {
    const folded = roomOfSubject(message.subject, prefix);
    // Checked and cleaned as a client's (nats_input.ts); anything else is skipped.
    return { folded, event: natsRoomEvent(message.json(), folded, message.seq) };
  } catch {
    return undefined;
  }
}

/** Reads room events from the room stream. */
export class NatsHistoryReader {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #prefix: string;

  private constructor(js: JetStreamClient, jsm: JetStreamManager, stream: string, prefix: string) {
    this.#js = js;
    this.#jsm = jsm;
    this.#stream = stream;
    this.#prefix = prefix;
  }

  /** A reader of `stream` (default {@linkcode ROOM_STREAM}) on `nc`. */
  static async open(
    nc: NatsConnection,
    stream: string = ROOM_STREAM,
    prefix: string = ROOM_SUBJECT_PREFIX,
  ): Promise<NatsHistoryReader> {
    return new NatsHistoryReader(jetstream(nc), await jetstreamManager(nc), stream, prefix);
  }

  /** The stream's first and last sequence now (first > last when it is empty). */
  async bounds(): Promise<{ first: number; last: number }> {
    const { state } = await this.#jsm.streams.info(this.#stream);
    return { first: state.first_seq, last: state.last_seq };
  }

  /** The folded names of the rooms with anything in the stream (messages, joins, topics). */
  async rooms(): Promise<string[]> {
    const filter = `${this.#prefix}.>`;
    const { state } = await this.#jsm.streams.info(this.#stream, { subjects_filter: filter });
    const rooms: string[] = [];
    for (const subject of Object.keys(state.subjects ?? {})) {
      try {
        rooms.push(roomOfSubject(subject, this.#prefix));
      } catch {
        // Not a room's subject: not listed.
      }
    }
    return rooms.sort();
  }

  /**
   * Every event of one room (`folded`), or of all rooms (undefined), from
   * `start` on, in stream order, until `stop` says so or `max` were handed
   * on. Reads only what is there when it starts.
   */
  async *events(
    folded: string | undefined,
    start: ReadStart,
    options: { stopBeforeSeq?: number; max?: number } = {},
  ): AsyncGenerator<StreamEvent> {
    const { stopBeforeSeq = Infinity, max = Infinity } = options;
    if (max <= 0 || ("seq" in start && start.seq >= stopBeforeSeq)) return;
    const config: Partial<ConsumerConfig> = {
      filter_subject: folded === undefined
        ? `${this.#prefix}.>`
        : roomSubject(folded, this.#prefix),
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(30_000),
      ...("seq" in start
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, start.seq) }
        : {
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: new Date(start.time).toISOString(),
        }),
    };
    // Hedged: JetStream may place the consumer on a dead replica and never answer (firstMade).
    const info = await firstMade(
      () => this.#jsm.consumers.add(this.#stream, config),
      (late) => void this.#jsm.consumers.delete(this.#stream, late.name).catch(() => {}),
      "History read",
    );
    try {
      let pending = info.num_pending;
      let handed = 0;
      const consumer = await this.#js.consumers.get(this.#stream, info.name);
      while (pending > 0) {
        const batch = await consumer.fetch({
          max_messages: Math.min(BATCH, pending),
          expires: 5_000,
        });
        let got = 0;
        for await (const message of batch) {
          got++;
          pending--;
          if (message.seq >= stopBeforeSeq) return;
          const read = eventOf(message, this.#prefix);
          if (!read) continue;
          yield read;
          if (++handed >= max) return;
        }
        if (got === 0) throw new Error(`Room stream read stalled with ${pending} messages pending`);
      }
    } finally {
      await this.#jsm.consumers.delete(this.#stream, info.name).catch(() => {});
    }
  }

  /**
   * The messages of a room inside `range` (see {@linkcode HistoryRange}),
   * oldest first: the oldest `limit` after its lower bound, or the newest
   * `limit` below its upper bound.
   */
  async range(folded: string, range: HistoryRange): Promise<MessageEvent[]> {
    if (range.limit <= 0) return [];
    const { first, last } = await this.bounds();
    if (last < first) return [];
    const { above, below } = range;
    // Sequences [low, high) hold every candidate; times only narrow it within the skew.
    const low = above === undefined ? first : "id" in above ? above.id + 1 : first;
    const high = below !== undefined && "id" in below ? Math.min(below.id, last + 1) : last + 1;
    if (high <= low) return [];
    const messageIn = (read: StreamEvent): MessageEvent | undefined =>
      read.event.type === "msg" && inRange(read.event, range) ? read.event : undefined;
    if (!range.newest) {
      const start: ReadStart = above !== undefined && "ts" in above
        ? { time: above.ts - CLOCK_SKEW_MS }
        : { seq: low };
      const found: MessageEvent[] = [];
      for await (const read of this.events(folded, start, { stopBeforeSeq: high })) {
        const message = messageIn(read);
        if (message) found.push(message);
        if (found.length >= range.limit) break;
        // Past the upper time bound by more than any clock could be off: nothing later fits.
        if (below !== undefined && "ts" in below && read.event.ts > below.ts + CLOCK_SKEW_MS) break;
      }
      return found;
    }
    // The newest: windows going back from `high`.
    let found: MessageEvent[] = [];
    let top = high;
    let width = Math.max(256, range.limit * 4);
    while (top > low && found.length < range.limit) {
      const bottom = Math.max(low, top - width);
      const window: MessageEvent[] = [];
      let oldestTs = Infinity;
      for await (const read of this.events(folded, { seq: bottom }, { stopBeforeSeq: top })) {
        oldestTs = Math.min(oldestTs, read.event.ts);
        const message = messageIn(read);
        if (message) window.push(message);
      }
      found = [...window, ...found];
      // Older than the lower time bound by more than the skew: nothing earlier fits.
      if (above !== undefined && "ts" in above && oldestTs < above.ts - CLOCK_SKEW_MS) break;
      top = bottom;
      width *= 4;
    }
    return found.slice(Math.max(0, found.length - range.limit));
  }
}
