/**
 * The bytes of a run of one room's messages (delivery_batch.ts), made once
 * per wire format and variant (what differs between readers: the text front
 * end's mark of another room, IRC's tags) and shared by every reader of that
 * variant, as each codec shares one event's bytes. Only runs of messages
 * are shared: joins, leaves and topics change what some codecs remember of
 * the room, so they go out event by event.
 *
 * @module
 */

import type { ServerFrame } from "./wire_frames.ts";
import { clearArray } from "../core/arrays.ts";

/** What renders one event for one reader (its codec). */
export interface EventEncoder {
  encode(event: ServerFrame): Uint8Array;
}

/** The variants a cache keeps (IRC's capability bits are three). */
const VARIANTS = 8;

/** The events' bytes while they are joined (scratch, reused). */
const parts: Uint8Array[] = [];

/**
 * One wire format's cache of the last run: its bytes per variant. A run is
 * known by its first event and its length (an event is in one run only; the
 * runs' arrays are reused), and nothing of it is kept but its bytes.
 */
export class RunCache {
  #first: ServerFrame | undefined;
  #length = 0;
  #messages = false;
  readonly #bytes: (Uint8Array | undefined)[] = new Array(VARIANTS).fill(undefined);

  /**
   * The run's bytes for readers of `variant` (0 to 7), made the first time
   * by `encoder` (one reader of that variant) event by event; undefined when
   * the run holds anything but messages.
   */
  bytes(
    events: readonly ServerFrame[],
    variant: number,
    encoder: EventEncoder,
  ): Uint8Array | undefined {
    if (events[0] !== this.#first || events.length !== this.#length) {
      this.#first = events[0];
      this.#length = events.length;
      this.#messages = events.every(isMessage);
      this.#bytes.fill(undefined);
    }
    if (!this.#messages) return undefined;
    return this.#bytes[variant] ??= joined(events, encoder);
  }
}

function isMessage(event: ServerFrame): boolean {
  return event.type === "msg";
}

/**
 * The events' bytes end to end: a view when they lie one after another in
 * one buffer (short lines carved from utf8's slab in turn do), else a copy.
 */
function joined(events: readonly ServerFrame[], encoder: EventEncoder): Uint8Array {
  let size = 0;
  let adjacent = true;
  for (let i = 0; i < events.length; i++) {
    const part = encoder.encode(events[i]);
    const last = parts[i - 1];
    if (
      i !== 0 && adjacent &&
      (last.byteOffset + last.length !== part.byteOffset || last.buffer !== part.buffer)
    ) adjacent = false;
    parts[i] = part;
    size += part.length;
  }
  let out: Uint8Array;
  if (adjacent) out = new Uint8Array(parts[0].buffer, parts[0].byteOffset, size);
  else {
    out = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < events.length; i++) {
      out.set(parts[i], at);
      at += parts[i].length;
    }
  }
  clearArray(parts);
  return out;
}
