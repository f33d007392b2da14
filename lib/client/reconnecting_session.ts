import type { ChatEvent, MessageEvent, WelcomeEvent } from "../core/events.ts";
import { ConnectError } from "../errors.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { ChatSession, lineToFrame, RefusedError, type SessionOptions } from "./chat_session.ts";

/** A change of the connection, reported between the server's events. */
export interface StatusEvent {
  type: "status";
  /** `offline`: lost, waiting to retry; `connected`: back (a welcome follows); `failed`: gave up. */
  state: "offline" | "connected" | "failed";
  message: string;
  /** For `offline`: when the next attempt starts, in ms from now. */
  retryInMs?: number;
  /** For `offline`: how many attempts failed so far. */
  attempt?: number;
}

/** What a reconnecting session yields: the server's events and its own status. */
export type SessionEvent = ChatEvent | StatusEvent;

/** Thrown by `send` when the connection is down and the offline queue is full. */
export class OfflineQueueFullError extends ConnectError {
  constructor(limit: number) {
    super(`Not connected, and ${limit} messages are already waiting; this one was not sent`);
    this.name = "OfflineQueueFullError";
  }
}

/** Settings beyond the connection's own. */
export interface ReconnectOptions extends SessionOptions {
  /** First retry delay; it doubles per failure up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Frames kept while offline; more are refused. */
  offlineQueueLimit?: number;
  /** The server is pinged after this much silence... */
  idlePingMs?: number;
  /** ...and the connection given up as dead after this much. */
  deadAfterMs?: number;
  /** Randomness for the jitter (tests pass a fixed one). */
  random?: () => number;
}

/** Refusals that retrying will not fix. */
const FATAL_CODES = new Set(["bad_nick", "protocol_version", "protocol"]);

/**
 * A chat session that survives the server restarting and the link dropping:
 * it reconnects with exponential backoff and jitter, keeps its nick and
 * rooms, queues what is sent while offline and sends it once back, and
 * skips history it already showed. Fatal refusals (a bad nick, a wrong
 * protocol version) are not retried.
 */
export class ReconnectingSession implements AsyncDisposable {
  /** The first welcome. */
  readonly welcome: WelcomeEvent;
  #session: ChatSession | undefined;
  readonly #options: Required<Omit<ReconnectOptions, "timeoutMs">> & { timeoutMs?: number };
  #nick: string;
  /** Rooms we are in (display names), in join order, and the one in use. */
  #rooms: string[] = [];
  #current: string | undefined;
  /** Newest message id seen per room, to skip history already shown. */
  readonly #lastIds = new Map<string, number>();
  #queue: ClientFrame[] = [];
  #closed = false;
  #wake: (() => void) | undefined;
  #lastHeard = performance.now();

