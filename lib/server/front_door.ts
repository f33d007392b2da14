/**
 * Where every connection comes in: the listeners (on IPv6 and IPv4 unless
 * told one address), the per-address and pending-connection limits, and,
 * for a TLS server, the TLS handshake.
 *
 * Why this shape (measured, docs/performance.md "TLS: what terminates it"):
 * - node:tls's own server (`tls.createServer`) keeps ~16 KB of native
 *   memory per TCP connection under Deno 2.9.6, from anyone, without a
 *   handshake: it makes TLS state for every connection it accepts;
 * - `Deno.listenTls` cannot close a peer that never sends its ClientHello
 *   (its fd stays open for as long as the peer stays silent), and its
 *   connections cannot turn Nagle's algorithm off (40 ms stalls).
 * So a TLS server accepts with node:net, whose sockets can always be
 * closed and tuned, reads the first bytes itself, and makes a
 * `tls.TLSSocket` (one shared `SecureContext`) only when they are a TLS
 * record: a connection that closes at once, or says nothing, costs what a
 * plain one does. A plain server accepts with `Deno.listen` (the fastest
 * path for the chat itself). Closed connections hold native memory until
 * the garbage collector runs, which V8 does not know to do (see
 * `GarbageNudge`).
 *
 * HTTP on the same port: every arrival carries the door's `HttpFront`.
 * The session tells an HTTP request line from chat by the first bytes, as
 * it tells native from text (`sniffFirstBytes`), and hands an HTTP
 * connection back with the bytes it read (`HttpFront.takeOver`): so chat
 * connections pay nothing for the web (no extra read, buffer or wrapper).
 *
 * @module
 */

import { acceptAll } from "../net/accept_all.ts";
import * as tls from "node:tls";
import * as net from "node:net";
import { formatHostPort, unmapAddress } from "../net/host_port.ts";
import { bindEvery, listenNode, NODE_BACKLOG } from "./bind_every.ts";
import { keepAccepting } from "../net/listen_again.ts";
import { SocketConn } from "../net/socket_conn.ts";
import { secureNative } from "../net/tls_feed.ts";
import { type Refusal, Ticket } from "./connection_limits.ts";
import { Connection } from "./connection.ts";
import { HttpFront } from "./http_front.ts";
import { httpsRedirect, plainTextHint } from "./tls_port_hints.ts";
import type { Listener, ListenerServeOptions } from "./listener.ts";

const TLS_HANDSHAKE_RECORD = 0x16;
const OPEN_BRACE = 0x7b;
/**
 * A TLS alert (fatal, protocol_version): what a TLS server answers a client
 * that speaks plain text. chat-client recognises it and says "connect
 * without --plain".
 */
const TLS_ALERT = new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);
const encoder = new TextEncoder();
/** Slices handed to a TLS socket (four 16 KiB TLS records). */
const TLS_WRITE_BYTES = 64 * 1024;

/**
 * The plain or TLS listener on one port: binds the listening sockets, runs
 * the accept loops, and hands each connection on as a `Connection`; see the
 * module doc.
 */
export class FrontDoor implements Listener {
  /** The first listener's address (`::` or `0.0.0.0` for every interface). */
  readonly addr: Deno.NetAddr;
  /** Every address a listener is bound to (`::` and, on some systems, `0.0.0.0`). */
  readonly hostnames: readonly string[];
  readonly #listeners: Deno.TcpListener[];
  /** A TLS server's listeners (node:net: their sockets can carry node:tls natively). */
  readonly #servers: net.Server[];
  /** Stop asking the TLS servers to go on accepting (`keepAccepting`). */
  readonly #stops: (() => void)[] = [];
  /** TLS connections still in their handshake: the way to close each. */
  readonly #handshakes = new Set<() => void>();
  /** Refused TLS connections being told why (see #explainRefusal), and when each address last was. */
  #explaining = 0;
  readonly #explained = new Map<string, number>();
  #closing = false;
  /** Serves the HTTP connections (from serve() on). */
  #http: HttpFront | undefined;
  /** Resolves when close() is called: a node:net server's own "close" waits for every socket. */
  readonly #closed = Promise.withResolvers<void>();
  /**
   * TLS connections accepted between bindTls() and serve() (chat-server
   * opens its stores and makes its certificate in between): node:net
   * accepts at once, and a connection emitted to no listener would hang,
   * never served nor timed out. They wait here (at most a backlog's worth).
   */
  readonly #early: net.Socket[] = [];
  readonly #holdEarly = (socket: net.Socket) => {
    if (this.#closing || this.#early.length >= EARLY_CONNECTIONS) return void socket.destroy();
    socket.on("error", () => {});
    this.#early.push(socket);
  };

