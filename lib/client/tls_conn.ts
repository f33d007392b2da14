/**
 * A TLS connection for the client, on node:tls: unlike `Deno.connectTls` it
 * lets us read the server's certificate before trusting it, which is what
 * trust on first use needs (the certificate is self-signed, so no CA can
 * vouch for it; its fingerprint does).
 *
 * @module
 */

import * as tls from "node:tls";
import { isIP } from "node:net";

/** The part of a connection the chat session uses; `Deno.TcpConn` has it too. */
export interface ByteConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** A network failure with the system's code (ECONNREFUSED, ...) when there is one. */
export class TlsConnectError extends Error {
  constructor(message: string, readonly code?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsConnectError";
  }
}

/** Bytes buffered from the socket before it is paused. */
const HIGH_WATER = 256 * 1024;

/**
 * A node:tls socket as a {@linkcode ByteConn}. Incoming chunks queue up to
 * a limit, then the socket is paused until they are read.
 */
export class TlsConn implements ByteConn {
  readonly #socket: tls.TLSSocket;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= HIGH_WATER) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.#error ??= error;
      this.#notify();
    });
  }

  /**
   * Connects and completes the TLS handshake without judging the
   * certificate; the caller checks `certificate` (DER) before sending anything.
   *
   * @throws {TlsConnectError} when the connection or the handshake fails
   */
  static connect(
    host: string,
    port: number,
  ): Promise<{ conn: TlsConn; certificate: Uint8Array }> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host,
        port,
        // Trust is decided by fingerprint, after the handshake.
        rejectUnauthorized: false,
        // SNI carries host names only, never addresses.
        ...(isIP(host) ? {} : { servername: host }),
      });
      const fail = (error: Error & { code?: string }) => {
        socket.destroy();
        reject(new TlsConnectError(error.message, error.code, { cause: error }));
      };
      socket.once("error", fail);
      socket.once("secureConnect", () => {
        socket.off("error", fail);
        const peer = socket.getPeerCertificate(true);
        if (!peer?.raw) {
          socket.destroy();
          reject(new TlsConnectError("the server sent no certificate"));
          return;
        }
        socket.setNoDelay(true);
        resolve({ conn: new TlsConn(socket), certificate: new Uint8Array(peer.raw) });
      });
    });
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    if (this.#closed) return null;
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    const chunk = this.#chunks[0];
    const n = Math.min(buffer.length, chunk.length);
    buffer.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#buffered -= n;
    if (this.#buffered < HIGH_WATER && this.#socket.isPaused()) this.#socket.resume();
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended || this.#socket.destroyed) {
      return Promise.reject(new TlsConnectError("the connection is closed", "EPIPE"));
    }
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length));
    });
  }

  /** Closes politely (TLS close_notify, then FIN); the socket is destroyed if that stalls. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ended = true;
    this.#chunks.length = 0;
    const socket = this.#socket;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), 1000);
    socket.once("close", () => clearTimeout(timer));
    socket.resume(); // Let its end arrive.
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
