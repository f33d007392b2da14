import { PROTOCOL_VERSION } from "../core/events.ts";
import { Hub, type HubOptions } from "../core/hub.ts";
import { ChatError, ProtocolError } from "../errors.ts";
import type { AuthFrame, ClientFrame, HelloFrame } from "../protocol/client_frames.ts";
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
import { NativeTransport } from "./native_transport.ts";
import { TextTransport } from "./text_transport.ts";
import type { PasswordFrame, Transport } from "./transport.ts";
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
  transport?: Transport;
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
  /** Every open connection, with its transport once the first byte chose one. */
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
    for (const [connection, { transport }] of this.#connections) {
      if (transport) {
        transport.end({ type: "bye", reason: "shutdown", message: "Server shutting down" });
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
      let transport = peer.transport;
      if (!transport) {
        clearTimeout(greeter);
        transport = peer.transport = this.#choose(connection, chunk[0], greeted);
        if (this.#closing) {
          transport.end({ type: "bye", reason: "shutdown", message: "Server shutting down" });
          return;
        }
        connection.onOverflow = () => this.#dropOverflowed(transport!, ending);
      }
      const frames = transport.decode(chunk);
      // A line typed at a prompt, a hello: a sign of life (see ConnectionLimits).
      if (!transport.member && frames.some((frame) => !(frame instanceof ProtocolError))) {
        peer.ticket.alive();
      }
      return this.#handleFrames(transport, peer, frames, ending);
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
      const member = peer.transport?.member;
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
  #choose(connection: Outbox, first: number, greeted: boolean): Transport {
    if (first === OPEN_BRACE) {
      if (greeted) connection.send(encoder.encode("\r\n"));
      return new NativeTransport(connection, this.#options.maxLineBytes);
    }
    const askPassword = this.#gate !== undefined;
    if (!greeted) this.#greet(connection);
    return new TextTransport(connection, this.#options.maxLineBytes, askPassword);
  }

  /**
   * Greets a text client, or, when the server is full already, tells it so
   * at once instead of asking for a nick it could not use.
   */
  #greet(connection: Outbox): void {
    if (this.hub.size < this.hub.maxClients) {
      connection.send(TextTransport.greeting(this.hub.serverName, this.#gate !== undefined));
      return;
    }
    const message = `Server is full (${this.hub.maxClients} clients); try again later`;
    this.#log({
      level: "warn",
      event: "refused",
      remote: connection.remote,
      reason: "server_full",
    });
    void connection.end(encoder.encode(`! ${message}\r\n`));
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
    const transport = peer.transport;
    if (!transport) {
      void connection.end(encoder.encode(`! ${message}\r\n`));
      return;
    }
    transport.deliver({ type: "error", code: "server_busy", message });
    transport.end({ type: "bye", reason: "full", code: "server_busy", message });
  }

  /**
   * A client whose send queue overflowed. Runs after the broadcast that
   * overflowed has reached everyone, so the leave notice cannot overtake it.
   */
  #dropOverflowed(transport: Transport, ending: Ending): void {
    Object.assign(ending, { reason: "dropped", detail: "send queue exceeded" });
    const member = transport.member;
    this.#log({
      level: "warn",
      event: "drop",
      remote: transport.connection.remote,
      nick: member?.nick,
      reason: ending.detail,
    });
    if (member) this.hub.leave(member, "dropped", ending.detail);
    transport.end({
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
    transport: Transport,
    peer: Peer,
    frames: (ClientFrame | PasswordFrame | ProtocolError)[],
    ending: Ending,
  ): void | Promise<void> {
    for (let i = 0; i < frames.length; i++) {
      if (transport.connection.ending) return;
      const pending = this.#handle(transport, peer, frames[i], ending);
      if (pending) {
        return pending.then(() => this.#handleFrames(transport, peer, frames.slice(i + 1), ending));
      }
    }
  }

  /** Handles one frame (a hello admits the member onto the transport). */
  #handle(
    transport: Transport,
    peer: Peer,
    frame: ClientFrame | PasswordFrame | ProtocolError,
    ending: Ending,
  ): void | Promise<void> {
    const member = transport.member;
    if (this.#closing) return;
    if (frame instanceof ProtocolError) {
      transport.deliver({ type: "error", code: frame.code, message: frame.message });
      if (frame.fatal) {
        Object.assign(ending, { reason: "dropped", detail: frame.message });
        this.#log({
          level: "warn",
          event: "limit",
          remote: transport.connection.remote,
          nick: member?.nick,
          reason: frame.code,
        });
        if (member) this.hub.leave(member, "dropped", frame.message);
        transport.end({ type: "bye", reason: "protocol", message: frame.message });
      }
      return;
    }
    if (frame.type === "pong") return; // Any input counts as alive.
    if (frame.type === "ping") {
      transport.deliver({
        type: "pong",
        ...(frame.token !== undefined ? { token: frame.token } : {}),
      });
      return;
    }
    if (!member && frame.type === "input" && transport.retryHello) {
      // More lines arrived with a nick that was then refused: the next line
      // is the next try.
      frame = transport.retryHello(frame.line);
    }
    if (!member) {
      if (frame.type === "password") {
        return this.#checkPassword(transport, peer, frame.password, () => {
          peer.passwordAccepted = true;
          transport.passwordAccepted?.();
        });
      }
      if (frame.type === "hello") return this.#hello(transport, peer, frame);
      if (frame.type === "auth") return this.#auth(transport, peer, frame);
      transport.deliver({
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
        transport.deliver({
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
  #hello(transport: Transport, peer: Peer, frame: HelloFrame): void | Promise<void> {
    if (frame.protocol !== PROTOCOL_VERSION) {
      const message =
        `Protocol version ${frame.protocol} is not supported; this server speaks ${PROTOCOL_VERSION}`;
      transport.deliver({ type: "error", code: "protocol_version", message });
      transport.end({ type: "bye", reason: "protocol", message });
      return;
    }
    if (peer.challenge) {
      transport.deliver({
        type: "error",
        code: "not_ready",
        message: 'Answer the challenge with "auth" first',
      });
      return;
    }
    if (frame.key !== undefined && !isPublicKey(frame.key)) {
      transport.deliver({
        type: "error",
        code: "bad_frame",
        message: 'Field "key" of "hello" must be a raw 32-byte Ed25519 public key in base64url',
      });
      return;
    }
    if (!this.#gate || peer.passwordAccepted) return this.#afterPassword(transport, peer, frame);
    if (frame.password === undefined) {
      this.#deny(transport, peer, "password_required", "This server needs a password");
      return;
    }
    return this.#checkPassword(
      transport,
      peer,
      frame.password,
      () => this.#afterPassword(transport, peer, frame),
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
    transport: Transport,
    peer: Peer,
    password: string,
    then: () => void | Promise<void>,
  ): void | Promise<void> {
    const gate = this.#gate;
    if (!gate) return then();
    const answer = () => {
      if (gate.check(peer.ip, password)) return then();
      this.#deny(transport, peer, "access_denied", "Access denied: wrong password");
    };
    if (!this.#passwordTurns.waiting(peer.ip) && gate.delayFor(peer.ip) === 0) return answer();
    return this.#inTurn(this.#passwordTurns, transport, peer, () => gate.delayFor(peer.ip), answer);
  }

  /**
   * Holds `go` back in the address's `turns`, then for `delayMs()` (asked
   * when its turn comes). Timers, not sleeps: only this connection waits (its
   * reads pause), and the handshake deadline waits too, then starts afresh.
   */
  #inTurn(
    turns: AddressTurns,
    transport: Transport,
    peer: Peer,
    delayMs: () => number,
    go: () => void | Promise<void>,
  ): Promise<void> {
    peer.holding = true;
    return turns.after(peer.ip, async () => {
      const wait = delayMs();
      if (wait > 0 && !transport.connection.ending) await pause(transport.connection, wait);
      peer.holding = false;
      // A fresh deadline for the rest of the handshake (a retried nick, the key proof).
      peer.acceptedAt = performance.now();
      if (!transport.connection.ending && !this.#closing) return go();
    });
  }

  /** Past the password: challenge a named key, or admit a keyless hello as it is. */
  #afterPassword(transport: Transport, peer: Peer, frame: HelloFrame): void | Promise<void> {
    if (frame.key === undefined) return this.#admit(transport, peer, frame, undefined);
    const nonce = newNonce();
    peer.challenge = { hello: { ...frame, key: frame.key }, nonce };
    transport.deliver({ type: "challenge", nonce });
  }

  /** The answer to a challenge: a valid signature admits the hello with its key's fingerprint. */
  async #auth(transport: Transport, peer: Peer, frame: AuthFrame): Promise<void> {
    const challenge = peer.challenge;
    if (!challenge) {
      transport.deliver({
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
    if (transport.connection.ending || this.#closing) return;
    if (!valid) {
      this.#deny(transport, peer, "access_denied", "Access denied: the key proof did not verify");
      return;
    }
    const print = await fingerprint(fromBase64Url(challenge.hello.key)!);
    if (transport.connection.ending || this.#closing) return;
    await this.#admit(transport, peer, challenge.hello, print);
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
    transport: Transport,
    peer: Peer,
    frame: HelloFrame,
    key: string | undefined,
  ): void | Promise<void> {
    const joins = this.#joinsOf(peer.ip);
    const go = () => this.#join(transport, peer, frame, key);
    if (!joins || (!this.#joinTurns.waiting(peer.ip) && joins.tokens >= 1)) return go();
    return this.#inTurn(this.#joinTurns, transport, peer, () => joins.waitMs(), go);
  }

  /** The join itself, once its turn has come. */
  #join(transport: Transport, peer: Peer, frame: HelloFrame, key: string | undefined): void {
    const joins = this.#joinsOf(peer.ip);
    try {
      const joined = this.hub.join(
        {
          nick: frame.nick,
          client: frame.client,
          echo: transport.kind === "native",
          fingerprint: key,
          address: peer.ip,
        },
        transport,
      );
      transport.member = joined;
      peer.ticket.joined();
      joins?.take();
      this.#log({
        level: "info",
        event: "join",
        remote: transport.connection.remote,
        nick: joined.nick,
        client: transport.kind,
        key,
        operator: joined.operator ? "yes" : undefined,
      });
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      if (error.code === "banned") {
        this.#deny(transport, peer, "banned", error.message);
        return;
      }
      transport.deliver({ type: "error", code: error.code, message: error.message });
      if (error.code === "server_full") {
        this.#log({ level: "warn", event: "refused", remote: peer.ip, reason: "server_full" });
        transport.end({ type: "bye", reason: "full", message: error.message });
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
    transport: Transport,
    peer: Peer,
    code: "password_required" | "access_denied" | "banned",
    message: string,
  ): void {
    this.#log({
      level: "warn",
      event: "denied",
      remote: transport.connection.remote,
      reason: code,
      failures: code === "access_denied" ? this.#gate?.failures(peer.ip) : undefined,
    });
    transport.deliver({ type: "error", code, message });
    transport.end({ type: "bye", reason: "denied", code, message });
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
      const transport = peer.transport;
      const member = transport?.member;
      if (!member) {
        // A person typing a nick gets a person's time; the pending budget,
        // not this clock, is what protects the server from idle connections.
        const person = transport ? transport.kind === "text" : peer.greeted;
        const limit = person ? o.promptTimeoutMs : o.handshakeTimeoutMs;
        if (peer.holding || now - peer.acceptedAt < limit) continue;
        const message = `Did not join within ${limit / 1000} s; closing`;
        this.#log({
          level: "warn",
          event: "limit",
          remote: connection.remote,
          reason: person ? "prompt_timeout" : "handshake_timeout",
        });
        if (transport) {
          transport.deliver({ type: "error", code: "handshake_timeout", message });
          transport.end({ type: "bye", reason: "timeout", code: "handshake_timeout", message });
        } else void connection.end(encoder.encode(`! ${message}\r\n`));
        continue;
      }
      if (transport.kind !== "native" || o.pingIntervalMs === 0) continue;
      const quiet = now - connection.lastReceived;
      if (peer.pingSentAt !== undefined && connection.lastReceived > peer.pingSentAt) {
        peer.pingSentAt = undefined; // It answered (or said anything at all).
      }
      if (peer.pingSentAt === undefined) {
        if (quiet >= o.pingIntervalMs) {
          peer.pingSentAt = now;
          transport.deliver({ type: "ping", token: String(++this.#pingCounter) });
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
        transport.end({
          type: "bye",
          reason: "timeout",
          code: "timed_out",
          message: `Timed out: ${detail}`,
        });
      }
    }
  }
}

/** Resolves after `ms`, or as soon as the connection closes (so shutdown never waits on it). */
function pause(connection: Outbox, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    connection.done,
  ]).finally(() => clearTimeout(timer));
}
