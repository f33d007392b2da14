/**
 * The room log of a cluster: one JetStream stream holds every room, a
 * subject per room ({@linkcode roomSubject}). JetStream's stream sequence
 * is the order and the id: every node reads the stream in sequence order
 * and hands each event to its own fan-out, so every member on every node
 * sees one order per room. Ids keep increasing per room with gaps (they are
 * numbered across all rooms).
 *
 * `append` publishes without waiting and returns the promise of the event's id: the event
 * reaches the listener (on this node as on the others) only once JetStream has stored it, so
 * "delivered" means "acknowledged", and a refusal rejects the promise (the hub tells the sender
 * `cluster_unavailable`); an event read back stored before its ack timed out is not refused.
 * Publishes are pipelined: many may be in flight at once, none waits for another's ack. While
 * NATS is unreachable, or after a publish failed, a {@linkcode PublishGate} refuses at once until
 * JetStream answers again.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import {
  type ConsumerMessages,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Member } from "../core/member.ts";
import type { RoomEvent, RoomEventBody, RoomLog, RoomLogListener } from "../core/state/room_log.ts";
import { ROOM_SUBJECT_PREFIX, roomOfSubject, roomSubject } from "./room_subject.ts";
import { ClusterUnavailableError, PublishGate } from "./publish_gate.ts";
import { isTimeout, UnsurePublishes } from "./unsure_publishes.ts";
import * as recovery from "./reader_recovery.ts";
import { natsRoomEvent } from "./nats_input.ts";
import { streamInfoOrAdd } from "./stream_info.ts";
/** How often a reader that should have news but got none is checked, in ms. */
const STALL_CHECK_MS = 3_000;

/** The headers that named an event's node and origin token before both were in the stored body. */
const NODE_HEADER = "Lanchat-Node";
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
  /** Called when the reader of the stream is started again (its consumer was lost). */
  onRestart?: (error: Error) => void;
  /** Called when publishes start being refused at once (with why), and when they no longer are. */
  onAvailability?: (reason: string | undefined) => void;
}

/**
 * What the stream stores for one event: the room's shown name, the body,
 * the node that published it and that node's token for its local origin.
 * In the body, not in headers: a reader then parses no headers (measured
 * cheaper per event; the message id is still a header, JetStream's).
 */
interface StoredEvent {
  room: string;
  body: RoomEventBody;
  node?: string;
  origin?: string;
}

/** The room log on a JetStream stream, shared by every node of a cluster. */
export class NatsRoomLog implements RoomLog, AsyncDisposable {
  readonly #options: Required<
    Omit<NatsRoomLogOptions, "onError" | "onSkip" | "onRestart" | "onAvailability">
  >;
  readonly #onAvailability: NatsRoomLogOptions["onAvailability"];
  #gate: PublishGate | undefined;
  readonly #unsure = new UnsurePublishes();
  readonly #onError: NonNullable<NatsRoomLogOptions["onError"]>;
  readonly #onSkip: NonNullable<NatsRoomLogOptions["onSkip"]>;
  readonly #onRestart: NonNullable<NatsRoomLogOptions["onRestart"]>;
  readonly #js: JetStreamClient;
  /** The reader's JetStream API, with a short timeout (`READER_API_MS`). */
  readonly #readerJs: JetStreamClient;
  readonly #lastIds = new Map<string, number>();
  /** Origins of this node's events in flight, by the token their message carries. */
  readonly #origins = new Map<string, Member>();
  /** This node's publishes in flight, by token: the sequence the reader saw it stored at, or 0. */
  readonly #publishing = new Map<string, number>();
  #nextToken = 0;
  /** When this log started: with the token, a message id no restart of the node reuses. */
  readonly #started = Date.now().toString(36);
  /** Events read before anyone listens (the hub comes after the log): handed on by `listen`. */
  #early: Parameters<RoomLogListener>[] | undefined = [];
  #listener: RoomLogListener = (...args) => this.#early?.push(args);
  /** The reader now (undefined while one is being made, or between attempts). */
  #messages: ConsumerMessages | undefined;
  #reading: Promise<void> = Promise.resolve();
  /** Cuts the reader loop's wait short: a pause between attempts, or an attempt under way. */
  #wake: () => void = () => {};
  /** The stream sequence of the gate's last successful probe. */
  #probeSeq = 0;
  #unfollow: () => void = () => {};
  /** Until when a reader that cannot be made is asked for again without a pause. */
  #urgentUntil = 0;
  /** The stream sequence of the next event to hand on. */
  #nextSeq = 1;
  #stopped = false;
  #jsm: JetStreamManager | undefined;
  #receivedAt = performance.now();
  #checking = false;

