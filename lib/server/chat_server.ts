import { PROTOCOL_VERSION } from "../core/events.ts";
import { Hub, type HubOptions } from "../core/hub.ts";
import { ChatError, ProtocolError } from "../errors.ts";
import type { AuthFrame, HelloFrame } from "../protocol/client_frames.ts";
import {
  fingerprint,
  fromBase64Url,
  isPublicKey,
  newNonce,
  PLAIN_BINDING,
  verifyChallenge,
} from "../protocol/key_proof.ts";
import { Connection } from "./connection.ts";
import type { Outbox, Pipe } from "./outbox.ts";
import { ConnectionLimits, type Ticket } from "./connection_limits.ts";
import { type Arrival, FrontDoor } from "./front_door.ts";
import { LogLimiter } from "./log_limiter.ts";
import { GarbageNudge } from "./garbage_nudge.ts";
import { AddressTurns } from "./address_turns.ts";
import { TokenBucket } from "../core/token_bucket.ts";
import { PasswordGate, type PasswordGateOptions } from "./password_gate.ts";
import type { DecodedFrame } from "../protocol/codec.ts";
import { NativeCodec } from "../protocol/native_codec.ts";
import { plainLine, TextCodec } from "../protocol/text_codec.ts";
import { findCommand } from "../core/commands.ts";
import type { Member } from "../core/member.ts";
import { CodecSink } from "./codec_sink.ts";
import { fingerprintOfPem } from "./tls_certificate.ts";

/** How much a log record matters; `--log-level` filters by it. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A structured log record; `server.ts` prints them on stderr, one line each. */
export interface LogRecord {
  level: LogLevel;
  event: string;
  [field: string]: string | number | undefined;
}

/** Settings of a {@linkcode ChatServer}. */
export interface ChatServerOptions extends HubOptions {
  /** Bind address; without one, every interface, IPv6 and IPv4. */
  hostname?: string;
  /** TCP port; 0 picks a free one (read it back from `addr`). */
  port?: number;
  /** Speak TLS with this certificate and key (PEM); without it, plain TCP. */
  tls?: { cert: string; key: string };
  /** Longest line a client may send, in bytes. */
  maxLineBytes?: number;
  /** Most bytes queued for one client before it is dropped. */
  sendQueueBytes?: number;
  /** How long to wait for a first byte before treating the peer as a text client. */
  textPromptDelayMs?: number;
  /** Open connections from one IP address; more are refused at once. */
  maxPerIp?: number;
  /**
   * Connections that have not joined yet, over all addresses; when full, the
   * oldest pending connection of the address holding the most is evicted.
   * @default {256}
   */
  maxPending?: number;
  /** A native client must have joined (hello, key proof) within this time. */
  handshakeTimeoutMs?: number;
  /**
   * A text client (nc, telnet: a person typing) must have joined within this time.
   * @default {120000}
   */
  promptTimeoutMs?: number;
  /** A native client silent this long is pinged; 0 turns keepalive off. */
  pingIntervalMs?: number;
  /** After a ping, how long without any answer before the client is dropped as timed out. */
  pingTimeoutMs?: number;
  /** Receives one record per notable event. */
  log?: (record: LogRecord) => void;
  /** Makes the server private: every hello must carry this password. */
  password?: string;
  /** Delays of the password check (tests shorten them). */
  passwordGate?: PasswordGateOptions;
  /**
   * Joins one address may make: `burst` at once, then `rate` a second
   * (later ones wait their turn); off with `rateLimit: false` (benchmarks)
   * or `false` here.
   * @default {{ rate: 1, burst: 30 }}
   */
  joinRate?: { rate: number; burst: number } | false;
}

const OPEN_BRACE = 0x7b;
/** Longest a TLS handshake may take (within the handshake timeout). */
const TLS_HANDSHAKE_MS = 3000;
const encoder = new TextEncoder();

