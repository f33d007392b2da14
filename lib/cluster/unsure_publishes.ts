/**
 * Messages whose publish timed out: JetStream may still have stored them
 * (the ack was lost, or the quorum came back and committed the proposal
 * later). When the same sender sends the same text to the same room again
 * (its client retrying after `cluster_unavailable`), the retry carries the
 * first attempt's message id, so JetStream's de-duplication window stores
 * it once: a retried message arrives once, not twice.
 *
 * @module
 */

import type { RoomEventBody } from "../core/state/room_log.ts";

/** JetStream's default de-duplication window, in ms (a stream's `duplicate_window`). */
export const DUPLICATE_WINDOW_MS = 120_000;

/** The most remembered at once (older ones are forgotten first). */
const MAX_UNSURE = 10_000;

/** Message ids of publishes that timed out, by room, sender and text. */
export class UnsurePublishes {
  readonly #ids = new Map<string, { msgID: string; at: number }>();

  /** A clock in ms (tests pass their own). */
  constructor(readonly now: () => number = () => performance.now()) {}

  /** How many are remembered. */
  get size(): number {
    return this.#ids.size;
  }

  /** The message id an earlier, unsure attempt of this message used, or undefined. */
  take(folded: string, body: RoomEventBody): string | undefined {
    const key = keyOf(folded, body);
    if (key === undefined) return undefined;
    const unsure = this.#ids.get(key);
    if (!unsure) return undefined;
    this.#ids.delete(key);
    return this.now() - unsure.at < DUPLICATE_WINDOW_MS ? unsure.msgID : undefined;
  }

  /** Remembers a message whose publish timed out under `msgID`. */
  remember(folded: string, body: RoomEventBody, msgID: string): void {
    const key = keyOf(folded, body);
    if (key === undefined) return;
    this.#ids.delete(key);
    this.#ids.set(key, { msgID, at: this.now() });
    for (const [old, { at }] of this.#ids) {
      if (this.#ids.size <= MAX_UNSURE && this.now() - at < DUPLICATE_WINDOW_MS) break;
      this.#ids.delete(old);
    }
  }
}

/** Only messages are retried by their senders: joins, leaves and topics are not. */
function keyOf(folded: string, body: RoomEventBody): string | undefined {
  if (body.type !== "msg") return undefined;
  return `${folded}\u0000${body.from}\u0000${body.kind}\u0000${body.text}`;
}

/** Whether a publish failed by waiting out its ack (it may be stored), not by a refusal. */
export function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout|timed out/i.test(`${error.name} ${error.message}`);
}