  private constructor(options: NatsRoomLogOptions) {
    const { onError = () => {}, onSkip = () => {}, onRestart = () => {}, onAvailability, ...rest } =
      options;
    this.#onAvailability = onAvailability;
    // `??`, not a spread: an option passed as undefined (joinCluster's `replicas` without the
    // flag) must not replace its default (it made the stream R1).
    this.#options = {
      nc: rest.nc,
      node: rest.node,
      stream: rest.stream ?? "LANCHAT_ROOMS",
      prefix: rest.prefix ?? ROOM_SUBJECT_PREFIX,
      replicas: rest.replicas ?? 3,
      ackTimeoutMs: rest.ackTimeoutMs ?? 5_000,
    };
    this.#onError = onError;
    this.#onSkip = onSkip;
    this.#onRestart = onRestart;
    this.#js = jetstream(options.nc);
    this.#readerJs = jetstream(options.nc, { timeout: recovery.READER_API_MS });
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

  /**
   * Publishes an event (see {@linkcode publish}); a refusal also goes to
   * `onError`, so a caller that does not wait (a join, a leave) loses
   * nothing unreported.
   */
  append(folded: string, name: string, body: RoomEventBody, origin?: Member): Promise<number> {
    const published = this.publish(folded, name, body, origin);
    published.catch((error) =>
      this.#onError(error instanceof Error ? error : new Error(String(error)), folded, body, origin)
    );
    return published;
  }

  /**
   * Why publishes are refused at once now (NATS unreachable, JetStream
   * failing), or undefined while they are attempted.
   */
  get unavailable(): string | undefined {
    return this.#gate?.closedBecause;
  }