/** What the server tracks per open connection. */
interface Peer {
  /** The codec and outbox, once the first byte chose the wire format. */
  sink?: CodecSink;
  /** The member once the hello was accepted. */
  member?: Member;
  /** The remote IP address. */
  ip: string;
  /** Its place in the connection limits (pending until it joins). */
  ticket: Ticket;
  /** When the connection was accepted (ms). */
  acceptedAt: number;
  /** When the current unanswered ping was sent, if one is out. */
  pingSentAt?: number;
  /** A hello that named a key, waiting for the `auth` that proves it. */
  challenge?: { hello: HelloFrame & { key: string }; nonce: string };
  /** Set while the answer to a password is held back: the handshake deadline waits too. */
  holding?: boolean;
  /** The password was given on its own (text mode) and was right. */
  passwordAccepted?: boolean;
  /** It was silent, so it was greeted as a text client (a person at nc). */
  greeted?: boolean;
}

/** How a connection ended: the leave reason and its detail. */
interface Ending {
  reason: "quit" | "dropped";
  detail: string;
}

/**
 * The glue between the chat core and the network: accepts TCP connections,
 * tells native clients from text clients by their first byte, and feeds
 * frames to the {@linkcode Hub}.
 *
 * @example
 * ```ts
 * await using server = await ChatServer.listen({ port: 0 });
 * console.log(server.addr.port);
 * ```
 */
export class ChatServer implements AsyncDisposable {
  readonly hub: Hub;
  /** The first listening address (`::` when listening on every interface). */
  readonly addr: Deno.NetAddr;
  /** Every address the server listens on (`::`, and `0.0.0.0` where `::` is IPv6 only). */
  readonly hostnames: readonly string[];
  readonly #door: FrontDoor;
  readonly #limits: ConnectionLimits;
  /** Per address, password answers held back after failures. */
  readonly #passwordTurns = new AddressTurns();
  /** What key proofs must be bound to: our certificate's fingerprint, or "plain". */
  readonly #binding: string;
  /** Every open connection, with its codec and outbox once the first byte chose one. */
  readonly #connections = new Map<Pipe, Peer>();
  /** Connections being served; `#allServed` resolves when it drops to 0 during shutdown. */
  #serving = 0;
  #allServed: PromiseWithResolvers<void> | undefined;
  readonly #options: Required<
    Pick<
      ChatServerOptions,
      | "maxLineBytes"
      | "sendQueueBytes"
      | "textPromptDelayMs"
      | "maxPerIp"
      | "maxPending"
      | "handshakeTimeoutMs"
      | "promptTimeoutMs"
      | "pingIntervalMs"
      | "pingTimeoutMs"
    >
  >;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #nudge = new GarbageNudge();
  /** Per address, the joins it may still make (see ChatServerOptions.joinRate). */
  readonly #joins = new Map<string, TokenBucket>();
  /** Per address, joins waiting past the join rate. */
  readonly #joinTurns = new AddressTurns();
  readonly #joinRate: { rate: number; burst: number } | false;
  #lastNudge = 0;
  #pingCounter = 0;
  readonly #logLimiter: LogLimiter;
  readonly #log: (record: LogRecord) => void;
  readonly #acceptLoop: Promise<void>;
  readonly #gate: PasswordGate | undefined;
  #closing = false;

