/**
 * The one ordered queue of a reconnecting session's outgoing frames: they
 * wait while offline (up to a limit), while rooms are rejoined, and while
 * the server's rate limit says so; once written they wait for the server's
 * confirmation, and go again on the next connection if it never comes.
 *
 * @module
 */

import type { WelcomeEvent } from "../core/events.ts";
import { isQuitWord } from "../core/commands/command_words.ts";
import { foldRoom } from "../core/room_name.ts";
import { TokenBucket } from "../core/token_bucket.ts";
import { ConnectError } from "../errors.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";

/** Thrown by `send` when the connection is down and the offline queue is full. */
export class OfflineQueueFullError extends ConnectError {
  /**
   * Builds the refusal of a frame over the limit.
   *
   * @param limit how many frames the offline queue holds
   */
  constructor(limit: number) {
    super(`Not connected, and ${limit} messages are already waiting; this one was not sent`);
    this.name = "OfflineQueueFullError";
  }
}

/** Whether a frame is the `/quit` command or an alias of it (never limited). */
export function isQuit(frame: ClientFrame): boolean {
  return frame.type === "cmd" && isQuitWord(frame.name);
}

/** What the queue writes to: the connection up now. */
export interface FrameSink {
  /** Writes a frame; rejects when the connection is failing. */
  send(frame: ClientFrame): Promise<void>;
}

/** Pace a little under the server's announced rate, for clock differences. */
const PACE_MARGIN = 0.9;
/** The token prefix of the pings whose pongs confirm written frames. */
const CONFIRM_PREFIX = "ack:";
/** The first pause before a frame the cluster refused goes again; it doubles up to the next. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 8_000;

/** Whether a frame is a message to a room (what a cluster may refuse as `cluster_unavailable`). */
function isRoomMessage(frame: ClientFrame): boolean {
  if (frame.type === "msg") return true;
  if (frame.type === "input") return !frame.line.startsWith("/") || frame.line.startsWith("//");
  return frame.type === "cmd" && ["me", "notice"].includes(frame.name.toLowerCase());
}

/**
 * Frames on their way to the server, in order. A frame leaves the waiting
 * queue only once it was written, and the in-flight list only once the
 * server confirmed it: the server handles a connection's frames in order,
 * so the `pong` to a ping written after them confirms them all.
 */
export class FrameQueue {
  #waiting: ClientFrame[] = [];
  /** Written, not yet confirmed, with their sequence numbers. */
  #inflight: { seq: number; frame: ClientFrame }[] = [];
  #seq = 0;
  #askedUpTo = 0;
  #bucket: TokenBucket | undefined;
  #draining = false;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #paused = false;
  #closed = false;
  /** Frames the cluster refused, back at the head of `#waiting` (in their order). */
  #retrying = 0;
  /** No writing before this (performance.now() ms): a refused frame waits a little. */
  #holdUntil = 0;
  #retryDelayMs = RETRY_FIRST_MS;

  /**
   * Builds an empty queue.
   *
   * @param offlineLimit frames kept while offline; more are refused
   * @param connection the connection up now (undefined: offline)
   */
  constructor(
    readonly offlineLimit: number,
    readonly connection: () => FrameSink | undefined,
  ) {}

  /** Frames not written and confirmed yet (offline, rejoining, paced, or in flight). */
  get size(): number {
    return this.#waiting.length + this.#inflight.length;
  }

