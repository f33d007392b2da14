/**
 * The server: one chat core ({@linkcode Hub}), the listeners that feed it,
 * and one `ClientSession` per connection. It holds what the sessions share
 * (admission rules, limits, the log), runs the one sweep timer, and shuts
 * everything down in order.
 *
 * @module
 */

import { FileSharing } from "./file_sharing.ts";
import { listenAddresses } from "./listen_addresses.ts";
import { Hub } from "../core/hub.ts";
import { PLAIN_BINDING } from "../protocol/key_proof.ts";
import { ClientSession, type SessionContext, type SessionLimits } from "./client_session.ts";
import type { SessionHost } from "./session_context.ts";
import { type Admitted, ConnectionLimits } from "./connection_limits.ts";
import { FrontDoor } from "./front_door.ts";
import type { Arrival, Listener } from "./listener.ts";
import { IrcListener } from "./irc_listener.ts";
import { ircDirectory } from "./irc_directory.ts";
import { IrcCodec } from "../protocol/irc_codec.ts";
import { VERSION } from "../version.ts";
import { GarbageNudge } from "./garbage_nudge.ts";
import { trimJoinPool } from "./join_pool.ts";
import { Admission } from "./handshake.ts";
import { LogLimiter } from "./log_limiter.ts";
import { LOG_LEVEL_RANK, type LogLevel, type LogRecord } from "./log_record.ts";
import { fingerprintOfPem } from "./tls_certificate.ts";
import type { ChatServerOptions } from "./chat_server_options.ts";

export type { LogLevel, LogRecord } from "./log_record.ts";
export type { ChatServerOptions } from "./chat_server_options.ts";

/** Longest a TLS handshake may take (within the handshake timeout). */
const TLS_HANDSHAKE_MS = 3000;

/**
 * The server: one {@linkcode Hub}, the listeners that feed it, and one
 * {@linkcode ClientSession} per connection. It tracks the sessions, runs the
 * one timer that sweeps them, and shuts everything down in order.
 *
 * @example
 * ```ts
 * await using server = await ChatServer.listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(server.addr.port);
 * ```
 */
export class ChatServer implements AsyncDisposable {
  /** The chat core every listener's sessions share. */
  readonly hub: Hub;
  /** The first listening address (`::` when listening on every interface). */
  readonly addr: Deno.NetAddr;
  /** Every address the server listens on (`::`, and `0.0.0.0` where `::` is IPv6 only). */
  readonly hostnames: readonly string[];
  readonly #listeners: readonly Listener[];
  readonly #limits: ConnectionLimits;
  /** What key proofs over TLS are bound to: our certificate's fingerprint. */
  readonly #tlsBinding: string;
  /** Every open session, from its first byte to its closing. */
  readonly #sessions = new Set<ClientSession>();
  readonly #context: SessionContext;
  /** Connections being served; `#allServed` resolves when it drops to 0 during shutdown. */
  #serving = 0;
  #allServed: PromiseWithResolvers<void> | undefined;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #nudge = new GarbageNudge();
  #lastNudge = 0;
  #pingCounter = 0;
  readonly #logLimiter: LogLimiter;
  readonly #log: (record: LogRecord) => void;
  readonly #acceptLoop: Promise<void>;
  #closing = false;

