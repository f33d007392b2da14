/**
 * What a {@linkcode ClientSession} is given: the limits and shared state of
 * its server ({@linkcode SessionContext}, one for every session) and its own
 * connection as the listener hands it over ({@linkcode SessionSetup}).
 *
 * @module
 */

import type { Hub } from "../core/hub.ts";
import type { Codec } from "../protocol/codec.ts";
import type { ClientSession } from "./client_session.ts";
import type { Admitted } from "./connection_limits.ts";
import type { Admission } from "./handshake.ts";
import type { HttpHandOff } from "./listener.ts";
import type { Log, LogFilter } from "./log_record.ts";
import type { Pipe } from "./outbox.ts";

/** The time limits and sizes every session of a server keeps to (see `ChatServerOptions`). */
export interface SessionLimits {
  /** Longest line a client may send, in bytes. */
  maxLineBytes: number;
  /** Most bytes queued for one client before it is dropped (said in the goodbye). */
  sendQueueBytes: number;
  /** How long to wait for a first byte before greeting the peer as a text client. */
  textPromptDelayMs: number;
  /** A program must have joined within this time. */
  handshakeTimeoutMs: number;
  /** A person typing a nick must have joined within this time. */
  promptTimeoutMs: number;
  /** A client with keepalive, silent this long, is pinged; 0 turns keepalive off. */
  pingIntervalMs: number;
  /** After a ping, how long without any answer before the client is dropped. */
  pingTimeoutMs: number;
  /**
   * An HTTP request's line and headers must arrive within this time (on a
   * port that serves HTTP, a first line that may still become a request
   * line is a text client's after it).
   */
  httpHeadersMs: number;
}

/** What every session of a server shares. */
export interface SessionContext {
  /** The chat core. */
  readonly hub: Hub;
  /** The rules of the handshake (password gate, join rate). */
  readonly admission: Admission;
  /** The limits. */
  readonly limits: Readonly<SessionLimits>;
  /** Where notable events are logged. */
  readonly log: Log;
  /** Which levels `log` keeps (absent: all), for records made on every connection. */
  readonly logs?: LogFilter;
  /** Every open session; a session is in it from `run()` until its pipe is closed. */
  readonly sessions: Set<ClientSession>;
  /** Whether a command name means `/quit` (text mode's nick prompt). */
  isQuit(name: string): boolean;
  /** The token of the next keepalive ping. */
  nextPingToken(): string;
}

/** One session's connection, as its listener hands it over. */
export interface SessionSetup {
  /** The byte pipe. */
  pipe: Pipe;
  /** The peer's IP address. */
  ip: string;
  /** Its place in the connection limits: told when it shows life and when it joins. */
  ticket: Admitted;
  /** What key proofs are bound to: the TLS certificate's fingerprint, or "plain". */
  binding: string;
  /** The TLS client's certificate (DER), if it presented one (SASL EXTERNAL). */
  clientCertificate?: Uint8Array;
  /**
   * The wire format, when the listener knows it; without one, the first byte
   * tells (`{` is native JSON, anything else text) and a peer silent for
   * `textPromptDelayMs` is greeted as a person at `nc`.
   */
  codec?: Codec;
  /**
   * Where an HTTP request goes (a listener serving HTTP on the same port):
   * a first line that is a request line hands the connection there.
   */
  http?: HttpHandOff;
}

/**
 * Where a session reports its end, once (the server: one for all its
 * sessions, so that no client keeps closures of its own for it).
 */
export interface SessionHost {
  /** The session is served: its pipe is closed and its member gone. */
  served(session: ClientSession): void;
  /** Serving it failed (a bug): `error` says why. */
  failed(session: ClientSession, error: unknown): void;
}
