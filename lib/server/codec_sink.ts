/**
 * Where the hub delivers one client's events: its codec encodes them, its
 * outbox queues the bytes.
 *
 * @module
 */

import type { ByeFrame, ServerFrame } from "../protocol/wire_frames.ts";
import type { MemberSink } from "../core/member.ts";
import type { Codec } from "../protocol/codec.ts";
import type { Outbox } from "./outbox.ts";
import type { RoomEvent } from "../core/state/room_log.ts";
import { flushDeliveries } from "../core/delivery_batch.ts";

/** Who hears each goodbye of a {@linkcode CodecSink} before it is queued (the session). */
export interface GoodbyeListener {
  /** `event` is about to be said, and the outbox ended. */
  goodbye(event: ByeFrame): void;
}

/**
 * Where the hub delivers one client's events: each is encoded by the
 * client's codec and queued in its outbox. Nothing waits and nothing is
 * allocated here, so a broadcast costs one encode per wire format (the
 * codecs share the bytes) and one enqueue per recipient.
 */
export class CodecSink implements MemberSink {
  /**
   * Pairs a codec with the outbox its bytes go to; `listener` hears every
   * goodbye (the hub's too: a flood, a kick), before it is queued (an
   * object, not a closure: one less per client).
   */
  constructor(
    readonly codec: Codec,
    readonly outbox: Outbox,
    readonly listener?: GoodbyeListener,
  ) {}

  /** Encodes and queues the event (after a held run: delivery_batch.ts). */
  deliver(event: ServerFrame): void {
    flushDeliveries();
    this.outbox.send(this.codec.encode(event));
  }

  /**
   * Queues a run of one room's events in one piece when the codec shares
   * runs and it fits the send queue (else event by event, each against the
   * queue's limit, as always).
   */
  deliverRun(events: readonly RoomEvent[]): boolean {
    const bytes = this.codec.encodeRun?.(events);
    if (bytes === undefined || this.outbox.fits?.(bytes.length) === false) return false;
    this.outbox.send(bytes);
    return true;
  }

  /** Queues the goodbye (when the codec has one to say) and ends the outbox. */
  end(event: ByeFrame): void {
    flushDeliveries();
    this.listener?.goodbye(event);
    void this.outbox.end(this.codec.encodeEnd(event));
  }
}
