/**
 * A chat session that survives the server restarting and the link
 * dropping: reconnects (asking its resolver where, each time), rejoins the
 * rooms (see `room_tracker.ts`) and sends what waited (see `frame_queue.ts`).
 *
 * @module
 */

import type { WelcomeEvent } from "../core/events.ts";
import { isNickWord } from "../core/commands/command_words.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import {
  ChatSession,
  DEFAULT_CONNECT_TIMEOUT_MS,
  lineToFrame,
  RefusedError,
  type SessionOptions,
} from "./chat_session.ts";
import { FrameQueue } from "./frame_queue.ts";
import { FixedServer, resolveServer, type ServerResolver } from "./resolver.ts";
import { AttemptTrail } from "./attempt_trail.ts";
import { RoomTracker } from "./room_tracker.ts";
import {
  FATAL_CODES,
  FINAL_BYE_REASONS,
  NICK_CODES,
  offlineMessage,
  retryDelay,
  retryStatus,
  unreachedReason,
} from "./retry_policy.ts";
import type { RoomsChange, SessionEvent } from "./session_events.ts";

/** The token of the ping that ends a restore: its pong means every rejoin was answered. */
const RESTORED_TOKEN = "restored";

/** The events that may change the nick or the rooms wanted. */
const ROOM_EVENTS = new Set(["welcome", "joined", "parted", "nick"]);

/** Settings beyond the connection's own. */
export interface ReconnectOptions extends SessionOptions {
  /**
   * Reconnect after a loss; `false` ends the session instead.
   *
   * @default {true}
   */
  reconnect?: boolean;
  /**
   * First retry delay; it doubles per failure up to `maxDelayMs`.
   *
   * @default {500}
   */
  initialDelayMs?: number;
  /**
   * Longest retry delay (before jitter).
   *
   * @default {30000}
   */
  maxDelayMs?: number;
  /**
   * Frames kept while offline; more are refused.
   *
   * @default {100}
   */
  offlineQueueLimit?: number;
  /**
   * The server is pinged after this much silence...
   *
   * @default {20000}
   */
  idlePingMs?: number;
  /**
   * ...and the connection given up as dead after this much.
   *
   * @default {35000}
   */
  deadAfterMs?: number;
  /**
   * Randomness for the jitter (tests pass a fixed one).
   *
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Where to connect, asked before the first connection and every reconnect
   * (given `timeoutMs` to answer); its address replaces `host`, `port` and
   * `tls`.
   *
   * @default {new FixedServer({ host, port, tls })}
   */
  resolver?: ServerResolver;
  /** Told the nick and rooms wanted whenever they may have changed, to remember them. */
  onRoomsChange?: (rooms: RoomsChange) => void;
}

/** The reconnect and keepalive settings, defaults filled in. */
type ReconnectSettings = Required<
  Pick<
    ReconnectOptions,
    "reconnect" | "initialDelayMs" | "maxDelayMs" | "idlePingMs" | "deadAfterMs" | "random"
  >
>;

/**
 * A chat session that survives the server restarting and the link dropping.
 *
 * - It reconnects with exponential backoff and jitter, keeps its nick and
 *   rooms, and shows only the history it missed.
 * - Every frame goes through one ordered queue: frames wait while offline
 *   (up to a limit, then they are refused), while the rooms are being
 *   rejoined, and when sending faster than the server's announced rate
 *   limit allows. A frame leaves the queue only once it was written.
 * - Fatal refusals (a bad nick, a wrong protocol version) end it.
 */
export class ReconnectingSession implements AsyncDisposable {
  /** The first welcome. */
  readonly welcome: WelcomeEvent;
  #session: ChatSession | undefined;
  /** What to connect with (the nick comes from the tracker). */
  readonly #connectOptions: SessionOptions;
  readonly #settings: ReconnectSettings;
  readonly #resolver: AttemptTrail; // Where each attempt went, for the status lines.
  readonly #onRoomsChange: ReconnectOptions["onRoomsChange"];
  /** The nick, the rooms wanted and the newest message seen in each. */
  readonly #rooms: RoomTracker;
  /** Every outgoing frame, in order, until the server confirmed it. */
  readonly #frames: FrameQueue;
  #closed = false;
  #wake: (() => void) | undefined;
  /** While offline: the server's refusal of the last attempt (cleared by any other outcome). */
  #refusal: RefusedError | undefined;
  /** The nick to reconnect with was typed while offline (`/nick`), not the one the server knew. */
  #nickChosenOffline = false;
  /** Skip the next wait: the user gave a new nick to try. */
  #retryNow = false;
  #lastHeard = performance.now();

