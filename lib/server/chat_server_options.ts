/**
 * The settings of a `ChatServer`: its listeners, limits, TLS,
 * files and logging, which `chat-server`'s flags set.
 *
 * @module
 */

import type { FileStore } from "../files/file_store.ts";
import type { FileLimits } from "./file_sharing.ts";
import type { Hub, HubOptions } from "../core/hub.ts";
import type { LogLevel, LogRecord } from "./log_record.ts";
import type { PasswordGateOptions } from "./password_gate.ts";

/** Settings of a {@linkcode ChatServer}. */
export interface ChatServerOptions extends HubOptions {
  /**
   * Bind address; without one, every interface, IPv6 and IPv4.
   * @default {every interface}
   */
  hostname?: string;
  /**
   * TCP port; 0 picks a free one (read it back from `addr`).
   * @default {7777}
   */
  port?: number;
  /** Speak TLS with this certificate and key (PEM); without it, plain TCP. */
  tls?: { cert: string; key: string };
  /**
   * A second port where every connection is IRC from the first byte (TLS
   * when `tls` is given); off by default. `ChatServer.listen` binds it.
   */
  ircPort?: number;
  /**
   * Longest line a client may send, in bytes.
   * @default {65536}
   */
  maxLineBytes?: number;
  /**
   * Most bytes queued for one client before it is dropped.
   * @default {1048576}
   */
  sendQueueBytes?: number;
  /**
   * How long to wait for a first byte before treating the peer as a text client.
   * @default {300}
   */
  textPromptDelayMs?: number;
  /**
   * An HTTP request (the page, a WebSocket upgrade) must have sent its
   * request line and headers within this time of connecting, or it is closed.
   * @default {10000}
   */
  httpHeadersTimeoutMs?: number;
  /**
   * DNS names the web page and its WebSocket answer to, beyond IP addresses
   * and LAN names (see `webHostAllowed`: a guard against DNS rebinding).
   */
  webHosts?: readonly string[];
  /**
   * Shared files, uploaded and fetched over HTTP on the chat port (`/f`,
   * `file_routes.ts`), by the sessions of this server's hub (each welcome
   * carries an upload token; `file_sharing.ts`). None: no file routes. The
   * caller opens and owns it.
   */
  files?: FileStore;
  /** The limits of members' uploads (at once, rate, quota, slowest): `FileSharingOptions`. */
  fileLimits?: FileLimits;
  /**
   * Open connections from one IP address; more are refused at once.
   * @default {16}
   */
  maxPerIp?: number;
  /**
   * Connections that have not joined yet, over all addresses; when full, the
   * oldest pending connection of the address holding the most is evicted.
   * @default {256}
   */
  maxPending?: number;
  /**
   * A native client must have joined (hello, key proof) within this time.
   * @default {10000}
   */
  handshakeTimeoutMs?: number;
  /**
   * A text client (nc, telnet: a person typing) must have joined within this time.
   * @default {120000}
   */
  promptTimeoutMs?: number;
  /**
   * A native client silent this long is pinged; 0 turns keepalive off.
   * @default {30000}
   */
  pingIntervalMs?: number;
  /**
   * After a ping, how long without any answer before the client is dropped as timed out.
   * @default {15000}
   */
  pingTimeoutMs?: number;
  /**
   * The chat core to serve; without one, the server makes its own from these
   * options. With one, the chat core's options here (`serverName`,
   * `rateLimit`, `store`, `commands`, ...) are ignored: give them to the
   * `Hub` instead; only `rateLimit: false` still counts here, turning the
   * join rate off. Either way the server shuts the hub down (and closes its
   * store) when it shuts down.
   */
  hub?: Hub;
  /** Receives one record per notable event. */
  log?: (record: LogRecord) => void;
  /**
   * The least level `log` receives: records below it are dropped as they
   * are made, before the log limiter counts them (a busy server joins
   * thousands of clients a second, each with an `info` record).
   * @default {"debug"}
   */
  logLevel?: LogLevel;
  /**
   * Makes the server private: every hello must carry this password.
   * @default {none}
   */
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