  /** Lines the user typed that are not confirmed yet (the automatic quit not counted). */
  get unsentLines(): number {
    const frames = [...this.#inflight.map((f) => f.frame), ...this.#waiting];
    return frames.filter((f) => !isQuit(f)).length;
  }

  /**
   * Queues a frame after everything before it and starts writing. A frame
   * typed offline goes to `room` (the one it was typed in), unless an
   * earlier queued command changes rooms first.
   *
   * @throws {OfflineQueueFullError} when offline with a full queue
   */
  push(frame: ClientFrame, offline: boolean, room: string | undefined): void {
    if (offline && this.#waiting.length >= this.offlineLimit) {
      throw new OfflineQueueFullError(this.offlineLimit);
    }
    this.#waiting.push(offline ? this.#stamp(frame, room) : frame);
    void this.drain();
  }

  /** Takes the server's announced rate limit, to pace frames under it. */
  pace(welcome: WelcomeEvent): void {
    const limit = welcome.rateLimit;
    this.#bucket = limit
      ? new TokenBucket(
        { rate: limit.rate * PACE_MARGIN, burst: Math.max(1, limit.burst - 1) },
        () => performance.now(),
      )
      : undefined;
  }

  /** Holds the queue (while rooms are rejoined), or lets it go again (then call `drain`). */
  set paused(paused: boolean) {
    this.#paused = paused;
  }

  /** Whether the queue is held. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * The connection was lost: frames written but not confirmed go first in
   * line for the next one. Returns how many of them the user typed.
   */
  requeueUnconfirmed(): number {
    const unconfirmed = this.#inflight.filter((f) => !isQuit(f.frame)).length;
    if (this.#inflight.length > 0) {
      // Written after the refused ones waiting at the head: they go after them again.
      this.#waiting.splice(this.#retrying, 0, ...this.#inflight.map((f) => f.frame));
      this.#inflight = [];
      this.#askedUpTo = 0;
    }
    return unconfirmed;
  }

  /** The server said goodbye to our quit: it handled everything before it, in order. */
  confirmAll(): void {
    this.#inflight = [];
  }

  /** A pong came: frames up to the one its token names are confirmed. */
  confirm(token: string | undefined): void {
    if (!token?.startsWith(CONFIRM_PREFIX)) return;
    const upTo = Number(token.slice(CONFIRM_PREFIX.length));
    const before = this.#inflight.length;
    this.#inflight = this.#inflight.filter((f) => f.seq > upTo);
    if (this.#inflight.length < before && this.#retrying === 0) this.#retryDelayMs = RETRY_FIRST_MS;
  }

  /**
   * The server answered `cluster_unavailable`: it handles frames in order,
   * so the refused one is the first message in flight, and the frames
   * before it were handled. It goes back to the head of the queue (after
   * frames refused before it) and is written again after a pause that
   * doubles while refusals go on (1 s up to 8 s). Returns the pause in ms,
   * or undefined for any other event, or when no message was in flight.
   */
  retryRefused(event: { type: string; code?: string }): number | undefined {
    if (event.type !== "error" || event.code !== "cluster_unavailable") return undefined;
    const at = this.#inflight.findIndex(({ frame }) => isRoomMessage(frame));
    if (at < 0) return undefined;
    const [{ frame }] = this.#inflight.splice(0, at + 1).slice(-1);
    this.#waiting.splice(this.#retrying++, 0, frame);
    const pause = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, RETRY_MAX_MS);
    this.#holdUntil = Math.max(this.#holdUntil, performance.now() + pause);
    clearTimeout(this.#drainTimer);
    this.#drainTimer = setTimeout(() => this.drain(), pause);
    return pause;
  }

  /**
   * An event: when it is our own message come back (`nick` is ours; the
   * server echoes a member's messages to it), the server handles a connection's frames in order, so that frame
   * and every one written before it were handled, whether or not the pong
   * that confirms them arrives before the connection goes. The first frame
   * in flight with the same text (and room, when it named one) is the one.
   * A text the server changed matches nothing, and waits for the pong.
   */
  confirmEcho(
    event: { type: string; from?: string; room?: string; text?: string },
    nick: string,
  ): void {
    if (event.type !== "msg" || event.from !== nick) return;
    const { room = "", text } = event;
    const at = this.#inflight.findIndex(({ frame }) =>
      frame.type === "msg" && frame.text === text &&
      (frame.room === undefined || foldRoom(frame.room) === foldRoom(room))
    );
    if (at < 0) return;
    this.#inflight.splice(0, at + 1);
    if (this.#retrying === 0) this.#retryDelayMs = RETRY_FIRST_MS;
  }

  /** Waits until the rate limit allows one more frame (for rejoins, which skip the queue). */
  async waitForRateLimit(): Promise<void> {
    while (this.#bucket && !this.#bucket.take() && !this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, this.#bucket!.waitMs())));
    }
  }

  /** Stops writing for good. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#drainTimer);
  }

  /** Writes waiting frames in order, paced by the rate limit; stops on any failure. */
  async drain(): Promise<void> {
    if (this.#draining || this.#paused) return;
    this.#draining = true;
    try {
      while (this.#waiting.length > 0 && !this.#closed && !this.#paused) {
        const connection = this.connection();
        if (!connection) return;
        const frame = this.#waiting[0];
        const hold = this.#holdUntil - performance.now();
        if (hold > 0 && !isQuit(frame)) {
          clearTimeout(this.#drainTimer);
          this.#drainTimer = setTimeout(() => this.drain(), hold);
          return;
        }
        // `/quit` is never rate limited.
        if (!isQuit(frame) && this.#bucket && !this.#bucket.take()) {
          clearTimeout(this.#drainTimer);
          this.#drainTimer = setTimeout(() => this.drain(), Math.max(1, this.#bucket.waitMs()));
          return;
        }
        try {
          await connection.send(frame);
        } catch {
          return; // The connection is dying; the frame stays queued for the next one.
        }
        if (this.#waiting[0] === frame) {
          this.#waiting.shift();
          if (this.#retrying > 0) this.#retrying--;
        }
        this.#inflight.push({ seq: ++this.#seq, frame });
      }
    } finally {
      this.#draining = false;
      this.#askForConfirmation();
    }
  }

  /** Sends a ping after the last written frame; its pong confirms everything before it. */
  #askForConfirmation(): void {
    const connection = this.connection();
    if (!connection || this.#seq <= this.#askedUpTo || this.#inflight.length === 0) return;
    this.#askedUpTo = this.#seq;
    connection.send({ type: "ping", token: `${CONFIRM_PREFIX}${this.#seq}` }).catch(() => {});
  }

  /**
   * A frame typed offline goes to the room it was typed in, unless an
   * earlier queued command will change rooms first (then the server's
   * current room at that point is the right one).
   */
  #stamp(frame: ClientFrame, room: string | undefined): ClientFrame {
    if ((frame.type !== "msg" && frame.type !== "cmd") || frame.room !== undefined) return frame;
    const changesRoom = this.#waiting.some((f) =>
      f.type === "cmd" && (f.name === "join" || f.name === "part" || f.name === "leave")
    );
    if (changesRoom || isQuit(frame)) return frame;
    return { ...frame, room };
  }
}
