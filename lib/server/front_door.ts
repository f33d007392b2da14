/**
 * Where every connection comes in: Deno's TCP listener (on IPv6 and IPv4
 * unless told one address), the per-address and pending-connection limits,
 * and, for a TLS server, the TLS handshake.
 *
 * Why this shape (measured, docs/performance.md "TLS: what terminates it"):
 * - node:tls's own server keeps ~16 KB of native memory per TCP connection
 *   under Deno 2.9.6, from anyone, without a handshake;
 * - `Deno.listenTls` cannot close a peer that never sends its ClientHello
 *   (its fd stays open for as long as the peer stays silent), and its
 *   connections cannot turn Nagle's algorithm off (40 ms stalls);
 * - Deno's plain listener has neither problem. So every connection is
 *   accepted by `Deno.listen`, which can always be closed; nothing TLS is
 *   made until the first bytes are a TLS record; then node:tls runs over
 *   the Deno connection (`ConnDuplex`) with one shared `SecureContext`.
 *   Closed connections hold native memory until the garbage collector runs,
 *   which V8 does not know to do (see `GarbageNudge`).
 *
 * @module
 */

import * as tls from "node:tls";
import type { Socket } from "node:net";
import { ConnDuplex } from "../net/conn_duplex.ts";
import { formatHostPort, stripBrackets, unmapAddress } from "../net/host_port.ts";
import { type ByteConn, SocketConn } from "../net/socket_conn.ts";
import { type ConnectionLimits, Ticket } from "./connection_limits.ts";
import type { LogRecord } from "./chat_server.ts";

/** What the front door hands on: a connection ready for the chat protocol. */
export interface Arrival {
  conn: ByteConn;
  /** The peer's IP address (IPv4-mapped addresses as IPv4). */
  ip: string;
  /** Its place in the limits; the receiver releases it when the connection ends. */
  ticket: Ticket;
  /** `ip:port` of the peer, IPv6 in brackets. */
  remote: string;
}

/** How the door serves once bound. */
export interface FrontDoorServeOptions {
  limits: ConnectionLimits;
  /** Terminate TLS with this certificate and key (PEM); plain TCP without. */
  tls?: { cert: string; key: string };
  /** Longest a TLS connection may take to send its first bytes and finish its handshake. */
  tlsHandshakeMs: number;
  log: (record: LogRecord) => void;
  /** Receives each connection (after its TLS handshake on a TLS server). */
  onArrival: (arrival: Arrival) => void;
}

const TLS_HANDSHAKE_RECORD = 0x16;
const OPEN_BRACE = 0x7b;
/**
 * A TLS alert (fatal, protocol_version): what a TLS server answers a client
 * that speaks plain text. chat-client recognises it and says "connect
 * without --plain".
 */
const TLS_ALERT = new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);
const encoder = new TextEncoder();

/** Binds the listening sockets and runs the accept loops; see the module doc. */
export class FrontDoor {
  /** The first listener's address (`::` or `0.0.0.0` for every interface). */
  readonly addr: Deno.NetAddr;
  /** Every address a listener is bound to (`::` and, on some systems, `0.0.0.0`). */
  readonly hostnames: readonly string[];
  readonly #listeners: Deno.TcpListener[];
  /** TLS connections still in their handshake: the way to close each. */
  readonly #handshakes = new Set<() => void>();
  #closing = false;

  private constructor(listeners: Deno.TcpListener[]) {
    this.#listeners = listeners;
    this.addr = listeners[0].addr;
    this.hostnames = listeners.map((listener) => listener.addr.hostname);
  }

