/**
 * The room log of a cluster: one JetStream stream holds every room, a
 * subject per room ({@linkcode roomSubject}). JetStream's stream sequence
 * is the order and the id: every node reads the stream in sequence order
 * and hands each event to its own fan-out, so every member on every node
 * sees one order per room. Ids keep increasing per room with gaps (they are
 * numbered across all rooms).
 *
 * `append` publishes and returns at once: the event reaches the listener
 * (on this node as on the others) only once JetStream has stored it, so
 * "delivered" means "acknowledged". {@linkcode NatsRoomLog.publish} is the
 * same with the id (or the refusal) as a promise; the `RoomLog` seam cannot
 * say either yet (docs/cluster_progress.md, next steps).
 *
 * @module
 */

import { headers, type NatsConnection } from "@nats-io/transport-node";
import {
  type ConsumerMessages,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  jetstreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Member } from "../core/member.ts";
import type { RoomEvent, RoomEventBody, RoomLog, RoomLogListener } from "../core/state/room_log.ts";
import { ROOM_SUBJECT_PREFIX, roomOfSubject, roomSubject } from "./room_subject.ts";

/** The header naming the node that published an event. */
const NODE_HEADER = "Lanchat-Node";
/** The header carrying the publisher's token for the event's local origin. */
const ORIGIN_HEADER = "Lanchat-Origin";

/** Options for {@linkcode NatsRoomLog.start}. */
export interface NatsRoomLogOptions {
  /** The connection to the NATS cluster. */
  nc: NatsConnection;
  /** This chat-server node's name, unique in the cluster: its own events come back with it. */
  node: string;
  /** The stream's name. @default {"LANCHAT_ROOMS"} */
  stream?: string;
  /** The subject prefix of the rooms. @default {"lanchat.room"} */
  prefix?: string;
  /** The stream's replicas when this node creates it. @default {3} */
  replicas?: number;
  /** How long a publish waits for its ack, in ms. @default {5000} */
  ackTimeoutMs?: number;
  /** Called when `append` could not publish (the event is then not delivered anywhere). */
  onError?: (error: Error, folded: string, body: RoomEventBody, origin?: Member) => void;
  /** Called when the stream holds something this log cannot read (skipped). */
  onSkip?: (error: Error, seq: number) => void;
}

/** What the stream stores for one event: the room's shown name and the body. */
interface StoredEvent {
  room: string;
  body: RoomEventBody;
}

/** The room log on a JetStream stream, shared by every node of a cluster. */
export class NatsRoomLog implements RoomLog, AsyncDisposable {
  readonly #options: Required<Omit<NatsRoomLogOptions, "onError" | "onSkip">>;
  readonly #onError: NonNullable<NatsRoomLogOptions["onError"]>;
  readonly #onSkip: NonNullable<NatsRoomLogOptions["onSkip"]>;
  readonly #js: JetStreamClient;
  readonly #lastIds = new Map<string, number>();
  /** Origins of this node's events in flight, by the token their message carries. */
  readonly #origins = new Map<string, Member>();
  #nextToken = 0;
  /** When this log started: with the token, a message id no restart of the node reuses. */
  readonly #started = Date.now().toString(36);
  #listener: RoomLogListener = () => {};
  #messages: ConsumerMessages | undefined;
  #reading: Promise<void> = Promise.resolve();

  private constructor(options: NatsRoomLogOptions) {
    const { onError = () => {}, onSkip = () => {}, ...rest } = options;
    this.#options = {
      stream: "LANCHAT_ROOMS",
      prefix: ROOM_SUBJECT_PREFIX,
      replicas: 3,
      ackTimeoutMs: 5_000,
      ...rest,
    };
    this.#onError = onError;
    this.#onSkip = onSkip;
    this.#js = jetstream(options.nc);
  }

  /**
   * Makes sure the stream exists (creating it with `replicas`), then reads
   * it from the event after its newest one, so that whatever is appended
   * once this resolves reaches the listener.
   */
  static async start(options: NatsRoomLogOptions): Promise<NatsRoomLog> {
    const log = new NatsRoomLog(options);
    await log.#begin();
    return log;
  }

  open(folded: string, lastId: number): void {
    this.#lastIds.set(folded, Math.max(this.#lastIds.get(folded) ?? 0, lastId));
  }

  close(folded: string): void {
    this.#lastIds.delete(folded);
  }

  lastId(folded: string): number {
    return this.#lastIds.get(folded) ?? 0;
  }

  append(folded: string, name: string, body: RoomEventBody, origin?: Member): void {
    this.publish(folded, name, body, origin).catch((error) =>
      this.#onError(error instanceof Error ? error : new Error(String(error)), folded, body, origin)
    );
  }

  /** Publishes an event; resolves with its id once JetStream has stored it. */
  async publish(
    folded: string,
    name: string,
    body: RoomEventBody,
    origin?: Member,
  ): Promise<number> {
    const token = `${this.#nextToken++}`;
    const h = headers();
    h.set(NODE_HEADER, this.#options.node);
    h.set(ORIGIN_HEADER, token);
    if (origin) this.#origins.set(token, origin);
    const stored: StoredEvent = { room: name, body };
    try {
      const ack = await this.#js.publish(
        roomSubject(folded, this.#options.prefix),
        JSON.stringify(stored),
        {
          headers: h,
          msgID: `${this.#options.node}:${this.#started}:${token}`,
          timeout: this.#options.ackTimeoutMs,
        },
      );
      return ack.seq;
    } catch (error) {
      this.#origins.delete(token);
      throw error;
    }
  }

  listen(listener: RoomLogListener): void {
    this.#listener = listener;
  }

  /** Stops reading the stream (the connection stays the caller's). */
  async stop(): Promise<void> {
    await this.#messages?.close();
    await this.#reading;
    this.#origins.clear();
  }

  /** Same as {@linkcode stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #begin(): Promise<void> {
    const { nc, stream, prefix, replicas } = this.#options;
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream).catch(() => undefined) ??
      await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], num_replicas: replicas });
    const consumer = await this.#js.consumers.get(stream, {
      // Server 2.9 knows only the one-subject filter: a string, not a list.
      filter_subjects: `${prefix}.>`,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: info.state.last_seq + 1,
    });
    // A short expiry: an ordered consumer whose pull outlives a leader change stalls.
    const messages = this.#messages = await consumer.consume({ expires: 2_000 });
    this.#reading = (async () => {
      for await (const message of messages) this.#receive(message);
    })();
  }

  #receive(message: JsMsg): void {
    let folded: string;
    let stored: StoredEvent;
    try {
      folded = roomOfSubject(message.subject, this.#options.prefix);
      stored = message.json<StoredEvent>();
      if (typeof stored?.room !== "string" || typeof stored.body?.type !== "string") {
        throw new Error(`Message ${message.seq} is not a room event`);
      }
    } catch (error) {
      this.#onSkip(error instanceof Error ? error : new Error(String(error)), message.seq);
      return;
    }
    let origin: Member | undefined;
    if (message.headers?.get(NODE_HEADER) === this.#options.node) {
      const token = message.headers.get(ORIGIN_HEADER);
      origin = this.#origins.get(token);
      this.#origins.delete(token);
    }
    this.#lastIds.set(folded, message.seq);
    const event = { ...stored.body, room: stored.room, id: message.seq } as RoomEvent;
    this.#listener(event, folded, origin);
  }
}
