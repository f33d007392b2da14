import type { ChatEvent, JoinedEvent, MessageEvent, WelcomeEvent } from "../core/events.ts";
import { TokenBucket } from "../core/token_bucket.ts";
import { findCommand } from "../core/commands.ts";
import { ConnectError } from "../errors.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import {
  ChatSession,
  type InvalidFrameEvent,
  lineToFrame,
  RefusedError,
  type SessionOptions,
} from "./chat_session.ts";
import { describeFailure, type ServerAddress } from "./pipe.ts";
import { FixedServer, type ServerResolver } from "./resolver.ts";

/** A change of the connection, reported between the server's events. */
export interface StatusEvent {
  type: "status";
  /**
   * `offline`: lost, waiting to retry; `connected`: back (a welcome
   * follows); `failed`: gave up; `warning`: something the user should know.
   */
  state: "offline" | "connected" | "failed" | "warning";
  message: string;
  /** For `offline`: when the next attempt starts, in ms from now. */
  retryInMs?: number;
  /** For `offline`: how many attempts failed so far. */
  attempt?: number;
  /**
   * For `offline`: the server answered the last attempt, and refused it
   * (its words: `Nick "ana" is taken; try "ana_"`, `Server is full ...`).
   * Absent when the last attempt did not reach it.
   */
  refusal?: string;
  /**
   * For `failed`: a reconnect was refused for good (a changed server
   * certificate, a nick that became invalid); this, not an earlier
   * goodbye, is why the session ended.
   */
  refused?: boolean;
}

/**
 * After a reconnect, the server's answer to the session rejoining one of the
 * user's rooms (not a `/join` the user typed): the room's members and the
 * messages missed meanwhile. A front end updates the room and stays on the
 * room the user was looking at.
 */
export interface RejoinedEvent extends Omit<JoinedEvent, "type"> {
  type: "rejoined";
}

/**
 * What a reconnecting session yields: the server's events (checked and
 * cleaned), lines that were not valid frames, and its own status.
 */
export type SessionEvent = ChatEvent | RejoinedEvent | StatusEvent | InvalidFrameEvent;

/** The token of the ping that ends a restore: its pong means every rejoin was answered. */
const RESTORED_TOKEN = "restored";

/** Thrown by `send` when the connection is down and the offline queue is full. */
export class OfflineQueueFullError extends ConnectError {
  constructor(limit: number) {
    super(`Not connected, and ${limit} messages are already waiting; this one was not sent`);
    this.name = "OfflineQueueFullError";
  }
}

/** Settings beyond the connection's own. */
export interface ReconnectOptions extends SessionOptions {
  /** Reconnect after a loss (default); `false` ends the session instead. */
  reconnect?: boolean;
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
  /**
   * Where to connect, asked before the first connection and every reconnect.
   *
   * @default {new FixedServer({ host, port, tls })}
   */
  resolver?: ServerResolver;
}

/**
 * Refusals that retrying will not fix. `session_replaced`: another
 * connection with our key took over; reconnecting would take it back, and
 * the two would push each other out forever.
 */
const FATAL_CODES = new Set([
  "bad_nick",
  "protocol_version",
  "protocol",
  "password_required",
  "access_denied",
  "banned",
  "nick_registered",
  "session_replaced",
  "untrusted_server",
]);
/**
 * Refusals of the nick itself. When the user picked the nick while offline
 * (see {@linkcode ReconnectingSession.send}), these are theirs to fix, not
 * the end of the session.
 */
const NICK_CODES = new Set(["nick_taken", "bad_nick", "nick_registered"]);
/** Goodbyes after which reconnecting would defy the server (kicked, refused at the door). */
const FINAL_BYE_REASONS = new Set(["protocol", "kicked", "denied"]);
/** Whether a frame is the `/quit` command or an alias of it (never limited). */
export function isQuit(frame: ClientFrame): boolean {
  return frame.type === "cmd" && findCommand(frame.name)?.name === "quit";
}