  private constructor(session: ChatSession, options: ReconnectOptions) {
    this.#session = session;
    this.welcome = session.welcome;
    this.#options = {
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      offlineQueueLimit: 100,
      idlePingMs: 20_000,
      deadAfterMs: 35_000,
      random: Math.random,
      ...options,
    };
    this.#nick = session.welcome.nick;
    this.#track(session.welcome);
  }

  /**
   * Connects for the first time; failures here are reported, not retried.
   *
   * @throws {ConnectError} or {RefusedError} as {@linkcode ChatSession.connect}
   */
  static async connect(options: ReconnectOptions): Promise<ReconnectingSession> {
    return new ReconnectingSession(await ChatSession.connect(options), options);
  }

  /** Whether a connection is up right now. */
  get connected(): boolean {
    return this.#session !== undefined;
  }

  /** Frames waiting to be sent once reconnected. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * The server's events and status changes, until the user quits or a
   * fatal refusal ends the session.
   */
  async *events(): AsyncGenerator<SessionEvent, void, void> {
    while (!this.#closed) {
      const session = this.#session;
      if (session) {
        const ended = yield* this.#relay(session);
        if (ended) return;
        if (this.#closed) return;
        this.#session = undefined;
      }
      const outcome = yield* this.#reconnect();
      if (outcome === "fatal") return;
    }
  }

  /**
   * Sends a frame, or queues it while offline. Resolves to what happened.
   *
   * @throws {OfflineQueueFullError} when offline with a full queue
   */
  async send(frame: ClientFrame): Promise<"sent" | "queued"> {
    const session = this.#session;
    if (session) {
      try {
        await session.send(frame);
        return "sent";
      } catch {
        // The connection just died; keep the frame for the next one.
      }
    }
    if (this.#queue.length >= this.#options.offlineQueueLimit) {
      throw new OfflineQueueFullError(this.#options.offlineQueueLimit);
    }
    // It goes to the room it was typed in, whatever happens meanwhile.
    const stamped = (frame.type === "msg" || frame.type === "cmd") && frame.room === undefined
      ? { ...frame, room: this.#current }
      : frame;
    this.#queue.push(stamped);
    return "queued";
  }

  /** Sends a typed line (see {@linkcode lineToFrame}). */
  sendLine(line: string): Promise<"sent" | "queued"> {
    return this.send(lineToFrame(line));
  }

  /** Ends the session for good (after a quit, or to give up). */
  close(): void {
    this.#closed = true;
    this.#session?.close();
    this.#wake?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await Promise.resolve();
  }

  /** Yields one connection's events; returns true when the session is over for good. */
  async *#relay(session: ChatSession): AsyncGenerator<SessionEvent, boolean, void> {
    const watchdog = setInterval(() => this.#checkAlive(session), 1000);
    try {
      for await (const event of session.events()) {
        this.#lastHeard = performance.now();
        const shown = this.#track(event);
        if (shown) yield shown;
        if (event.type === "bye") {
          if (event.reason === "quit") return true;
          if (event.code && FATAL_CODES.has(event.code) || event.reason === "protocol") {
            yield { type: "status", state: "failed", message: event.message };
            return true;
          }
        }
      }
    } catch {
      // Lost: reconnect below.
    } finally {
      clearInterval(watchdog);
      session.close();
    }
    return this.#closed;
  }

  /** Pings a quiet server, and drops a connection that stays silent (half-open TCP). */
  #checkAlive(session: ChatSession): void {
    const quiet = performance.now() - this.#lastHeard;
    if (quiet >= this.#options.deadAfterMs) session.close();
    else if (quiet >= this.#options.idlePingMs) {
      session.send({ type: "ping", token: "alive?" }).catch(() => session.close());
    }
  }

  /** Retries until connected (returns "ok"), closed, or refused for good ("fatal"). */
  async *#reconnect(): AsyncGenerator<SessionEvent, "ok" | "fatal", void> {
    let attempt = 0;
    while (!this.#closed) {
      const base = Math.min(
        this.#options.maxDelayMs,
        this.#options.initialDelayMs * 2 ** Math.min(attempt, 20),
      );
      // Jitter: 50% to 150% of the base, so clients of a restarted server spread out.
      const delay = Math.round(base * (0.5 + this.#options.random()));
      const wait = `${(delay / 1000).toFixed(1)} s`;
      yield {
        type: "status",
        state: "offline",
        message: attempt === 0
          ? `Disconnected; reconnecting in ${wait}`
          : `Still offline (attempt ${attempt} failed); retrying in ${wait}`,
        retryInMs: delay,
        attempt,
      };
      await this.#sleep(delay);
      if (this.#closed) break;
      attempt++;
      let session: ChatSession;
      try {
        session = await ChatSession.connect({ ...this.#options, nick: this.#nick });
      } catch (error) {
        if (error instanceof RefusedError && FATAL_CODES.has(error.code)) {
          yield { type: "status", state: "failed", message: error.message };
          return "fatal";
        }
        // Refused for now (our old connection's ghost still holds the nick,
        // the server is full or still down): try again later.
        continue;
      }
      this.#lastHeard = performance.now();
      this.#session = session;
      const rooms = [...this.#rooms];
      const current = this.#current;
      yield { type: "status", state: "connected", message: "Reconnected" };
      const welcome = this.#track(session.welcome, true);
      if (welcome) yield welcome;
      await this.#restore(session, rooms, current);
      return "ok";
    }
    return "ok";
  }

  /** Rejoins the rooms, makes the right one current, and sends what waited. */
  async #restore(session: ChatSession, rooms: string[], current?: string): Promise<void> {
    this.#rooms = [session.welcome.room];
    try {
      for (const room of rooms) {
        if (room.toLowerCase() !== session.welcome.room.toLowerCase()) {
          await session.send({ type: "cmd", name: "join", args: room });
        }
      }
      if (!rooms.some((r) => r.toLowerCase() === session.welcome.room.toLowerCase())) {
        await session.send({ type: "cmd", name: "part", args: session.welcome.room });
      }
      // Joining the current room again makes it current on the server too.
      if (current && rooms.length > 1) {
        await session.send({ type: "cmd", name: "join", args: current });
      }
      const queued = this.#queue;
      this.#queue = [];
      for (const frame of queued) await session.send(frame);
    } catch {
      // The new connection failed already; the relay notices and retries.
    }
  }

  /**
   * Follows nick, rooms and message ids; returns the event to show (with
   * history already shown removed), or undefined to hide it.
   */
  #track(event: ChatEvent, rejoined = false): ChatEvent | undefined {
    switch (event.type) {
      case "welcome":
      case "joined": {
        if (event.type === "welcome") this.#nick = event.nick;
        const fresh = this.#freshHistory(event.room, event.history);
        if (!this.#rooms.some((r) => r.toLowerCase() === event.room.toLowerCase())) {
          this.#rooms.push(event.room);
        }
        this.#current = event.room;
        if (rejoined || fresh.length !== event.history.length) return { ...event, history: fresh };
        return event;
      }
      case "parted":
        this.#rooms = this.#rooms.filter((r) => r.toLowerCase() !== event.room.toLowerCase());
        this.#current = event.current;
        return event;
      case "nick":
        if (event.old === this.#nick) this.#nick = event.new;
        return event;
      case "msg":
        this.#lastIds.set(event.room.toLowerCase(), event.id);
        return event;
      case "join":
      case "leave":
        this.#lastIds.set(event.room.toLowerCase(), event.id);
        return event;
      default:
        return event;
    }
  }

  /** History newer than what was seen; all of it if the server restarted (ids went back). */
  #freshHistory(room: string, history: MessageEvent[]): MessageEvent[] {
    const key = room.toLowerCase();
    const seen = this.#lastIds.get(key);
    const newest = history.at(-1)?.id;
    if (newest !== undefined) this.#lastIds.set(key, Math.max(newest, seen ?? 0));
    if (seen === undefined) return history;
    // A restarted server (without a store) counts from 1 again: nothing it
    // replays can have been seen.
    if (newest !== undefined && newest < seen) {
      this.#lastIds.set(key, newest);
      return history;
    }
    return history.filter((m) => m.id > seen);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