  private constructor(listeners: Deno.TcpListener[], servers: net.Server[] = []) {
    this.#listeners = listeners;
    this.#servers = servers;
    for (const server of servers) server.on("connection", this.#holdEarly);
    const addresses = [
      ...listeners.map((listener) => listener.addr),
      ...servers.map((server) => {
        const address = server.address() as net.AddressInfo;
        return { transport: "tcp" as const, hostname: address.address, port: address.port };
      }),
    ];
    this.addr = addresses[0];
    this.hostnames = addresses.map((address) => address.hostname);
  }

  /**
   * Binds a plain server to `hostname` (brackets allowed around IPv6), or,
   * without one, to every interface: `::`, which takes IPv4 too on a
   * dual-stack system, plus `0.0.0.0` where `::` is IPv6 only, or
   * `0.0.0.0` alone on a machine without IPv6. Nothing is accepted until
   * {@linkcode FrontDoor.serve}.
   *
   * @throws {Deno.errors.AddrInUse} the port is taken
   * @throws {Deno.errors.AddrNotAvailable} the machine has no such address
   */
  static async bind(options: { hostname?: string; port: number }): Promise<FrontDoor> {
    const listeners = await bindEvery(
      options,
      (hostname, port) => Promise.resolve(Deno.listen({ hostname, port })),
      (listener) => listener.addr.port,
      (listener) => listener.close(),
    );
    return new FrontDoor(listeners);
  }

  /**
   * Binds a TLS server: node:net listeners, on the same addresses as
   * {@linkcode FrontDoor.bind}.
   */
  static async bindTls(options: { hostname?: string; port: number }): Promise<FrontDoor> {
    const servers = await bindEvery(
      options,
      listenNode,
      (server) => (server.address() as net.AddressInfo).port,
      (server) => server.close(),
    );
    return new FrontDoor([], servers);
  }

  /** TLS connections accepted before serve(), waiting for it. */
  get waitingToServe(): number {
    return this.#early.length;
  }

  /** A door bound with `bindTls()` terminates TLS. */
  get needsCertificate(): boolean {
    return this.#servers.length > 0;
  }

  /** Accepts until {@linkcode FrontDoor.close}; resolves when every accept loop has ended. */
  async serve(options: ListenerServeOptions): Promise<void> {
    this.#http = new HttpFront(options);
    if (this.#servers.length > 0) {
      if (!options.tls) throw new Error("A door bound with bindTls() serves TLS only");
      // One context for every connection.
      const context = tls.createSecureContext(options.tls);
      // Deno's node:net stops accepting at a failed accept (EMFILE), silently: see listen_again.ts.
      const failed = (error: Error) => {
        if (!this.#closing) options.log({ level: "error", event: "error", error: String(error) });
      };
      for (const server of this.#servers) {
        server.off("connection", this.#holdEarly);
        server.on("connection", (socket: net.Socket) => this.#arriveTls(socket, options, context));
        server.on("error", failed);
        if (!this.#closing) this.#stops.push(keepAccepting(server, NODE_BACKLOG, failed));
      }
      for (const socket of this.#early.splice(0)) {
        if (!socket.destroyed) this.#arriveTls(socket, options, context);
      }
      // Not the servers' "close" events: those wait for every socket, and the
      // sockets are the chat server's to close, after this returns.
      await this.#closed.promise;
      return;
    }
    // A door bound with bind() serves plain TCP, whatever certificate the
    // server has for its TLS doors: a plain and a TLS port may feed one server.
    await Promise.all(this.#listeners.map(async (listener) => {
      // A failed accept (out of file descriptors) is logged and the loop goes on.
      await acceptAll(listener, (conn) => this.#arrive(conn, options), (error) => {
        if (!this.#closing) options.log({ level: "error", event: "error", error: String(error) });
      });
    }));
  }

  /** Stops accepting and closes the TLS handshakes in progress. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    for (const listener of this.#listeners) {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    }
    for (const stop of this.#stops.splice(0)) stop();
    for (const server of this.#servers) server.close();
    for (const socket of this.#early.splice(0)) socket.destroy();
    this.#closed.resolve();
    for (const close of this.#handshakes) close();
    this.#handshakes.clear();
    this.#http?.close();
  }

  /** A ticket for a connection from `ip`, or the refusal (logged) when its address is at its limit. */
  #admit(ip: string, options: ListenerServeOptions): Ticket | Refusal {
    const ticket = options.limits.admit(ip);
    if (!(ticket instanceof Ticket)) {
      options.log({
        level: "warn",
        event: "refused",
        remote: ip,
        // Not the message, which names the address: one kind of record for the log limiter.
        reason: "too many connections from one address",
        limit: ticket.limit,
      });
    }
    return ticket;
  }

  /** A plain server's connection: admitted, tuned, handed on. */
  #arrive(conn: Deno.TcpConn, options: ListenerServeOptions): void {
    const ip = unmapAddress(conn.remoteAddr.hostname);
    if (this.#closing) return closeQuietly(conn);
    const ticket = this.#admit(ip, options);
    if (!(ticket instanceof Ticket)) {
      void refuse(conn, `! ${ticket.message}\r\n`);
      return;
    }
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch {
      // Not fatal: only latency or dead-peer detection suffers.
    }
    // Its `remote` is made from the socket's address when a log asks for it.
    const pipe = new Connection(conn, { sendQueueBytes: options.sendQueueBytes });
    options.onArrival({ pipe, ip, ticket, secure: false, http: this.#http });
  }

  /**
   * A TLS connection refused at the door (its address holds too many) is
   * told why, inside TLS, where a client can read it (`! Too many
   * connections from ...`, which chat-client shows as its error), when that
   * costs little: at most EXPLAINED_AT_ONCE at a time, and one per address
   * every EXPLAIN_EVERY_MS. Any other is closed at once.
   */
  #explainRefusal(
    raw: net.Socket,
    ip: string,
    message: string,
    options: ListenerServeOptions,
    context: tls.SecureContext,
  ): void {
    const now = Date.now();
    const last = this.#explained.get(ip);
    if (
      this.#explaining >= EXPLAINED_AT_ONCE || (last !== undefined && now - last < EXPLAIN_EVERY_MS)
    ) {
      raw.destroy();
      return;
    }
    if (this.#explained.size >= 1024) {
      for (const [address, at] of this.#explained) {
        if (now - at >= EXPLAIN_EVERY_MS) this.#explained.delete(address);
      }
    }
    this.#explained.set(ip, now);
    this.#explaining++;
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    // The handshake within the usual time, then a second to say it.
    let timer = setTimeout(() => socket.destroy(), options.tlsHandshakeMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.#explaining--;
    };
    socket.on("error", () => socket.destroy());
    socket.once("close", () => {
      finish();
      raw.destroy();
    });
    socket.once("secure", () => {
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), 1000);
      socket.end(encoder.encode(`! ${message}\r\n`));
    });
  }

  /**
   * A TLS server's connection: waits for its first bytes, answers plain text
   * with a hint, and runs the TLS handshake, all within `tlsHandshakeMs`.
   */
  #arriveTls(raw: net.Socket, options: ListenerServeOptions, context: tls.SecureContext): void {
    raw.on("error", ignore);
    const ip = unmapAddress(raw.remoteAddress ?? "unknown");
    const port = raw.remotePort ?? 0;
    const remote = formatHostPort(ip, port);
    if (this.#closing) return void raw.destroy();
    const ticket = this.#admit(ip, options);
    if (!(ticket instanceof Ticket)) {
      this.#explainRefusal(raw, ip, ticket.message, options, context);
      return;
    }
    raw.setNoDelay(true);
    raw.setKeepAlive(true, 60_000);
    let socket: tls.TLSSocket | undefined;
    let settled = false;
    // Once settled, nothing of the handshake's stays with the connection (its
    // listeners hold this function's whole scope: hundreds of bytes a client).
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      this.#handshakes.delete(abort);
      raw.off("close", closedEarly);
      socket?.off("close", closedInHandshake);
    };
    const abort = () => {
      if (settled) return;
      finish();
      socket?.destroy();
      raw.destroy();
      ticket.release();
    };
    const fail = (error: string, hint?: Uint8Array) => {
      if (settled) return;
      options.log({ level: "debug", event: "tls_error", remote, error });
      if (!hint) return abort();
      finish();
      raw.end(hint);
      const destroy = setTimeout(() => raw.destroy(), 1000);
      raw.once("close", () => {
        clearTimeout(destroy);
        ticket.release();
      });
    };
    const closedEarly = () => fail("closed before its handshake");
    const closedInHandshake = () => fail("closed during its handshake");
    const timer = setTimeout(() => {
      fail(
        socket ? "no TLS handshake in time" : "no bytes in time",
        socket ? undefined : encoder.encode(plainTextHint(raw)),
      );
    }, options.tlsHandshakeMs);
    this.#handshakes.add(abort);
    ticket.onEvict(() => {
      options.log({ level: "warn", event: "evicted", remote, reason: "in its TLS handshake" });
      abort();
    });
    raw.once("close", closedEarly);
    raw.once("data", (first: Uint8Array) => {
      if (settled) return;
      raw.pause();
      if (first[0] !== TLS_HANDSHAKE_RECORD) {
        return fail(
          "spoke plain text to the TLS port",
          first[0] === OPEN_BRACE
            ? TLS_ALERT
            : encoder.encode(httpsRedirect(first, raw, options.webHosts) ?? plainTextHint(raw)),
        );
      }
      // An optional client certificate (IRC's SASL EXTERNAL): asked for, never
      // required, never verified against a CA (client_certificate.ts says why
      // the TLS handshake alone proves its key). secureNative: node:tls's native
      // path, and a paused reader stops TCP reads.
      try {
        socket = secureNative(raw, {
          isServer: true,
          secureContext: context,
          requestCert: true,
          rejectUnauthorized: false,
        }, first);
      } catch (error) {
        // Only a runtime whose node:tls lacks what secureNative uses gets here
        // (Deno 2.9.6 has it): every TLS client would fail, so say it loudly.
        options.log({ level: "error", event: "tls_unavailable", remote, error: String(error) });
        return fail(String(error));
      }
      socket.once("secure", () => {
        if (settled) return;
        finish();
        const secured = socket!;
        secured.removeListener("error", onError);
        // (Whichever way the TLS socket ends, the TCP socket under it goes too: secureNative.)
        const address = { transport: "tcp" as const, hostname: ip, port };
        const pipe = new Connection(new SocketConn(secured, address, raw), {
          sendQueueBytes: options.sendQueueBytes,
          maxWriteBytes: TLS_WRITE_BYTES,
          longRunsAlone: false,
        });
        const certificate = secured.getPeerCertificate(true)?.raw;
        options.onArrival({
          pipe,
          ip,
          ticket,
          secure: true,
          http: this.#http,
          ...(certificate ? { clientCertificate: new Uint8Array(certificate) } : {}),
        });
      });
      const onError = (error: Error) => fail(error.message);
      socket.on("error", onError);
      socket.once("close", closedInHandshake);
    });
  }
}

/**
 * How many refused TLS connections may be told why at once, and how often
 * per address: a refusal costs a TLS handshake, which a flood must not be
 * able to make the server do without end.
 */
const EXPLAINED_AT_ONCE = 16;
/** TLS connections held from bindTls() until serve() (the listen backlog). */
const EARLY_CONNECTIONS = 1024;
const EXPLAIN_EVERY_MS = 10_000;

/** A TCP socket's errors, once its TLS socket (or the refusal) reports them. */
function ignore(): void {}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Writes one line (at most 1 s) to a connection we will not serve, then closes it. */
async function refuse(conn: Deno.Conn, bytes: string | Uint8Array): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      conn.write(typeof bytes === "string" ? encoder.encode(bytes) : bytes),
      new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
  } catch {
    // The peer is already gone.
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}