  /**
   * Binds `hostname` (brackets allowed around IPv6), or, without one, every
   * interface: `::`, which takes IPv4 too on a dual-stack system, plus
   * `0.0.0.0` where `::` is IPv6 only, or `0.0.0.0` alone on a machine
   * without IPv6. Nothing is accepted until {@linkcode FrontDoor.serve}.
   *
   * @throws {Deno.errors.AddrInUse} the port is taken
   * @throws {Deno.errors.AddrNotAvailable} the machine has no such address
   */
  static bind(options: { hostname?: string; port: number }): FrontDoor {
    const { port } = options;
    if (options.hostname !== undefined) {
      return new FrontDoor([Deno.listen({ hostname: stripBrackets(options.hostname), port })]);
    }
    let v6: Deno.TcpListener;
    try {
      v6 = Deno.listen({ hostname: "::", port });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) throw error;
      // No IPv6 on this machine.
      return new FrontDoor([Deno.listen({ hostname: "0.0.0.0", port })]);
    }
    try {
      const v4 = Deno.listen({ hostname: "0.0.0.0", port: v6.addr.port });
      return new FrontDoor([v6, v4]); // "::" is IPv6 only here.
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) return new FrontDoor([v6]); // Dual stack.
      v6.close();
      throw error;
    }
  }

  /** Accepts until {@linkcode FrontDoor.close}; resolves when every accept loop has ended. */
  async serve(options: FrontDoorServeOptions): Promise<void> {
    const context = options.tls ? tls.createSecureContext(options.tls) : undefined;
    await Promise.all(this.#listeners.map(async (listener) => {
      try {
        for await (const conn of listener) this.#arrive(conn, options, context);
      } catch (error) {
        if (!this.#closing) {
          options.log({ level: "error", event: "error", error: String(error) });
        }
      }
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
    for (const close of this.#handshakes) close();
    this.#handshakes.clear();
  }

  #arrive(
    conn: Deno.TcpConn,
    options: FrontDoorServeOptions,
    context: tls.SecureContext | undefined,
  ): void {
    const ip = unmapAddress(conn.remoteAddr.hostname);
    const remote = formatHostPort(ip, conn.remoteAddr.port);
    if (this.#closing) return closeQuietly(conn);
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
      // A TLS client could not read a plain-text line; a plain one is told why.
      if (context) closeQuietly(conn);
      else void refuse(conn, `! ${ticket.message}\r\n`);
      return;
    }
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch {
      // Not fatal: only latency or dead-peer detection suffers.
    }
    if (!context) {
      options.onArrival({ conn, ip, ticket, remote });
      return;
    }
    this.#handshake(conn, { ip, ticket, remote }, options, context);
  }

  /**
   * A TLS server's connection: waits for its first bytes, answers plain text
   * with a hint, and runs the TLS handshake, all within `tlsHandshakeMs`.
   */
  #handshake(
    conn: Deno.TcpConn,
    peer: Omit<Arrival, "conn">,
    options: FrontDoorServeOptions,
    context: tls.SecureContext,
  ): void {
    const { ticket, remote } = peer;
    let socket: tls.TLSSocket | undefined;
    let duplex: ConnDuplex | undefined;
    let settled = false;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      this.#handshakes.delete(abort);
    };
    const abort = () => {
      if (settled) return;
      finish();
      socket?.destroy();
      duplex?.close();
      closeQuietly(conn);
      ticket.release();
    };
    const fail = (error: string, hint?: Uint8Array) => {
      if (settled) return;
      options.log({ level: "debug", event: "tls_error", remote, error });
      if (!hint) return abort();
      finish();
      void refuse(conn, hint).finally(() => ticket.release());
    };
    const timer = setTimeout(() => {
      fail(
        socket ? "no TLS handshake in time" : "no bytes in time",
        socket ? undefined : encoder.encode(plainTextHint(conn)),
      );
    }, options.tlsHandshakeMs);
    this.#handshakes.add(abort);
    ticket.onEvict(() => {
      options.log({ level: "warn", event: "evicted", remote, reason: "in its TLS handshake" });
      abort();
    });
    // Only the first byte decides; the rest of the ClientHello stays in the socket.
    const first = new Uint8Array(64);
    conn.read(first).then((n) => {
      if (settled) return;
      if (n === null) return fail("closed before its handshake");
      if (first[0] !== TLS_HANDSHAKE_RECORD) {
        return fail(
          "spoke plain text to the TLS port",
          first[0] === OPEN_BRACE ? TLS_ALERT : encoder.encode(plainTextHint(conn)),
        );
      }
      duplex = new ConnDuplex(conn, first.slice(0, n));
      socket = new tls.TLSSocket(duplex as unknown as Socket, {
        isServer: true,
        secureContext: context,
      });
      socket.once("secure", () => {
        if (settled) return;
        finish();
        const secured = socket!;
        secured.removeListener("error", onError);
        const address = { ...conn.remoteAddr, hostname: peer.ip };
        options.onArrival({ ...peer, conn: new SocketConn(secured, address) });
      });
      const onError = (error: Error) => fail(error.message);
      socket.on("error", onError);
      socket.once("close", () => fail("closed during its handshake"));
    }, (error: Error) => fail(error.message));
  }
}

/** What a plain-text client (nc, telnet) reads when it reaches a TLS server. */
function plainTextHint(conn: Deno.TcpConn): string {
  const local = conn.localAddr as Deno.NetAddr;
  const host = unmapAddress(local.hostname);
  return `! This server speaks TLS. Join with: ncat --ssl ${host} ${local.port}` +
    ` (or openssl s_client -connect ${formatHostPort(host, local.port)}, or chat-client)\r\n`;
}

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