  private constructor(session: ChatSession, options: ReconnectOptions, resolver: AttemptTrail) {
    this.#session = session;
    this.welcome = session.welcome;
    this.#connectOptions = options;
    this.#resolver = resolver;
    this.#onRoomsChange = options.onRoomsChange;
    this.#settings = {
      reconnect: options.reconnect ?? true,
      initialDelayMs: options.initialDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      idlePingMs: options.idlePingMs ?? 20_000,
      deadAfterMs: options.deadAfterMs ?? 35_000,
      random: options.random ?? Math.random,
    };
    this.#frames = new FrameQueue(options.offlineQueueLimit ?? 100, () => this.#session);
    this.#rooms = new RoomTracker(session.welcome.nick);
    this.#frames.pace(session.welcome);
    this.#rooms.track(session.welcome);
    this.#roomsChanged();
  }

  /** Tells `onRoomsChange` the nick and rooms now. */
  #roomsChanged(): void {
    const { nick, rooms, current } = this.#rooms;
    this.#onRoomsChange?.({ nick, rooms, current, server: this.welcome.server });
  }

  /**
   * Connects for the first time; failures here are reported, not retried.
   *
   * @throws {ServerNotFoundError} when the resolver fails or does not answer in time
   * @throws {ConnectError} or {RefusedError} as {@linkcode ChatSession.connect}
   */
  static async connect(options: ReconnectOptions): Promise<ReconnectingSession> {
    const { host, port, tls } = options;
    const resolver = new AttemptTrail(options.resolver ?? new FixedServer({ host, port, tls }));
    const session = await connectResolved(resolver, options);
    return new ReconnectingSession(session, options, resolver);
  }

  /** Whether a connection is up right now. */
  get connected(): boolean {
    return this.#session !== undefined;
  }

  /** Frames not written and confirmed yet (offline, rejoining, paced, or in flight). */
  get queued(): number {
    return this.#frames.size;
  }

  /** Lines the user typed that are not confirmed yet (the automatic quit not counted). */
  get unsentLines(): number {
    return this.#frames.unsentLines;
  }

  /** The server's events and status changes, until the user quits or a fatal refusal ends it. */
  async *events(): AsyncGenerator<SessionEvent, void, void> {
    while (!this.#closed) {
      const session = this.#session;
      if (session) {
        const ended = yield* this.#relay(session);
        if (ended || this.#closed) return;
        this.#session = undefined;
        // Not confirmed: send them again after reconnecting.
        const unconfirmed = this.#frames.requeueUnconfirmed();
        if (unconfirmed > 0) {
          yield {
            type: "status",
            state: "warning",
            message:
              `${unconfirmed} line(s) sent just before the connection dropped were not confirmed; they will be sent again (and may arrive twice)`,
          };
        }
      }
      if (!this.#settings.reconnect) {
        yield { type: "status", state: "failed", message: "connection lost" };
        return;
      }
      const outcome = yield* this.#reconnect();
      if (outcome === "fatal") return;
    }
  }

  /**
   * Sends a frame in order after everything queued before it. Resolves to
   * "sent" when connected (it leaves as soon as the rate limit allows) or
   * "queued" while offline.
   *
   * One frame is not queued: `/nick <nick>` while the server refuses to take
   * the session back because of its nick (taken by someone else meanwhile).
   * The next attempt, at once, asks for that nick instead: "retrying". The
   * nick never changes unless the user asks.
   *
   * @throws {OfflineQueueFullError} when offline with a full queue
   */
  send(frame: ClientFrame): Promise<"sent" | "queued" | "retrying"> {
    if (this.#closed) return Promise.resolve("queued");
    const offline = this.#session === undefined;
    const nick = frame.type === "cmd" && isNickWord(frame.name)
      ? /^\s*(\S+)\s*$/.exec(frame.args)?.[1]
      : undefined;
    if (offline && nick !== undefined && NICK_CODES.has(this.#refusal?.code ?? "")) {
      this.#rooms.nick = nick;
      this.#nickChosenOffline = true;
      this.#retryNow = true; // even when it comes during an attempt
      this.#wake?.();
      return Promise.resolve("retrying");
    }
    try {
      this.#frames.push(frame, offline, this.#rooms.current);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(offline ? "queued" : "sent");
  }

  /** Sends a typed line (see {@linkcode lineToFrame}). */
  sendLine(line: string): Promise<"sent" | "queued" | "retrying"> {
    return this.send(lineToFrame(line));
  }

  /** Ends the session for good (after a quit, or to give up). */
  close(): void {
    this.#closed = true;
    this.#frames.close();
    this.#session?.close();
    this.#wake?.();
  }

  /** Ends the session for good, as `close` does. */
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
        if (event.type === "invalid_frame") {
          yield event;
          continue;
        }
        if (event.type === "pong") {
          if (event.token === RESTORED_TOKEN) this.#rooms.rejoining = false;
          this.#frames.confirm(event.token); // our own keepalive or confirmation
          continue;
        }
        this.#frames.confirmEcho(event, this.#rooms.nick); // our own message: handled, in order
        const shown = this.#rooms.track(event);
        if (ROOM_EVENTS.has(event.type)) this.#roomsChanged();
        // The cluster could not store a message: queued and sent again, told in one line.
        const pause = this.#frames.retryRefused(event);
        if (shown && pause === undefined) yield shown;
        yield* retryStatus(pause);
        if (event.type === "bye") {
          if (event.reason === "quit") {
            // The server handled everything before our quit, in order.
            this.#frames.confirmAll();
            return true;
          }
          if ((event.code && FATAL_CODES.has(event.code)) || FINAL_BYE_REASONS.has(event.reason)) {
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
    if (quiet >= this.#settings.deadAfterMs) session.close();
    else if (quiet >= this.#settings.idlePingMs) {
      session.send({ type: "ping", token: "alive?" }).catch(() => session.close());
    }
  }

  /**
   * Retries until connected (returns "ok"), closed, or refused for good
   * ("fatal"). Each step says what happened to the last attempt: not
   * reached (and why), or refused by the server (in its words).
   */
  async *#reconnect(): AsyncGenerator<SessionEvent, "ok" | "fatal", void> {
    let attempt = 0;
    /** Why the last attempt did not reach the server. */
    let failure = "";
    /** The nick the last attempt asked for. */
    let tried = this.#rooms.nick;
    this.#refusal = undefined;
    this.#retryNow = false;
    while (!this.#closed) {
      const delay = retryDelay(attempt, this.#settings);
      const refusal = this.#refusal;
      yield {
        type: "status",
        state: "offline",
        message: offlineMessage(attempt, delay, refusal, failure),
        retryInMs: delay,
        attempt,
        ...(refusal ? { refusal: refusal.reason } : {}),
      };
      if (!this.#retryNow) await this.#sleep(delay);
      this.#retryNow = false;
      if (this.#closed) break;
      if (this.#rooms.nick !== tried) {
        yield { type: "status", state: "warning", message: `Reconnecting as ${this.#rooms.nick}` };
      }
      tried = this.#rooms.nick;
      attempt++;
      let session: ChatSession;
      try {
        session = await connectResolved(this.#resolver, {
          ...this.#connectOptions,
          nick: this.#rooms.nick,
        });
      } catch (error) {
        this.#refusal = undefined;
        if (!(error instanceof RefusedError)) {
          // Not reached (down, unreachable, not answering): try again later.
          failure = this.#resolver.failed(unreachedReason(error)); // Where, with several servers.
          continue;
        }
        // A nick the user typed while offline is theirs to fix: never the end.
        const typed = this.#nickChosenOffline && NICK_CODES.has(error.code);
        if (FATAL_CODES.has(error.code) && !typed) {
          yield { type: "status", state: "failed", message: error.message, refused: true };
          return "fatal";
        }
        // Refused for now (nick held by another or our ghost, server full): retry later.
        this.#refusal = error;
        continue;
      }
      this.#refusal = undefined;
      this.#nickChosenOffline = false;
      if (this.#closed) {
        session.close();
        break;
      }
      this.#lastHeard = performance.now();
      this.#frames.paused = true;
      this.#rooms.rejoining = true;
      this.#session = session;
      this.#frames.pace(session.welcome);
      yield { type: "status", state: "connected", ...this.#resolver.reconnected() };
      const welcome = this.#rooms.welcomeBack(session.welcome);
      this.#roomsChanged();
      yield welcome;
      await this.#restore(session);
      return "ok";
    }
    return "ok";
  }

  /** Rejoins the rooms and makes the right one current; then the queue goes out. */
  async #restore(session: ChatSession): Promise<void> {
    try {
      for (const frame of this.#rooms.rejoinFrames(session.welcome.room)) {
        // Joins count against the server's rate limit like anything else.
        await this.#frames.waitForRateLimit();
        await session.send(frame);
      }
      // Answered after every rejoin: the end of the restore.
      await session.send({ type: "ping", token: RESTORED_TOKEN });
    } catch {
      // The new connection failed already; the relay notices and retries,
      // and the rooms we want are unchanged.
      return;
    } finally {
      this.#frames.paused = false;
    }
    void this.#frames.drain();
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

/**
 * Asks `resolver` where to connect (within the connect timeout), then
 * connects there: the resolver's address, TLS choice included, replaces
 * the one in `options`.
 *
 * @throws {ConnectError} as {@linkcode resolveServer} and {@linkcode ChatSession.connect}
 */
async function connectResolved(
  resolver: ServerResolver,
  options: SessionOptions,
): Promise<ChatSession> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const { host, port, tls } = await resolveServer(resolver, timeoutMs);
  return await ChatSession.connect({ ...options, host, port, tls });
}
