/**
 * A node:net or node:tls socket behind the small read/write/close surface
 * that the server's Connection and the client's session use, the same
 * surface `Deno.TcpConn` has.
 *
 * Why node:tls and not Deno's TLS: the client must read the server's
 * certificate before trusting it (trust on first use; `Deno.connectTls`
 * does not show it), and the server must be able to close a connection
 * whose TLS handshake never finished (a `Deno.TlsConn` closed before its
 * handshake keeps its socket open for as long as the peer stays silent).
 *
 * @module
 */

import * as net from "node:net";
import type { Socket } from "node:net";
import { secureOver } from "./tls_feed.ts";

/** What a connection needs of its socket; `Deno.TcpConn` has it too. */
export interface ByteConn {
  read(buffer: Uint8Array): Promise<number | null>;
  /**
   * The next chunk as the socket received it (valid until the next read),
   * or null at the end: for a socket that has chunks of its own (node's),
   * so that a reader holds no buffer while the peer is silent. Optional.
   */
  readChunk?(): Promise<Uint8Array | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  readonly remoteAddr: Deno.Addr;
}

/** A network failure with the system's code (ECONNREFUSED, ...) when there is one. */
export class SocketError extends Error {
  constructor(message: string, readonly code?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SocketError";
  }
}

/** Bytes buffered from the socket before it is paused. */
const HIGH_WATER = 64 * 1024;

/**
 * A node socket as a {@linkcode ByteConn}. Incoming chunks queue up to a
 * limit, then the socket is paused until they are read.
 */
export class SocketConn implements ByteConn {
  readonly remoteAddr: Deno.NetAddr;
  /** The socket under this one (a TLS socket's TCP socket), if any. */
  readonly below: Socket | undefined;
  readonly #socket: Socket;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  /**
   * The read waiting for a chunk, if any: its buffer and its promise's
   * settle functions (a read is a plain promise, not an async function
   * suspended for as long as the peer is silent, which costs every idle
   * connection its generator and registers).
   */
  #waiting:
    | {
      buffer: Uint8Array | undefined;
      resolve: (read: number | Uint8Array | null) => void;
      reject: (error: Error) => void;
    }
    | undefined;

  /**
   * @param socket the socket; this object owns it from now on
   * @param remoteAddr the peer, when the socket cannot tell (TLS over a stream)
   * @param below the socket under `socket` (a TLS socket's TCP socket), whose
   *   buffered bytes a new owner may want to count ({@linkcode SocketConn.detach})
   */
  constructor(socket: Socket, remoteAddr?: Deno.NetAddr, below?: Socket) {
    this.#socket = socket;
    this.below = below;
    this.remoteAddr = remoteAddr ?? {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "unknown",
      port: socket.remotePort ?? 0,
    };
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onEnd);
    socket.on("error", this.#onError);
  }

  // The socket's listeners: bound methods, not arrow functions, which would
  // keep a context of their own for every connection.
  readonly #onData = this.#data.bind(this);
  readonly #onEnd = this.#end.bind(this);
  readonly #onError = this.#fail.bind(this);

  #data(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered >= HIGH_WATER) this.#socket.pause();
    this.#notify();
  }

  #end(): void {
    this.#ended = true;
    this.#notify();
  }

  #fail(error: Error & { code?: string }): void {
    this.#error ??= new SocketError(error.message, error.code, { cause: error });
    this.#notify();
  }

  /**
   * Gives the socket back, paused, for another owner (an HTTP server),
   * with the bytes received and not read yet put back in front: this object
   * reads nothing more and is done with.
   */
  detach(): Socket {
    const socket = this.#socket;
    socket.pause();
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("close", this.#onEnd);
    socket.off("error", this.#onError);
    for (const chunk of this.#chunks.reverse()) socket.unshift(chunk);
    this.#chunks.length = 0;
    this.#closed = true;
    this.#notify();
    return socket;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    return this.#read(buffer) as Promise<number | null>;
  }

  readChunk(): Promise<Uint8Array | null> {
    return this.#read(undefined) as Promise<Uint8Array | null>;
  }

  #read(buffer: Uint8Array | undefined): Promise<number | Uint8Array | null> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#take(buffer));
    if (this.#closed || (this.#ended && !this.#error)) return Promise.resolve(null);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => (this.#waiting = { buffer, resolve, reject }));
  }

  /** Copies what fits of the queued chunks into `buffer` (how much), or takes the first whole. */
  #take(buffer: Uint8Array | undefined): number | Uint8Array {
    const chunk = this.#chunks[0];
    const n = Math.min(buffer?.length ?? chunk.length, chunk.length);
    buffer?.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#buffered -= n;
    if (this.#buffered < HIGH_WATER && this.#socket.isPaused()) this.#socket.resume();
    // A plain view, not node's Buffer (whose slice() does not copy).
    return buffer ? n : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#closed || this.#socket.destroyed || !this.#socket.writable) {
      return Promise.reject(new SocketError("the connection is closed", "EPIPE"));
    }
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length));
    });
  }

  /**
   * Closes politely (TLS close_notify, then FIN); the socket is destroyed
   * if the peer does not finish within a second.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks.length = 0;
    const socket = this.#socket;
    if (!socket.destroyed) {
      socket.end();
      const timer = setTimeout(() => socket.destroy(), 1000);
      socket.once("close", () => clearTimeout(timer));
      socket.resume(); // Let the peer's end arrive.
    }
    this.#notify();
  }

  /** Turns Nagle's algorithm off (and keepalive on): chat lines go out at once. */
  tune(): void {
    const tcp = this.below ?? this.#socket;
    tcp.setNoDelay(true);
    tcp.setKeepAlive(true, 60_000);
  }

  /** Settles the waiting read, if any, with what there is now (as read() would have). */
  #notify(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    if (this.#chunks.length > 0) waiting.resolve(this.#take(waiting.buffer));
    else if (this.#closed || (this.#ended && !this.#error)) waiting.resolve(null);
    else if (this.#error) waiting.reject(this.#error);
    else this.#waiting = waiting;
  }
}

/**
 * Connects with TLS and completes the handshake without judging the
 * certificate: the caller checks `certificate` (DER) before sending anything.
 *
 * @throws {SocketError} when the connection or the handshake fails
 */
export function connectTls(
  host: string,
  port: number,
): Promise<{ conn: SocketConn; certificate: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const tcp = net.connect({ host, port });
    const fail = (error: Error & { code?: string }) => {
      tcp.destroy();
      reject(new SocketError(error.message, error.code, { cause: error }));
    };
    tcp.once("error", fail);
    tcp.once("connect", () => {
      tcp.off("error", fail);
      const socket = secureOver(tcp, {
        // Trust is decided by fingerprint, after the handshake.
        rejectUnauthorized: false,
        // SNI carries host names only, never addresses.
        ...(net.isIP(host) ? {} : { servername: host }),
      });
      socket.once("error", fail);
      socket.once("secureConnect", () => {
        socket.off("error", fail);
        const peer = socket.getPeerCertificate(true);
        if (!peer?.raw) {
          socket.destroy();
          reject(new SocketError("the server sent no certificate"));
          return;
        }
        const remote = {
          transport: "tcp" as const,
          hostname: tcp.remoteAddress ?? host,
          port: tcp.remotePort ?? port,
        };
        const conn = new SocketConn(socket, remote, tcp);
        conn.tune();
        resolve({ conn, certificate: new Uint8Array(peer.raw) });
      });
    });
  });
}