  private constructor(door: FrontDoor, options: ChatServerOptions, binding: string) {
    this.#door = door;
    this.#binding = binding;
    this.addr = door.addr;
    this.hostnames = door.hostnames;
    this.hub = new Hub(options);
    this.#options = {
      maxLineBytes: options.maxLineBytes ?? 64 * 1024,
      sendQueueBytes: options.sendQueueBytes ?? 1024 * 1024,
      textPromptDelayMs: options.textPromptDelayMs ?? 300,
      maxPerIp: options.maxPerIp ?? 16,
      maxPending: options.maxPending ?? 256,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      promptTimeoutMs: options.promptTimeoutMs ?? 120_000,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      pingTimeoutMs: options.pingTimeoutMs ?? 15_000,
    };
    this.#logLimiter = new LogLimiter(options.log ?? (() => {}));
    this.#joinRate = options.rateLimit === false
      ? false
      : options.joinRate ?? { rate: 1, burst: 30 };
    this.#log = this.#logLimiter.log;
    this.#gate = options.password !== undefined
      ? new PasswordGate(options.password, options.passwordGate)
      : undefined;
    this.#limits = new ConnectionLimits({
      maxPerIp: this.#options.maxPerIp,
      maxPending: this.#options.maxPending,
    });
    // One timer for all connections: handshake deadlines and keepalive.
    const o = this.#options;
    const shortest = Math.min(
      o.handshakeTimeoutMs,
      o.pingIntervalMs || Infinity,
      o.pingTimeoutMs || Infinity,
    );
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(20, Math.min(1000, shortest / 4)));
    this.#acceptLoop = door.serve({
      limits: this.#limits,
      tls: options.tls,
      tlsHandshakeMs: Math.min(o.handshakeTimeoutMs, TLS_HANDSHAKE_MS),
      log: this.#log,
      onArrival: (arrival) => void this.#serve(arrival),
    });
  }

  /**
   * Binds the port and starts accepting (TLS when `options.tls` is given).
   *
   * @throws {Deno.errors.AddrInUse} the port is taken
   * @throws {Deno.errors.AddrNotAvailable} the machine has no such address
   */
  static async listen(options: ChatServerOptions = {}): Promise<ChatServer> {
    const where = { hostname: options.hostname, port: options.port ?? 7777 };
    const door = options.tls ? await FrontDoor.bindTls(where) : await FrontDoor.bind(where);
    try {
      return await ChatServer.serve(door, options);
    } catch (error) {
      door.close();
      throw error;
    }
  }

  /**
   * Starts serving on a door bound beforehand (`chat-server` binds first, so
   * a wrong address fails before anything is written to disk).
   */
  static async serve(door: FrontDoor, options: ChatServerOptions = {}): Promise<ChatServer> {
    const binding = options.tls ? await fingerprintOfPem(options.tls.cert) : PLAIN_BINDING;
    return new ChatServer(door, options, binding);
  }

  /** Connections open right now, including ones still in their handshake. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** A snapshot for monitoring and tests: connections, members, and bytes waiting to be sent. */
  stats(): {
    connections: number;
    members: number;
    pending: number;
    evictions: number;
    queuedBytes: number;
    maxQueuedBytes: number;
  } {
    let queuedBytes = 0;
    let maxQueuedBytes = 0;
    for (const connection of this.#connections.keys()) {
      queuedBytes += connection.queuedBytes;
      maxQueuedBytes = Math.max(maxQueuedBytes, connection.queuedBytes);
    }
    return {
      connections: this.#connections.size,
      members: this.hub.size,
      pending: this.#limits.pending,
      evictions: this.#limits.evictions,
      queuedBytes,
      maxQueuedBytes,
    };
  }

  /**
   * Tells every client the server is shutting down, stops accepting, and
   * waits (at most about 1.5 s) for the goodbyes to be sent.
   */
  async shutdown(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#sweeper);
    this.#log({ level: "info", event: "shutdown", clients: this.hub.size });
    this.#door.close();
    this.hub.shutdown();
    // Members already got their goodbye from the hub; this reaches clients
    // still in their handshake, each in its own format.
    for (const [connection, { sink }] of this.#connections) {
      if (sink) {
        sink.end({ type: "bye", reason: "shutdown", message: "Server shutting down" });
      } else void connection.end();
    }
    await this.#acceptLoop;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#untilServed(),
      new Promise((resolve) => (timer = setTimeout(resolve, 1500))),
    ]);
    clearTimeout(timer);
    for (const connection of this.#connections.keys()) connection.close();
    await this.#untilServed();
    this.#logLimiter.close();
    this.hub.closeStore();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** Resolves once no connection is being served. */
  #untilServed(): Promise<void> {
    if (this.#serving === 0) return Promise.resolve();
    this.#allServed ??= Promise.withResolvers<void>();
    return this.#allServed.promise;
  }

  /** Serves one connection from the front door until it ends. */
  async #serve(arrival: Arrival): Promise<void> {
    this.#serving++;
    try {
      if (this.#closing) {
        arrival.conn.close();
        return;
      }
      await this.#serveAccepted(arrival);
    } catch (error) {
      this.#log({
        level: "error",
        event: "error",
        error: String((error as Error)?.stack ?? error),
      });
    } finally {
      arrival.ticket.release();
      if (--this.#serving === 0) this.#allServed?.resolve();
    }
  }

  async #serveAccepted({ conn, ip, ticket, remote, maxWriteBytes }: Arrival): Promise<void> {
    const connection: Pipe = new Connection(conn, {
      sendQueueBytes: this.#options.sendQueueBytes,
      remote,
      maxWriteBytes,
    });
    const peer: Peer = { ip, ticket, acceptedAt: performance.now() };
    this.#connections.set(connection, peer);
    ticket.onEvict(() => this.#evict(connection, peer));
    this.#log({ level: "debug", event: "connect", remote: connection.remote });
    // Why this connection ends, for the leave notice and the log.
    const ending: Ending = { reason: "quit", detail: "connection closed" };
    // A peer that stays silent (nc waiting for a prompt) is greeted as a
    // text client after a short delay.
    let greeted = false;
    const greeter = setTimeout(() => {
      greeted = peer.greeted = true;
      this.#greet(connection);
    }, this.#options.textPromptDelayMs);
    const onChunk = (chunk: Uint8Array): void | Promise<void> => {
      let sink = peer.sink;
      if (!sink) {
        clearTimeout(greeter);
        sink = peer.sink = this.#choose(connection, chunk[0], greeted);
        if (this.#closing) {
          sink.end({ type: "bye", reason: "shutdown", message: "Server shutting down" });
          return;
        }
        connection.onOverflow = () => this.#dropOverflowed(sink!, peer, ending);
      }
      const { frames, replies, bye } = sink.codec.decode(chunk);
      if (replies) { for (const reply of replies) connection.send(reply); }
      if (bye) sink.end(bye);
      // A line typed at a prompt, a hello: a sign of life (see ConnectionLimits).
      if (!peer.member && frames.some((frame) => !(frame instanceof ProtocolError))) {
        peer.ticket.alive();
      }
      return this.#handleFrames(sink, peer, frames, ending);
    };
    try {
      await connection.readLoop(onChunk);
    } catch (error) {
      Object.assign(ending, {
        reason: "dropped",
        detail: error instanceof Error ? error.message : String(error),
      });
    } finally {
      clearTimeout(greeter);
      const member = peer.member;
      if (member && !member.gone) this.hub.leave(member, ending.reason, ending.detail);
      await connection.end();
      this.#connections.delete(connection);
      this.#log({
        level: "info",
        event: "disconnect",
        remote: connection.remote,
        nick: member?.nick,
        reason: this.#closing ? "shutdown" : member ? ending.reason : "left before joining",
        detail: this.#closing ? undefined : ending.detail,
      });
    }
  }

  /**
   * The first byte decides the wire format: `{` means a native client,
   * anything else a text client. A native client that was greeted as a text
   * client (its first byte came late) still works: the greeting's unfinished
   * "Nick? " line is ended first, and native clients skip non-JSON lines
   * before their welcome.
   */
  #choose(connection: Outbox, first: number, greeted: boolean): CodecSink {
    const maxLineBytes = this.#options.maxLineBytes;
    if (first === OPEN_BRACE) {
      if (greeted) connection.send(encoder.encode("\r\n"));
      return new CodecSink(new NativeCodec(maxLineBytes), connection);
    }
    const askPassword = this.#gate !== undefined;
    if (!greeted) this.#greet(connection);
    return new CodecSink(new TextCodec({ maxLineBytes, askPassword, isQuit }), connection);
  }

  /**
   * Greets a text client, or, when the server is full already, tells it so
   * at once instead of asking for a nick it could not use.
   */
  #greet(connection: Outbox): void {
    if (this.hub.size < this.hub.maxClients) {
      connection.send(TextCodec.greeting(this.hub.serverName, this.#gate !== undefined));
      return;
    }
    const message = `Server is full (${this.hub.maxClients} clients); try again later`;
    this.#log({
      level: "warn",
      event: "refused",
      remote: connection.remote,
      reason: "server_full",
    });
    void connection.end(plainLine(message));
  }

  /**
   * A connection that has not joined, pushed out to make room for a newcomer
   * (see ConnectionLimits): it is told why, in its own format, and closed.
   */
  #evict(connection: Outbox, peer: Peer): void {
    if (connection.ending) return;
    this.#log({
      level: "warn",
      event: "evicted",
      remote: connection.remote,
      reason: "too many connections waiting to join",
    });
    const message = "Too many connections are waiting to join; try again in a moment";
    const sink = peer.sink;
    if (!sink) {
      void connection.end(plainLine(message));
      return;
    }
    sink.deliver({ type: "error", code: "server_busy", message });
    sink.end({ type: "bye", reason: "full", code: "server_busy", message });
  }

  /**
   * A client whose send queue overflowed. Runs after the broadcast that
   * overflowed has reached everyone, so the leave notice cannot overtake it.
   */
  #dropOverflowed(sink: CodecSink, peer: Peer, ending: Ending): void {
    Object.assign(ending, { reason: "dropped", detail: "send queue exceeded" });
    const member = peer.member;
    this.#log({
      level: "warn",
      event: "drop",
      remote: sink.outbox.remote,
      nick: member?.nick,
      reason: ending.detail,
    });
    if (member) this.hub.leave(member, "dropped", ending.detail);
    sink.end({
      type: "bye",
      reason: "dropped",
      code: "send_queue_exceeded",
      message:
        `You were dropped: more than ${this.#options.sendQueueBytes} bytes were waiting to be sent to you`,
    });
  }

  /**
   * Handles frames in order. When one needs to wait (a signature check, a
   * held-back password answer), the rest wait for it, and so does the read
   * loop: the returned promise settles when all are handled.
   */
  #handleFrames(
    sink: CodecSink,
    peer: Peer,
    frames: DecodedFrame[],
    ending: Ending,
  ): void | Promise<void> {
    for (let i = 0; i < frames.length; i++) {
      if (sink.outbox.ending) return;
      const pending = this.#handle(sink, peer, frames[i], ending);
      if (pending) {
        return pending.then(() => this.#handleFrames(sink, peer, frames.slice(i + 1), ending));
      }
    }
  }

  /** Handles one frame (a hello admits the member onto the sink). */
  #handle(
    sink: CodecSink,
    peer: Peer,
    frame: DecodedFrame,
    ending: Ending,
  ): void | Promise<void> {
    const member = peer.member;
    if (this.#closing) return;
    if (frame instanceof ProtocolError) {
      sink.deliver({ type: "error", code: frame.code, message: frame.message });
      if (frame.fatal) {
        Object.assign(ending, { reason: "dropped", detail: frame.message });
        this.#log({
          level: "warn",
          event: "limit",
          remote: sink.outbox.remote,
          nick: member?.nick,
          reason: frame.code,
        });
        if (member) this.hub.leave(member, "dropped", frame.message);
        sink.end({ type: "bye", reason: "protocol", message: frame.message });
      }
      return;
    }
    if (frame.type === "pong") return; // Any input counts as alive.
    if (frame.type === "ping") {
      sink.deliver({
        type: "pong",
        ...(frame.token !== undefined ? { token: frame.token } : {}),
      });
      return;
    }
    if (!member && frame.type === "input" && sink.codec.retryHello) {
      // More lines arrived with a nick that was then refused: the next line
      // is the next try.
      frame = sink.codec.retryHello(frame.line);
    }
    if (!member) {
      if (frame.type === "password") {
        return this.#checkPassword(sink, peer, frame.password, () => {
          peer.passwordAccepted = true;
          const ask = sink.codec.passwordAccepted?.();
          if (ask) sink.outbox.send(ask);
        });
      }
      if (frame.type === "hello") return this.#hello(sink, peer, frame);
      if (frame.type === "auth") return this.#auth(sink, peer, frame);
      sink.deliver({
        type: "error",
        code: "not_ready",
        message: peer.challenge ? 'Answer the challenge with "auth" first' : 'Send "hello" first',
      });
      return;
    }
    switch (frame.type) {
      case "password":
        return; // Only ever sent before the hello.
      case "hello":
      case "auth":
        sink.deliver({
          type: "error",
          code: "already_hello",
          message: `Already joined; ${frame.type} is only sent once`,
        });
        break;
      case "msg":
        this.hub.message(member, frame.text, frame.room);
        break;
      case "cmd":
        this.hub.command(member, frame.name, frame.args, frame.room);
        break;
      case "input":
        this.hub.input(member, frame.line, frame.room);
        break;
    }
    return;
  }

  /**
   * The hello: version, then the password (its answer held back after
   * failures from the same IP), then a challenge when it names a key, else
   * straight to the hub. The password comes before anything about nicks or
   * bans, so a stranger learns nothing about who is here.
   */
  #hello(sink: CodecSink, peer: Peer, frame: HelloFrame): void | Promise<void> {
    if (frame.protocol !== PROTOCOL_VERSION) {
      const message =
        `Protocol version ${frame.protocol} is not supported; this server speaks ${PROTOCOL_VERSION}`;
      sink.deliver({ type: "error", code: "protocol_version", message });
      sink.end({ type: "bye", reason: "protocol", message });
      return;
    }
    if (peer.challenge) {
      sink.deliver({
        type: "error",
        code: "not_ready",
        message: 'Answer the challenge with "auth" first',
      });
      return;
    }
    if (frame.key !== undefined && !isPublicKey(frame.key)) {
      sink.deliver({
        type: "error",
        code: "bad_frame",
        message: 'Field "key" of "hello" must be a raw 32-byte Ed25519 public key in base64url',
      });
      return;
    }
    if (!this.#gate || peer.passwordAccepted) return this.#afterPassword(sink, peer, frame);
    if (frame.password === undefined) {
      this.#deny(sink, peer, "password_required", "This server needs a password");
      return;
    }
    return this.#checkPassword(
      sink,
      peer,
      frame.password,
      () => this.#afterPassword(sink, peer, frame),
    );
  }

  /**
   * Checks a password against the gate and calls `then` when it is right,
   * or refuses the connection. After failures from the same address the
   * answer is held back: attempts from one address take turns, each waiting
   * the delay its predecessors' failures earned, so parallel connections do
   * not guess in parallel (see #inTurn).
   */
  #checkPassword(
    sink: CodecSink,
    peer: Peer,
    password: string,
    then: () => void | Promise<void>,
  ): void | Promise<void> {
    const gate = this.#gate;
    if (!gate) return then();
    const answer = () => {
      if (gate.check(peer.ip, password)) return then();
      this.#deny(sink, peer, "access_denied", "Access denied: wrong password");
    };
    if (!this.#passwordTurns.waiting(peer.ip) && gate.delayFor(peer.ip) === 0) return answer();
    return this.#inTurn(this.#passwordTurns, sink, peer, () => gate.delayFor(peer.ip), answer);
  }

  /**
   * Holds `go` back in the address's `turns`, then for `delayMs()` (asked
   * when its turn comes). Timers, not sleeps: only this connection waits (its
   * reads pause), and the handshake deadline waits too, then starts afresh.
   */
  #inTurn(
    turns: AddressTurns,
    sink: CodecSink,
    peer: Peer,
    delayMs: () => number,
    go: () => void | Promise<void>,
  ): Promise<void> {
    peer.holding = true;
    return turns.after(peer.ip, async () => {
      const wait = delayMs();
      if (wait > 0 && !sink.outbox.ending) await pause(sink.outbox, wait);
      peer.holding = false;
      // A fresh deadline for the rest of the handshake (a retried nick, the key proof).
      peer.acceptedAt = performance.now();
      if (!sink.outbox.ending && !this.#closing) return go();
    });
  }

  /** Past the password: challenge a named key, or admit a keyless hello as it is. */
  #afterPassword(sink: CodecSink, peer: Peer, frame: HelloFrame): void | Promise<void> {
    if (frame.key === undefined) return this.#admit(sink, peer, frame, undefined);
    const nonce = newNonce();
    peer.challenge = { hello: { ...frame, key: frame.key }, nonce };
    sink.deliver({ type: "challenge", nonce });
  }

  /** The answer to a challenge: a valid signature admits the hello with its key's fingerprint. */
  async #auth(sink: CodecSink, peer: Peer, frame: AuthFrame): Promise<void> {
    const challenge = peer.challenge;
    if (!challenge) {
      sink.deliver({
        type: "error",
        code: "not_ready",
        message: 'No challenge to answer; send "hello" with a "key" first',
      });
      return;
    }
    peer.challenge = undefined;
    const valid = await verifyChallenge(
      challenge.hello.key,
      challenge.nonce,
      frame.signature,
      this.#binding,
    );
    if (sink.outbox.ending || this.#closing) return;
    if (!valid) {
      this.#deny(sink, peer, "access_denied", "Access denied: the key proof did not verify");
      return;
    }
    const print = await fingerprint(fromBase64Url(challenge.hello.key)!);
    if (sink.outbox.ending || this.#closing) return;
    await this.#admit(sink, peer, challenge.hello, print);
  }

  /** Hands a checked hello to the hub. */
  /**
   * Hands a checked hello to the hub, in turn with the other joins of its
   * address: past the join rate (ChatServerOptions.joinRate) a join waits
   * for its turn instead of being refused, so that someone joining and
   * quitting in a loop slows down without locking out others behind the
   * same address (see #inTurn).
   */
  #admit(
    sink: CodecSink,
    peer: Peer,
    frame: HelloFrame,
    key: string | undefined,
  ): void | Promise<void> {
    const joins = this.#joinsOf(peer.ip);
    const go = () => this.#join(sink, peer, frame, key);
    if (!joins || (!this.#joinTurns.waiting(peer.ip) && joins.tokens >= 1)) return go();
    return this.#inTurn(this.#joinTurns, sink, peer, () => joins.waitMs(), go);
  }

  /** The join itself, once its turn has come. */
  #join(sink: CodecSink, peer: Peer, frame: HelloFrame, key: string | undefined): void {
    const joins = this.#joinsOf(peer.ip);
    try {
      const joined = this.hub.join(
        {
          nick: frame.nick,
          client: frame.client,
          echo: sink.codec.capabilities.echo,
          fingerprint: key,
          address: peer.ip,
        },
        sink,
      );
      peer.member = joined;
      sink.codec.admitted(joined);
      peer.ticket.joined();
      joins?.take();
      this.#log({
        level: "info",
        event: "join",
        remote: sink.outbox.remote,
        nick: joined.nick,
        client: sink.codec.capabilities.name,
        key,
        operator: joined.operator ? "yes" : undefined,
      });
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      if (error.code === "banned") {
        this.#deny(sink, peer, "banned", error.message);
        return;
      }
      sink.deliver({ type: "error", code: error.code, message: error.message });
      if (error.code === "server_full") {
        this.#log({ level: "warn", event: "refused", remote: peer.ip, reason: "server_full" });
        sink.end({ type: "bye", reason: "full", message: error.message });
      }
    }
  }

  /** The join bucket of an address (made on first use), or undefined when joins are not limited. */
  #joinsOf(ip: string): TokenBucket | undefined {
    if (!this.#joinRate) return undefined;
    let bucket = this.#joins.get(ip);
    if (!bucket) {
      if (this.#joins.size >= 4096) {
        // Forget full buckets: an address that has not joined for a while starts afresh anyway.
        for (const [address, old] of this.#joins) {
          if (old.tokens >= old.burst) this.#joins.delete(address);
        }
      }
      bucket = new TokenBucket(this.#joinRate, () => performance.now());
      this.#joins.set(ip, bucket);
    }
    return bucket;
  }

  /** Refuses a connection at the door: one error, then `bye` `denied`. */
  #deny(
    sink: CodecSink,
    peer: Peer,
    code: "password_required" | "access_denied" | "banned",
    message: string,
  ): void {
    this.#log({
      level: "warn",
      event: "denied",
      remote: sink.outbox.remote,
      reason: code,
      failures: code === "access_denied" ? this.#gate?.failures(peer.ip) : undefined,
    });
    sink.deliver({ type: "error", code, message });
    sink.end({ type: "bye", reason: "denied", code, message });
  }

  /**
   * Runs every few hundred ms: closes connections that did not join in
   * time, pings native clients that went quiet, and drops those that do not
   * answer (a half-open TCP connection, a laptop that went to sleep).
   */
  #sweep(): void {
    this.#logLimiter.flush();
    this.hub.tick();
    const now = performance.now();
    if (now - this.#lastNudge >= 1000) {
      this.#lastNudge = now;
      // Refused connections leave garbage too.
      this.#nudge.tick(this.#limits.released + this.#limits.refused);
    }
    const o = this.#options;
    for (const [connection, peer] of this.#connections) {
      if (connection.ending) continue;
      const sink = peer.sink;
      const member = peer.member;
      if (!member) {
        // A person typing a nick gets a person's time; the pending budget,
        // not this clock, is what protects the server from idle connections.
        const person = sink ? sink.codec.capabilities.promptsForNick : peer.greeted;
        const limit = person ? o.promptTimeoutMs : o.handshakeTimeoutMs;
        if (peer.holding || now - peer.acceptedAt < limit) continue;
        const message = `Did not join within ${limit / 1000} s; closing`;
        this.#log({
          level: "warn",
          event: "limit",
          remote: connection.remote,
          reason: person ? "prompt_timeout" : "handshake_timeout",
        });
        if (sink) {
          sink.deliver({ type: "error", code: "handshake_timeout", message });
          sink.end({ type: "bye", reason: "timeout", code: "handshake_timeout", message });
        } else void connection.end(plainLine(message));
        continue;
      }
      if (!sink?.codec.capabilities.keepalive || o.pingIntervalMs === 0) continue;
      const quiet = now - connection.lastReceived;
      if (peer.pingSentAt !== undefined && connection.lastReceived > peer.pingSentAt) {
        peer.pingSentAt = undefined; // It answered (or said anything at all).
      }
      if (peer.pingSentAt === undefined) {
        if (quiet >= o.pingIntervalMs) {
          peer.pingSentAt = now;
          sink.deliver({ type: "ping", token: String(++this.#pingCounter) });
        }
      } else if (now - peer.pingSentAt >= o.pingTimeoutMs) {
        const detail = `no answer to a ping for ${o.pingTimeoutMs / 1000} s`;
        this.#log({
          level: "warn",
          event: "timeout",
          remote: connection.remote,
          nick: member.nick,
        });
        this.hub.leave(member, "timeout", detail);
        sink.end({
          type: "bye",
          reason: "timeout",
          code: "timed_out",
          message: `Timed out: ${detail}`,
        });
      }
    }
  }
}

/** Whether a command name means `/quit`, by the hub's command table (text mode's nick prompt). */
function isQuit(name: string): boolean {
  return findCommand(name)?.name === "quit";
}

/** Resolves after `ms`, or as soon as the connection closes (so shutdown never waits on it). */
function pause(connection: Outbox, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    connection.done,
  ]).finally(() => clearTimeout(timer));
}