  /**
   * Publishes an event; resolves with its id once JetStream has stored it.
   * Does not wait for earlier publishes: their acks come back in any order.
   *
   * @throws {ClusterUnavailableError} at once while NATS is unreachable or JetStream failing
   */
  async publish(
    folded: string,
    name: string,
    body: RoomEventBody,
    origin?: Member,
  ): Promise<number> {
    this.#gate?.check();
    const token = `${this.#nextToken++}`;
    if (origin) this.#origins.set(token, origin);
    this.#publishing.set(token, 0);
    const stored: StoredEvent = { room: name, body, node: this.#options.node, origin: token };
    // A retry of a message whose ack timed out goes under the same id: stored once.
    const msgID = this.#unsure.take(folded, body) ??
      `${this.#options.node}:${this.#started}:${token}`;
    try {
      const ack = await this.#js.publish(
        roomSubject(folded, this.#options.prefix),
        JSON.stringify(stored),
        { msgID, timeout: this.#options.ackTimeoutMs },
      );
      // Stored before, by the attempt that timed out: nothing new to hand on.
      if (ack.duplicate) this.#origins.delete(token);
      return ack.seq;
    } catch (error) {
      // Handed on already (its copy is out, sender's included): stored, only its ack was lost.
      const seen = this.#publishing.get(token);
      if (seen) return seen;
      this.#origins.delete(token);
      this.#gate?.failed(error);
      if (isTimeout(error)) this.#unsure.remember(folded, body, msgID);
      throw new ClusterUnavailableError(
        `JetStream did not store the event: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    } finally {
      this.#publishing.delete(token);
    }
  }

  listen(listener: RoomLogListener): void {
    this.#listener = listener;
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const args of early) listener(...args);
  }

  /** Stops reading the stream (the connection stays the caller's). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#gate?.stop();
    this.#unfollow();
    this.#wake();
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
    const jsm = this.#jsm = await jetstreamManager(nc);
    const info = await streamInfoOrAdd(jsm, {
      name: stream,
      subjects: [`${prefix}.>`],
      num_replicas: replicas,
    });
    this.#nextSeq = info.state.last_seq + 1;
    // The probe stores an empty message in the room stream itself, under a subject no room has
    // (`!` is not base64url): only a write proves a leader with a quorum (a leader whose
    // followers are gone still answers `streams.info`). Readers skip it without a word.
    this.#gate = new PublishGate({
      nc,
      probe: async () => {
        const ack = await this.#js.publish(this.#probeSubject, "", { timeout: 1_000 });
        this.#probeSeq = Math.max(this.#probeSeq, ack.seq);
      },
      onChange: (reason) => {
        // A stored probe proves the stream has a leader: a reader that has not seen it is stuck.
        if (reason === undefined && this.#nextSeq <= this.#probeSeq) {
          this.#kick("JetStream stores again");
        }
        this.#onAvailability?.(reason);
      },
    });
    const first = await recovery.untilAnswered(() => this.#consume(), isTimeout);
    this.#reading = this.#read(first);
    // Back on NATS, or a new stream leader: a new reader at once, not at the stall check.
    this.#unfollow = recovery.followRecoveries(nc, stream, (why) => this.#kick(why));
  }

  /**
   * Replaces the reader now (the stall check stays the safety net): stops
   * the one reading, or cuts short the wait for the next attempt or an
   * attempt still waiting for JetStream (made before the stream had a leader).
   */
  #kick(why: string): void {
    if (this.#stopped) return;
    this.#urgentUntil = performance.now() + recovery.URGENT_MS;
    const current = this.#messages;
    if (current) {
      this.#onRestart(new Error(`Room stream reader: ${why}`));
      current.stop();
    } else this.#wake();
  }

  /** A new reader ({@linkcode recovery.hedged}); undefined once kicked first. */
  async #consumeSoon(): Promise<ConsumerMessages | undefined> {
    const { result, cancel } = recovery.hedged(() => this.#consume(), {
      everyMs: recovery.HEDGE_MS,
      attempts: recovery.HEDGES,
      more: () => performance.now() < this.#urgentUntil,
      late: (made) => made.stop(),
    });
    this.#wake = cancel;
    try {
      return await result;
    } finally {
      this.#wake = () => {};
    }
  }

  /** An ordered consumer from the next sequence this log has not handed on. */
  async #consume(): Promise<ConsumerMessages> {
    const consumer = await this.#readerJs.consumers.get(this.#options.stream, {
      // Server 2.9 knows only the one-subject filter: a string, not a list.
      filter_subjects: `${this.#options.prefix}.>`,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#nextSeq,
    });
    // A short expiry: an ordered consumer whose pull outlives a leader change stalls.
    // A callback, not the iterator: every message of one socket read is handed on in one
    // synchronous run, so the fan-out writes each client's share of them in one write (the
    // iterator hands on one message per microtask, and the writes go out in between).
    return await consumer.consume({
      expires: 2_000,
      callback: (message) => this.#receive(message),
    });
  }

  /**
   * Reads until stopped. The client's ordered consumer does not always come
   * back after the stream's leader is killed (measured: one reader of two
   * stalled for over 30 s while the other went on), so this log watches its
   * heartbeats and, when two are missed or the consumer is gone, starts a new
   * one from the next sequence it has not handed on: nothing skipped, nothing
   * handed on twice.
   */
  async #read(first: ConsumerMessages): Promise<void> {
    let messages: ConsumerMessages | undefined = first;
    let pause = 100;
    while (!this.#stopped) {
      try {
        messages ??= await this.#consumeSoon();
        if (!messages) continue; // Kicked: new attempts at once.
      } catch (error) {
        this.#onRestart(error instanceof Error ? error : new Error(String(error)));
        const kicked = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), pause);
          this.#wake = () => (clearTimeout(timer), resolve(true));
        });
        this.#wake = () => {};
        pause = kicked ? 100 : Math.min(pause * 2, 2_000);
        continue;
      }
      if (this.#stopped) {
        messages.stop();
        break;
      }
      pause = 100;
      const current = this.#messages = messages;
      const watching = (async () => {
        for await (const status of current.status()) {
          const lost = (status.type === "heartbeats_missed" && status.count >= 2) ||
            status.type === "consumer_not_found" || status.type === "consumer_deleted";
          if (lost) {
            this.#onRestart(new Error(`Room stream reader: ${status.type}`));
            current.stop();
            return;
          }
        }
      })().catch(() => {});
      const stall = setInterval(() => this.#checkStall(current), STALL_CHECK_MS);
      // Settles (with the error, if any) once the consumer stops; `#receive` ran for each message.
      const ended = await current.closed().catch((error) => error);
      if (ended && !this.#stopped) {
        this.#onRestart(ended instanceof Error ? ended : new Error(String(ended)));
      }
      clearInterval(stall);
      current.stop();
      await watching;
      messages = this.#messages = undefined;
    }
  }

  /**
   * Stops a reader that has fallen behind the stream and received nothing
   * for a while: heartbeats may still come while its pulls go unanswered.
   */
  async #checkStall(current: ConsumerMessages): Promise<void> {
    if (this.#checking || performance.now() - this.#receivedAt < STALL_CHECK_MS) return;
    this.#checking = true;
    try {
      const info = await this.#jsm?.streams.info(this.#options.stream);
      const behind = info !== undefined && info.state.last_seq >= this.#nextSeq;
      if (behind && performance.now() - this.#receivedAt >= STALL_CHECK_MS && !this.#stopped) {
        this.#onRestart(new Error(`Room stream reader: stalled before ${this.#nextSeq}`));
        current.stop();
      }
    } catch {
      // NATS unreachable: the heartbeats and the reconnect deal with it.
    } finally {
      this.#checking = false;
    }
  }

  /** The subject of the gate's probes (in the stream, of no room). */
  get #probeSubject(): string {
    return `${this.#options.prefix}.!probe`;
  }

  #receive(message: JsMsg): void {
    this.#receivedAt = performance.now();
    if (message.seq < this.#nextSeq) return; // Handed on already, before a restart.
    this.#nextSeq = message.seq + 1;
    if (message.subject === this.#probeSubject) return;
    let folded: string;
    let event: RoomEvent;
    let stored: Partial<StoredEvent>;
    try {
      folded = roomOfSubject(message.subject, this.#options.prefix);
      stored = message.json<Partial<StoredEvent>>();
      event = natsRoomEvent(stored, folded, message.seq); // checked as a client's
    } catch (error) {
      this.#onSkip(error instanceof Error ? error : new Error(String(error)), message.seq);
      return;
    }
    let origin: Member | undefined;
    // Only strings count: the rest of the stored object was checked by natsRoomEvent.
    const text = (value: unknown) => typeof value === "string" ? value : undefined;
    const node = text(stored.node) ?? message.headers?.get(NODE_HEADER);
    if (node === this.#options.node) {
      const token = text(stored.origin) ?? message.headers?.get(ORIGIN_HEADER) ?? "";
      origin = this.#origins.get(token);
      this.#origins.delete(token);
      if (this.#publishing.has(token)) this.#publishing.set(token, message.seq);
    }
    this.#lastIds.set(folded, message.seq);
    this.#listener(event, folded, origin);
  }
}