  private constructor(listeners: Listener[], options: ChatServerOptions, tlsBinding: string) {
    if (listeners.length === 0) throw new TypeError("A chat server needs at least one listener");
    this.#listeners = listeners;
    this.#tlsBinding = tlsBinding;
    this.addr = listeners[0].addr;
    // The IRC port's addresses are the main port's: not listed (nor announced) twice.
    this.hostnames = listeners.filter((listener) => !(listener instanceof IrcListener))
      .flatMap((listener) => listener.hostnames);
    const sharing = options.files
      ? new FileSharing(options.files, {
        ...options.fileLimits,
        private: options.password !== undefined || options.passwordGate !== undefined,
      })
      : undefined;
    this.hub = options.hub ?? new Hub({ ...options, welcomeFiles: sharing?.welcome });
    if (sharing) {
      sharing.attach(this.hub);
      // Links point where the start-up line sends browsers.
      const address = listenAddresses(this.hostnames, this.addr.port)[0];
      sharing.origin = `${options.tls ? "https" : "http"}://${address}`;
    }
    const limits: SessionLimits = {
      maxLineBytes: options.maxLineBytes ?? 64 * 1024,
      sendQueueBytes: options.sendQueueBytes ?? 1024 * 1024,
      textPromptDelayMs: options.textPromptDelayMs ?? 300,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      promptTimeoutMs: options.promptTimeoutMs ?? 120_000,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      pingTimeoutMs: options.pingTimeoutMs ?? 15_000,
      httpHeadersMs: options.httpHeadersTimeoutMs ?? 10_000,
    };
    this.#logLimiter = new LogLimiter(options.log ?? (() => {}));
    const limited = this.#logLimiter.log;
    const least = LOG_LEVEL_RANK[options.logLevel ?? "debug"];
    this.#log = least === 0 ? limited : (record) => {
      if (LOG_LEVEL_RANK[record.level] >= least) limited(record);
    };
    const logs = (level: LogLevel) => LOG_LEVEL_RANK[level] >= least;
    if (sharing) sharing.log = this.#log;
    this.#limits = new ConnectionLimits({
      maxPerIp: options.maxPerIp ?? 16,
      maxPending: options.maxPending ?? 256,
    });
    const admission = new Admission({
      hub: this.hub,
      log: this.#log,
      logs,
      closing: () => this.#closing,
      password: options.password,
      passwordGate: options.passwordGate,
      joinRate: options.rateLimit === false ? false : options.joinRate ?? { rate: 1, burst: 30 },
    });
    this.#context = {
      hub: this.hub,
      admission,
      limits,
      log: this.#log,
      logs,
      sessions: this.#sessions,
      // The hub's own registry: a verb a front end added as a /quit alias counts too.
      isQuit: (name) => this.hub.commands.find(name)?.name === "quit",
      nextPingToken: () => String(++this.#pingCounter),
    };
    // One timer for all connections: handshake deadlines and keepalive.
    const shortest = Math.min(
      limits.handshakeTimeoutMs,
      limits.pingIntervalMs || Infinity,
      limits.pingTimeoutMs || Infinity,
    );
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(20, Math.min(1000, shortest / 4)));
    const serving = {
      limits: this.#limits,
      tls: options.tls,
      tlsHandshakeMs: Math.min(limits.handshakeTimeoutMs, TLS_HANDSHAKE_MS),
      sendQueueBytes: limits.sendQueueBytes,
      maxLineBytes: limits.maxLineBytes,
      httpHeadersMs: limits.httpHeadersMs,
      webHosts: options.webHosts ?? [],
      ...(sharing ? { files: sharing } : {}),
      log: this.#log,
      onArrival: (arrival: Arrival) => this.#serve(arrival),
    };
    this.#acceptLoop = Promise.all(listeners.map((listener) =>
      // A listener that fails stops alone, said in the log; the others go on.
      listener.serve(serving).catch((error) => {
        this.#log({ level: "error", event: "error", error: String(error) });
      })
    )).then(() => {});
  }

  /**
   * Binds the port and starts accepting (TLS when `options.tls` is given).
   *
   * @throws {Deno.errors.AddrInUse} the port is taken
   * @throws {Deno.errors.AddrNotAvailable} the machine has no such address
   */
  static async listen(options: ChatServerOptions = {}): Promise<ChatServer> {
    const where = { hostname: options.hostname, port: options.port ?? 7777 };
    const bind = (port: number) =>
      options.tls
        ? FrontDoor.bindTls({ hostname: where.hostname, port })
        : FrontDoor.bind({ hostname: where.hostname, port });
    const doors: Listener[] = [await bind(where.port)];
    try {
      if (options.ircPort !== undefined) doors.push(new IrcListener(await bind(options.ircPort)));
      return await ChatServer.serve(doors, options);
    } catch (error) {
      for (const door of doors) door.close();
      throw error;
    }
  }

  /**
   * Starts serving on listeners bound beforehand (`chat-server` binds first,
   * so a wrong address fails before anything is written to disk); their
   * connections all join one hub (`options.hub`, or one made from the
   * options).
   *
   * @throws {TypeError} a listener terminates TLS and `options.tls` is missing
   */
  static async serve(
    listeners: Listener | Listener[],
    options: ChatServerOptions = {},
  ): Promise<ChatServer> {
    const needing = [listeners].flat().find((listener) => listener.needsCertificate);
    if (needing && !options.tls) {
      throw new TypeError(
        `The listener on port ${needing.addr.port} speaks TLS, but no certificate was given ` +
          "(options.tls)",
      );
    }
    const binding = options.tls ? await fingerprintOfPem(options.tls.cert) : PLAIN_BINDING;
    return new ChatServer([listeners].flat(), options, binding);
  }

  /** Connections open right now, including ones still in their handshake. */
  get connectionCount(): number {
    return this.#sessions.size;
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
    for (const { pipe } of this.#sessions) {
      queuedBytes += pipe.queuedBytes;
      maxQueuedBytes = Math.max(maxQueuedBytes, pipe.queuedBytes);
    }
    return {
      connections: this.#sessions.size,
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
    for (const listener of this.#listeners) listener.close();
    this.hub.shutdown();
    // Members already got their goodbye from the hub; this reaches clients
    // still in their handshake, each in its own format.
    for (const session of this.#sessions) session.shutdown();
    await this.#acceptLoop;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#untilServed(),
      new Promise((resolve) => (timer = setTimeout(resolve, 1500))),
    ]);
    clearTimeout(timer);
    for (const { pipe } of this.#sessions) pipe.close();
    await this.#untilServed();
    this.#logLimiter.close();
    this.hub.closeStore();
  }

  /** Shuts down (see {@linkcode ChatServer.shutdown}). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** Resolves once no connection is being served. */
  #untilServed(): Promise<void> {
    if (this.#serving === 0) return Promise.resolve();
    this.#allServed ??= Promise.withResolvers<void>();
    return this.#allServed.promise;
  }

  /** The codec of a connection to the IRC port. */
  #ircCodec(): IrcCodec {
    return new IrcCodec({
      maxLineBytes: this.#context.limits.maxLineBytes,
      version: VERSION,
      directory: ircDirectory(this.hub),
    });
  }

  /** The port of the IRC listener (`ircPort`), if there is one. */
  get ircAddr(): Deno.NetAddr | undefined {
    return this.#listeners.find((listener) => listener instanceof IrcListener)?.addr;
  }

  /** A session that threw: a bug, logged (whatever the error is made of). */
  readonly #failed = (error: unknown): void => {
    let text: string;
    try {
      text = String((error as Error)?.stack ?? error);
    } catch {
      text = Object.prototype.toString.call(error);
    }
    this.#log({ level: "error", event: "error", error: text });
  };

  /**
   * The connection of `ticket` is served: the ticket is released (unless
   * the HTTP server took the connection with it) and the count of
   * connections served goes down.
   */
  #served(ticket: Admitted, session?: ClientSession): void {
    try {
      // An HTTP request's connection went to the HTTP server, with its ticket.
      if (!session?.handedOff) ticket.release();
    } finally {
      if (--this.#serving === 0) this.#allServed?.resolve();
    }
  }

  /** Serving the connection of `ticket` failed: logged (never thrown), then served. */
  #servedWith(error: unknown, ticket: Admitted, session?: ClientSession): void {
    try {
      this.#failed(error);
    } catch {
      // A log that throws: nothing more to do, but the bookkeeping below.
    } finally {
      this.#served(ticket, session);
    }
  }

  /**
   * What every session reports its end to (once: `ClientSession.run`): one
   * object for all, not two closures per client for its whole life.
   */
  readonly #host: SessionHost = {
    served: (session) => this.#served(session.ticket, session),
    failed: (session, error) => this.#servedWith(error, session.ticket, session),
  };

  /**
   * Serves one connection from a listener until it ends. Callbacks, not an
   * async function suspended for the connection's whole life nor a promise
   * pending for it: its frame and registers, or the promise's reactions,
   * cost every idle client hundreds of bytes (docs/performance.md, "Tail
   * latency and fan-out"). Whatever happens, the ticket is released (unless
   * the HTTP server took the connection) and the count of connections
   * served goes down once; a failure is logged and never thrown.
   */
  #serve(
    { pipe, ip, ticket, secure, codec, http, irc, clientCertificate }: Arrival,
  ): void {
    this.#serving++;
    if (this.#closing) {
      pipe.close();
      return this.#served(ticket);
    }
    let session: ClientSession;
    try {
      const binding = secure ? this.#tlsBinding : PLAIN_BINDING;
      session = new ClientSession(this.#context, {
        pipe,
        ip,
        ticket,
        binding,
        codec: codec ?? (irc ? this.#ircCodec() : undefined),
        http,
        clientCertificate,
      });
    } catch (error) {
      return this.#servedWith(error, ticket);
    }
    ticket.onEvict(() => session.evict());
    // It reports its end to the host once, even when run() throws.
    session.run(this.#host);
  }

  /**
   * Runs every few hundred ms: flushes the log limiter, ticks the hub, nudges
   * the garbage collector after churn, sweeps every session (handshake
   * deadlines, keepalive) and lets idle join buffers go.
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
    for (const session of this.#sessions) session.sweep(now);
    trimJoinPool();
  }
}
