/**
 * A connection's first bytes, held until they tell HTTP from chat: the
 * door reads them (`sniffFirstBytes`), then hands the connection to
 * `HttpFront` with those bytes put back (a plain one wrapped in a
 * `ConnDuplex`, a TLS one as its node socket), or to the chat as a
 * `Connection` that hands them out again first (`PrefixedConn`).
 *
 * Timing: a peer silent for `textPromptDelayMs` (nc waiting for a
 * prompt) goes to the chat at once, with the read still in flight handed
 * over too, and its session greets it at the usual time (`acceptedAt`);
 * once bytes have come, a request line must end within `httpHeadersMs` of
 * the arrival. A connection closed meanwhile (the door closing, an
 * eviction) goes nowhere, and its ticket is released.
 *
 * @module
 */

import type * as net from "node:net";
import { ConnDuplex } from "../net/conn_duplex.ts";
import { PrefixedConn } from "../net/prefixed_conn.ts";
import type { ByteConn, SocketConn } from "../net/socket_conn.ts";
import { Connection } from "./connection.ts";
import type { Ticket } from "./connection_limits.ts";
import { type HttpFront, MAX_HEADER_BYTES } from "./http_front.ts";
import { type FirstBytes, sniffFirstBytes } from "./http_sniff.ts";
import type { ListenerServeOptions } from "./listener.ts";

/** Slices handed to a TLS socket (four 16 KiB TLS records). */
const TLS_WRITE_BYTES = 64 * 1024;

/** An admitted connection the door holds, and where it may go. */
export interface HeldConnection {
  /** The peer's IP address. */
  ip: string;
  /** `ip:port`, for logs. */
  remote: string;
  /** Its place in the limits: released if it closes while held, else handed on with it. */
  ticket: Ticket;
  /** The door's settings. */
  options: ListenerServeOptions;
  /** Where an HTTP request goes. */
  http: HttpFront;
  /**
   * The door's connections in progress, each by the way to close it: this
   * one is in it while held, so that closing the door closes it.
   */
  inProgress: Set<() => void>;
}

/** Holds a plain connection until its first bytes tell, then hands it on; see the module doc. */
export function holdPlain(conn: Deno.TcpConn, held: HeldConnection): void {
  const { ip, remote, ticket, options } = held;
  void routeByFirstBytes(conn, {
    ticket,
    options,
    inProgress: held.inProgress,
    close: () => {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
    http: (head) => {
      const socket = new ConnDuplex(conn, head);
      held.http.accept({ socket, ip, remote, ticket, secure: false });
    },
    chat: (bytes, acceptedAt) => {
      const pipe = new Connection(bytes, { sendQueueBytes: options.sendQueueBytes, remote });
      options.onArrival({ pipe, ip, ticket, secure: false, acceptedAt });
    },
  });
}

/**
 * Holds a TLS connection (through its handshake; `raw` is the TCP socket
 * under it) until its first bytes tell, then hands it on.
 */
export function holdTls(conn: SocketConn, raw: net.Socket, held: HeldConnection): void {
  const { ip, remote, ticket, options } = held;
  void routeByFirstBytes(conn, {
    ticket,
    options,
    inProgress: held.inProgress,
    close: () => {
      conn.close();
      raw.destroy();
    },
    http: (head) => {
      const socket = conn.detach();
      if (head.length > 0) socket.unshift(head);
      const bufferedBelow = () => raw.writableLength;
      held.http.accept({ socket, ip, remote, ticket, secure: true, bufferedBelow });
      socket.resume();
    },
    chat: (bytes, acceptedAt) => {
      const pipe = new Connection(bytes, {
        sendQueueBytes: options.sendQueueBytes,
        remote,
        maxWriteBytes: TLS_WRITE_BYTES,
      });
      options.onArrival({ pipe, ip, ticket, secure: true, acceptedAt });
    },
  });
}

/** What {@linkcode routeByFirstBytes} needs to hold a connection and hand it on. */
interface FirstBytesRoute {
  /** The connection's place in the limits: released if it closes while held. */
  ticket: Ticket;
  /** The door's settings (`textPromptDelayMs`, `httpHeadersMs`). */
  options: Pick<ListenerServeOptions, "textPromptDelayMs" | "httpHeadersMs">;
  /**
   * The door's connections in progress, each by the way to close it: this
   * one is in it while held, so that closing the door closes it.
   */
  inProgress: Set<() => void>;
  /** Closes the connection (and whatever is under it). */
  close: () => void;
  /** Takes an HTTP request: `head` are the bytes read, to be put back. */
  http: (head: Uint8Array) => void;
  /** Takes a chat client: `bytes` hands out the bytes read first; `acceptedAt` is when holding began. */
  chat: (bytes: PrefixedConn, acceptedAt: number) => void;
}

/** Holds `conn` until its first bytes tell HTTP from chat, then hands it on. */
async function routeByFirstBytes(conn: ByteConn, route: FirstBytesRoute): Promise<void> {
  const { ticket, options, inProgress } = route;
  const acceptedAt = performance.now();
  let aborted = false;
  const abort = () => {
    if (aborted) return;
    aborted = true;
    inProgress.delete(abort);
    route.close();
    ticket.release();
  };
  inProgress.add(abort);
  ticket.onEvict(abort);
  let head: Uint8Array = new Uint8Array(0);
  let pending: Promise<Uint8Array | null> | undefined;
  let verdict: FirstBytes = "more";
  let deadline = acceptedAt + options.textPromptDelayMs;
  while (verdict === "more") {
    const buffer = new Uint8Array(head.length === 0 ? 1024 : MAX_HEADER_BYTES);
    pending = conn.read(buffer).then((n) => n === null ? null : buffer.subarray(0, n));
    const outcome = await settledWithin(pending, deadline - performance.now());
    if (aborted) return;
    // Silent too long, at its end, or failed: the chat's read loop gets that as it is.
    if (outcome === undefined || outcome.bytes === null) break;
    pending = undefined;
    head = concat(head, outcome.bytes);
    verdict = sniffFirstBytes(head, MAX_HEADER_BYTES);
    deadline = acceptedAt + options.httpHeadersMs;
  }
  inProgress.delete(abort);
  if (verdict === "http") route.http(head);
  else route.chat(new PrefixedConn(conn, head, pending), acceptedAt);
}

/**
 * Whether `read` settles within `ms`: its bytes (`null` at the end, or
 * after a failure, which the read's own promise still carries), or
 * undefined when it did not.
 */
async function settledWithin(
  read: Promise<Uint8Array | null>,
  ms: number,
): Promise<{ bytes: Uint8Array | null } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      read.then((bytes) => ({ bytes }), () => ({ bytes: null })),
      new Promise<undefined>((
        resolve,
      ) => (timer = setTimeout(() => resolve(undefined), Math.max(0, ms)))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const bytes = new Uint8Array(a.length + b.length);
  bytes.set(a);
  bytes.set(b, a.length);
  return bytes;
}
