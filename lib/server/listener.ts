/**
 * What a `ChatServer` asks of whatever accepts connections: bind,
 * accept, admit (the connection limits), sniff what arrives, and hand each
 * chat connection over as a {@linkcode Pipe}, with its codec when the
 * listener knows it. `FrontDoor` (plain TCP or TLS on one port) is the one
 * listener today; several listeners (a plain and a TLS port, later an HTTP
 * upgrade path for the web client, LAN discovery) can feed one server, and
 * so one hub.
 *
 * Handing a connection on the same port to an HTTP server: a listener that
 * sees an HTTP request in the first bytes (`GET `, where the TLS door now
 * looks for a TLS record) does not make an {@linkcode Arrival}; it gives the
 * socket, with those bytes put back (`socket.unshift(first)`), to a
 * `node:http` server with `httpServer.emit("connection", socket)`. That
 * takes a node socket (the TLS door's `net.Socket`, or the `tls.TLSSocket`
 * once its handshake is done) or a `stream.Duplex` wrapping a `Deno.Conn`
 * (both measured under Deno 2.9.6). The HTTP side keeps the connection's
 * ticket and releases it when the socket closes; a WebSocket upgrade then
 * comes back as an Arrival whose pipe speaks WebSocket frames and whose
 * codec is the native one.
 *
 * @module
 */

import type { Codec } from "../protocol/codec.ts";
import type { ConnectionLimits, Ticket } from "./connection_limits.ts";
import type { LogRecord } from "./log_record.ts";
import type { Pipe } from "./outbox.ts";

/** A chat connection a listener hands to the server: admitted, ready for a session. */
export interface Arrival {
  /** The byte pipe, with its bounded send queue. */
  pipe: Pipe;
  /** The peer's IP address (IPv4-mapped addresses as IPv4). */
  ip: string;
  /** Its place in the limits; the server releases it when the connection ends. */
  ticket: Ticket;
  /** Whether it came over TLS: its key proof is then bound to the certificate's fingerprint. */
  secure: boolean;
  /**
   * The wire format, when the listener knows it (a WebSocket speaks native
   * JSON); without one the session tells it from the first byte.
   */
  codec?: Codec;
  /**
   * When the listener started waiting for its first bytes (performance.now()
   * ms), if it held the connection to look at them before handing it over:
   * a silent peer is greeted as a text client `textPromptDelayMs` after
   * this, not after the hand-over. @default {the session's start}
   */
  acceptedAt?: number;
}

/** What the server gives every listener when it starts serving. */
export interface ListenerServeOptions {
  /** The per-address and pending-connection limits, shared by all listeners. */
  limits: ConnectionLimits;
  /** Terminate TLS with this certificate and key (PEM); a TLS listener needs it. */
  tls?: { cert: string; key: string };
  /** Longest a TLS connection may take to send its first bytes and finish its handshake. */
  tlsHandshakeMs: number;
  /** Most bytes queued for one client before it is dropped (each pipe's bound). */
  sendQueueBytes: number;
  /** Longest line a client may send, in bytes (a WebSocket message's bound too). */
  maxLineBytes: number;
  /**
   * How long a connection may stay silent before it is taken for a person at
   * nc: a listener that looks at the first bytes waits at most this long.
   */
  textPromptDelayMs: number;
  /** An HTTP request's line and headers must arrive within this time. */
  httpHeadersMs: number;
  /** Where refusals and errors are logged. */
  log: (record: LogRecord) => void;
  /** Receives each chat connection. */
  onArrival: (arrival: Arrival) => void;
}

/** Something that accepts connections for a `ChatServer`; see the module doc. */
export interface Listener {
  /** The first address it is bound to. */
  readonly addr: Deno.NetAddr;
  /** Every address it is bound to. */
  readonly hostnames: readonly string[];
  /** It terminates TLS, so the server must be given a certificate (`ChatServerOptions.tls`). */
  readonly needsCertificate: boolean;
  /** Accepts until {@linkcode Listener.close}; resolves when it has stopped. */
  serve(options: ListenerServeOptions): Promise<void>;
  /** Stops accepting (connections already handed over are the server's to close). */
  close(): void;
}