/** Pace a little under the server's announced rate, for clock differences. */
const PACE_MARGIN = 0.9;

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
  readonly #options:
    & Required<
      Omit<
        ReconnectOptions,
        "timeoutMs" | "password" | "identity" | "tls" | "openPipe" | "resolver"
      >
    >
    & Pick<
      ReconnectOptions,
      "timeoutMs" | "password" | "identity" | "tls" | "openPipe" | "resolver"
    >;
  #nick: string;
  /** Rooms we want to be in (display names), in join order, and the one in use. */
  #rooms: string[] = [];
  #current: string | undefined;
  /** Newest message id seen per room, to skip history already shown. */
  readonly #lastMessageIds = new Map<string, number>();
  #queue: ClientFrame[] = [];
  #bucket: TokenBucket | undefined;
  #draining = false;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** While rooms are rejoined after a reconnect: the queue waits. */
  #restoring = false;
  /**
   * From a reconnect until the server answered every rejoin: `joined` is a
   * rejoin, and the `parted` of a lobby the user had left is not news.
   */
  #rejoining = false;
  /**
   * Frames written but not yet confirmed, with their sequence numbers. The
   * server handles a connection's frames in order, so the `pong` to a ping
   * sent after them confirms them all; frames still unconfirmed when a
   * connection dies are sent again on the next one.
   */
  #inflight: { seq: number; frame: ClientFrame }[] = [];
  #seq = 0;
  #askedUpTo = 0;
  #closed = false;
  #wake: (() => void) | undefined;
  /** While offline: the server's refusal of the last attempt (cleared by any other outcome). */
  #refusal: RefusedError | undefined;
  /** The nick to reconnect with was typed while offline (`/nick`), not the one the server knew. */
  #nickChosenOffline = false;
  /** Skip the next wait: the user gave a new nick to try. */
  #retryNow = false;
  #lastHeard = performance.now();
  readonly #resolver: ServerResolver;

  private constructor(session: ChatSession, options: ReconnectOptions, resolver: ServerResolver) {
    this.#resolver = resolver;
    this.#session = session;
    this.welcome = session.welcome;
    this.#options = {
      reconnect: true,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      offlineQueueLimit: 100,
      idlePingMs: 20_000,
      deadAfterMs: 35_000,
      random: Math.random,
      ...options,
    };
    this.#nick = session.welcome.nick;
    this.#adopt(session.welcome);
    this.#track(session.welcome);
  }

  /**
   * Connects for the first time; failures here are reported, not retried.
   *
   * @throws {ConnectError} or {RefusedError} as {@linkcode ChatSession.connect}
   */
  static async connect(options: ReconnectOptions): Promise<ReconnectingSession> {
    const { host, port, tls } = options;
    const resolver = options.resolver ?? new FixedServer({ host, port, tls });
    let address: ServerAddress;
    try {
      address = await resolver.resolve();
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      throw new ConnectError(`cannot find the server: ${describeFailure(error)}`, { cause: error });
    }
    const session = await ChatSession.connect({ ...options, ...address });
    return new ReconnectingSession(session, options, resolver);
  }

  /** Whether a connection is up right now. */
  get connected(): boolean {
    return this.#session !== undefined;
  }

  /** Frames not written and confirmed yet (offline, rejoining, paced, or in flight). */
  get queued(): number {
    return this.#queue.length + this.#inflight.length;
  }

  /** Lines the user typed that are not confirmed yet (the automatic quit not counted). */
  get unsentLines(): number {
    const frames = [...this.#inflight.map((f) => f.frame), ...this.#queue];
    return frames.filter((f) => !isQuit(f)).length;
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
        if (ended || this.#closed) return;
        this.#session = undefined;
        const unconfirmed = this.#inflight.filter((f) => !isQuit(f.frame)).length;
        if (this.#inflight.length > 0) {
          // Not confirmed: send them again after reconnecting.
          this.#queue.unshift(...this.#inflight.map((f) => f.frame));
          this.#inflight = [];
          this.#askedUpTo = 0;
        }
        if (unconfirmed > 0) {
          yield {
            type: "status",
            state: "warning",
            message:
              `${unconfirmed} line(s) sent just before the connection dropped were not confirmed; they will be sent again (and may arrive twice)`,
          };
        }
      }
      if (!this.#options.reconnect) {
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
    const nick = frame.type === "cmd" && findCommand(frame.name)?.name === "nick"
      ? /^\s*(\S+)\s*$/.exec(frame.args)?.[1]
      : undefined;
    if (offline && nick !== undefined && NICK_CODES.has(this.#refusal?.code ?? "")) {
      this.#nick = nick;
      this.#nickChosenOffline = true;
      this.#retryNow = true; // even when it comes during an attempt
      this.#wake?.();
      return Promise.resolve("retrying");
    }
    if (offline && this.#queue.length >= this.#options.offlineQueueLimit) {
      return Promise.reject(new OfflineQueueFullError(this.#options.offlineQueueLimit));
    }
    this.#queue.push(offline ? this.#stamp(frame) : frame);
    this.#drain();
    return Promise.resolve(offline ? "queued" : "sent");
  }

  /** Sends a typed line (see {@linkcode lineToFrame}). */
  sendLine(line: string): Promise<"sent" | "queued" | "retrying"> {
    return this.send(lineToFrame(line));
  }

  /** Ends the session for good (after a quit, or to give up). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#drainTimer);
    this.#session?.close();
    this.#wake?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await Promise.resolve();
  }

  /**
   * A frame typed offline goes to the room it was typed in, unless an
   * earlier queued command will change rooms first (then the server's
   * current room at that point is the right one).
   */
  #stamp(frame: ClientFrame): ClientFrame {
    if ((frame.type !== "msg" && frame.type !== "cmd") || frame.room !== undefined) return frame;
    const changesRoom = this.#queue.some((f) =>
      f.type === "cmd" && (f.name === "join" || f.name === "part" || f.name === "leave")
    );
    if (changesRoom || isQuit(frame)) return frame;
    return { ...frame, room: this.#current };
  }

  /** Writes queued frames in order, paced by the rate limit; stops on any failure. */
  async #drain(): Promise<void> {
    if (this.#draining || this.#restoring) return;
    this.#draining = true;
    try {
      while (this.#queue.length > 0 && !this.#closed && !this.#restoring) {
        const session = this.#session;
        if (!session) return;
        const frame = this.#queue[0];
        // `/quit` is never rate limited.
        if (!isQuit(frame) && this.#bucket && !this.#bucket.take()) {
          clearTimeout(this.#drainTimer);
          this.#drainTimer = setTimeout(() => this.#drain(), Math.max(1, this.#bucket.waitMs()));
          return;
        }
        try {
          await session.send(frame);
        } catch {
          return; // The connection is dying; the frame stays queued for the next one.
        }
        if (this.#queue[0] === frame) this.#queue.shift();
        this.#inflight.push({ seq: ++this.#seq, frame });
      }
    } finally {
      this.#draining = false;
      this.#askForConfirmation();
    }
  }

  /** Sends a ping after the last written frame; its pong confirms everything before it. */
  #askForConfirmation(): void {
    const session = this.#session;
    if (!session || this.#seq <= this.#askedUpTo || this.#inflight.length === 0) return;
    this.#askedUpTo = this.#seq;
    session.send({ type: "ping", token: `ack:${this.#seq}` }).catch(() => {});
  }

  #confirm(token: string | undefined): void {
    if (!token?.startsWith("ack:")) return;
    const upTo = Number(token.slice(4));
    this.#inflight = this.#inflight.filter((f) => f.seq > upTo);
  }

  /** Takes the server's announced rate limit, to pace sends under it. */
  #adopt(welcome: WelcomeEvent): void {
    const limit = welcome.rateLimit;
    this.#bucket = limit
      ? new TokenBucket(
        { rate: limit.rate * PACE_MARGIN, burst: Math.max(1, limit.burst - 1) },
        () => performance.now(),
      )
      : undefined;
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
          if (event.token === RESTORED_TOKEN) this.#rejoining = false;
          this.#confirm(event.token); // our own keepalive or confirmation
          continue;
        }
        const shown = this.#track(event);
        if (shown) yield shown;
        if (event.type === "bye") {
          if (event.reason === "quit") {
            // The server handled everything before our quit, in order.
            this.#inflight = [];
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
    if (quiet >= this.#options.deadAfterMs) session.close();
    else if (quiet >= this.#options.idlePingMs) {
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
    let tried = this.#nick;
    this.#refusal = undefined;
    this.#retryNow = false;
    while (!this.#closed) {
      const base = Math.min(
        this.#options.maxDelayMs,
        this.#options.initialDelayMs * 2 ** Math.min(attempt, 20),
      );
      // Jitter: 50% to 150% of the base, so clients of a restarted server spread out.
      const delay = Math.round(base * (0.5 + this.#options.random()));
      const wait = `${(delay / 1000).toFixed(1)} s`;
      const refusal = this.#refusal;
      const hint = refusal && NICK_CODES.has(refusal.code)
        ? " (or /nick <nick> to come back under another nick)"
        : "";
      yield {
        type: "status",
        state: "offline",
        message: attempt === 0
          ? `Disconnected; reconnecting in ${wait}`
          : refusal
          ? `Refused: ${refusal.reason}; retrying in ${wait}${hint}`
          : `Still offline (attempt ${attempt}: ${failure}); retrying in ${wait}`,
        retryInMs: delay,
        attempt,
        ...(refusal ? { refusal: refusal.reason } : {}),
      };
      if (!this.#retryNow) await this.#sleep(delay);
      this.#retryNow = false;
      if (this.#closed) break;
      if (this.#nick !== tried) {
        yield { type: "status", state: "warning", message: `Reconnecting as ${this.#nick}` };
      }
      tried = this.#nick;
      attempt++;
      let session: ChatSession;
      try {
        const address = await this.#resolver.resolve();
        session = await ChatSession.connect({ ...this.#options, ...address, nick: this.#nick });
      } catch (error) {
        this.#refusal = undefined;
        if (!(error instanceof RefusedError)) {
          // Not reached (down, unreachable, not answering): try again later.
          failure = error instanceof ConnectError && error.cause !== undefined
            ? describeFailure(error.cause) // "connection refused": where is known
            : error instanceof Error
            ? error.message
            : String(error);
          continue;
        }
        // A nick the user typed while offline is theirs to fix: never the end.
        const typed = this.#nickChosenOffline && NICK_CODES.has(error.code);
        if (FATAL_CODES.has(error.code) && !typed) {
          yield { type: "status", state: "failed", message: error.message, refused: true };
          return "fatal";
        }
        // Refused for now (the nick is held by someone else or by our old
        // connection's ghost, the server is full): say so, and try again later.
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
      this.#restoring = true;
      this.#rejoining = true;
      this.#session = session;
      this.#adopt(session.welcome);
      yield { type: "status", state: "connected", message: "Reconnected" };
      const welcome = this.#track(session.welcome, true);
      if (welcome?.type === "welcome") {
        // The server puts every newcomer in its lobby: news only to a user who is in it.
        const inLobby = this.#rooms.some((r) => r.toLowerCase() === welcome.room.toLowerCase());
        yield inLobby ? welcome : { ...welcome, history: [] };
      }
      await this.#restore(session);
      return "ok";
    }
    return "ok";
  }

  /** Rejoins the rooms and makes the right one current; then the queue goes out. */
  async #restore(session: ChatSession): Promise<void> {
    const lobby = session.welcome.room.toLowerCase();
    const current = this.#current?.toLowerCase();
    // Joins count against the server's rate limit like anything else.
    const send = async (frame: ClientFrame) => {
      await this.#token();
      await session.send(frame);
    };
    try {
      for (const room of this.#rooms) {
        const key = room.toLowerCase();
        if (key !== lobby && key !== current) await send({ type: "cmd", name: "join", args: room });
      }
      if (!this.#rooms.some((r) => r.toLowerCase() === lobby)) {
        await send({ type: "cmd", name: "part", args: session.welcome.room });
      }
      // Joining the current room last makes it current on the server too.
      if (this.#current && current !== lobby) {
        await send({ type: "cmd", name: "join", args: this.#current });
      } else if (this.#current && this.#rooms.length > 1) {
        await send({ type: "cmd", name: "join", args: this.#current });
      }
      // Answered after every rejoin: the end of the restore.
      await session.send({ type: "ping", token: RESTORED_TOKEN });
    } catch {
      // The new connection failed already; the relay notices and retries,
      // and the rooms we want are unchanged.
      return;
    } finally {
      this.#restoring = false;
    }
    void this.#drain();
  }

  /** Waits until the rate limit allows one more frame. */
  async #token(): Promise<void> {
    while (this.#bucket && !this.#bucket.take() && !this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, this.#bucket!.waitMs())));
    }
  }

  /**
   * Follows nick, rooms and message ids; returns the event to show (with
   * history already shown removed), or undefined to hide it.
   */
  #track(event: ChatEvent, rejoined = false): ChatEvent | RejoinedEvent | undefined {
    switch (event.type) {
      case "welcome":
      case "joined": {
        if (event.type === "welcome") this.#nick = event.nick;
        const fresh = this.#freshHistory(event.room, event.history);
        if (event.type === "joined" && this.#rejoining) {
          // Our own rejoin: the rooms we want, and the current one, stay as they were.
          return { ...event, type: "rejoined", history: fresh };
        }
        if (!rejoined && !this.#restoring) {
          if (!this.#rooms.some((r) => r.toLowerCase() === event.room.toLowerCase())) {
            this.#rooms.push(event.room);
          }
          this.#current = event.room;
        }
        if (rejoined || fresh.length !== event.history.length) return { ...event, history: fresh };
        return event;
      }
      case "parted":
        // Leaving the lobby the server put us in, for a user who had left it.
        if (this.#rejoining) return undefined;
        this.#rooms = this.#rooms.filter((r) => r.toLowerCase() !== event.room.toLowerCase());
        this.#current = event.current;
        return event;
      case "nick":
        if (event.old === this.#nick) this.#nick = event.new;
        return event;
      case "msg":
        this.#lastMessageIds.set(event.room.toLowerCase(), event.id);
        return event;
      default:
        return event;
    }
  }

  /** History newer than what was seen; all of it if the server restarted (ids went back). */
  #freshHistory(room: string, history: MessageEvent[]): MessageEvent[] {
    const key = room.toLowerCase();
    const seen = this.#lastMessageIds.get(key);
    const newest = history.at(-1)?.id;
    if (newest !== undefined) this.#lastMessageIds.set(key, Math.max(newest, seen ?? 0));
    if (seen === undefined) return history;
    // A server that lost its history counts from 1 again: nothing it replays
    // can have been seen.
    if (newest !== undefined && newest < seen) {
      this.#lastMessageIds.set(key, newest);
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
