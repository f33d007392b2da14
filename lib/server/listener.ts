/**
 * What a `ChatServer` asks of whatever accepts connections: bind,
 * accept, admit (the connection limits), sniff what arrives, and hand each
 * chat connection over as a {@linkcode Pipe}, with its codec when the
 * listener knows it. `FrontDoor` (plain TCP or TLS on one port) is the one
 * listener today; several listeners (a plain and a TLS port, later an HTTP
 * upgrade path for the web client, LAN discovery) can feed one server, and
 * so one hub.
 *
 * Handing a connection on the same port to an HTTP server: the session
 * tells an HTTP request line from chat by the first bytes, as it tells
 * native from text, and gives the connection back to the listener's
 * {@linkcode HttpHandOff} with the bytes it read. That gives the socket,
 * with those bytes put back, to a `node:http` server with
 * `httpServer.emit("connection", socket)`: a node socket (the TLS door's
 * `tls.TLSSocket` once its handshake is done) or a `stream.Duplex` wrapping
 * a `Deno.Conn` (both measured under Deno 2.9.6). The HTTP side keeps the
 * connection's ticket and releases it when the socket closes; a WebSocket
 * upgrade then comes back as an Arrival whose pipe speaks WebSocket frames
 * and whose codec is the native one.
 *
 * @module
 */

import type { Codec } from "../protocol/codec.ts";
import type { Admitted, ConnectionLimits } from "./connection_limits.ts";
import type { FileSharing } from "./file_sharing.ts";
import type { LogRecord } from "./log_record.ts";
import type { Pipe } from "./outbox.ts";

/** A connection a listener hands to the server: admitted, ready for a session. */
export interface Arrival {
  /** The byte pipe, with its bounded send queue. */
  pipe: Pipe;
  /** The peer's IP address (IPv4-mapped addresses as IPv4). */
  ip: string;
  /** Its place in the limits; the server releases it when the connection ends. */
  ticket: Admitted;
  /** Whether it came over TLS: its key proof is then bound to the certificate's fingerprint. */
  secure: boolean;
  /**
   * The DER certificate a TLS client presented (optional, never verified
   * against a CA: its key is proven by the TLS handshake; see
   * protocol/client_certificate.ts).
   */
  clientCertificate?: Uint8Array;
  /**
   * The wire format, when the listener knows it (a WebSocket speaks native
   * JSON); without one the session tells it from the first byte.
   */
  codec?: Codec;
  /** It came to the IRC port (`--irc-port`): IRC from the first byte, no sniffing. */
  irc?: boolean;
  /**
   * Where the session hands the connection when its first bytes are an HTTP
   * request line (a listener that serves HTTP on the same port).
   */
  http?: HttpHandOff;
}

/** Takes a connection whose first bytes were an HTTP request line. */
export interface HttpHandOff {
  /**
   * Takes `pipe`'s socket, with `head` (the bytes the session read, a copy)
   * put back in front, and the connection's ticket; `pipe` reads nothing more.
   */
  takeOver(
    pipe: Pipe,
    head: Uint8Array,
    who: { ip: string; ticket: Admitted; secure: boolean },
  ): void;
  /** Whether a browser uses the chat from `ip` (its spare connections must not be greeted early). */
  browserAt(ip: string): boolean;
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
  /** An HTTP request's line and headers must arrive within this time. */
  httpHeadersMs: number;
  /** DNS names the web answers to beyond addresses and LAN names (`webHostAllowed`). */
  webHosts: readonly string[];
  /** Shared files, served on `/f` over HTTP (none: no file routes). */
  files?: FileSharing;
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
