/**
 * The client's pipe over a socket: plain TCP (`Deno.connect`) or TLS
 * (node:tls, to read the certificate before trusting it), with the
 * runtime's network errors turned into {@linkcode PipeError}s in words a
 * user reads.
 *
 * @module
 */

import { formatHostPort } from "../net/host_port.ts";
import { ConnectError } from "../errors.ts";
import { type ByteConn, connectTls, SocketError } from "../net/socket_conn.ts";
import { PLAIN_BINDING } from "../protocol/key_proof.ts";
import { knownHostName } from "./known_hosts.ts";
import {
  type ClientPipe,
  describeFailure,
  PipeError,
  PipeMismatchError,
  type ServerAddress,
} from "./pipe.ts";

/** Bytes read from the socket at a time. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Opens a TCP pipe, or a TLS one whose certificate `address.tls` checks
 * before the pipe is handed out (an {@linkcode OpenPipe}).
 *
 * @throws {ConnectError} `cannot reach host:port: ...`, or the check's own refusal
 */
export async function openSocketPipe(address: ServerAddress): Promise<ClientPipe> {
  const { host, port, tls } = address;
  const where = formatHostPort(host, port);
  try {
    if (!tls) {
      const tcp = await Deno.connect({ hostname: host, port });
      tcp.setNoDelay(true);
      return new SocketPipe(tcp, PLAIN_BINDING);
    }
    const { conn, certificate } = await connectTls(host, port);
    try {
      // The checked fingerprint is what the key proof is bound to.
      return new SocketPipe(conn, await tls.check(knownHostName(host, port), certificate));
    } catch (error) {
      conn.close();
      throw error;
    }
  } catch (error) {
    if (error instanceof ConnectError) throw error;
    const reason = describeNetworkError(error);
    const cause = new PipeError(reason, { cause: error });
    if (isNotTls(error)) {
      // Reached, but what answered is not TLS: the likeliest cause is a --plain server.
      throw new ConnectError(
        `cannot connect to ${where} with TLS: the server does not speak TLS (started with --plain?); connect with --plain`,
        { cause },
      );
    }
    throw new ConnectError(`cannot reach ${where}: ${reason}`, { cause });
  }
}

/** A TCP or TLS connection as a {@linkcode ClientPipe}. */
class SocketPipe implements ClientPipe {
  readonly #conn: ByteConn;
  #closed = false;

  constructor(conn: ByteConn, readonly binding: string) {
    this.#conn = conn;
  }

  async *chunks(): AsyncGenerator<Uint8Array, void, void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    let first = true;
    while (true) {
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch (error) {
        if (
          this.#closed || error instanceof Deno.errors.BadResource ||
          error instanceof Deno.errors.Interrupted
        ) {
          return;
        }
        throw new PipeError(describeNetworkError(error), { cause: error });
      }
      if (n === null) return;
      // A TLS record (an alert, a handshake) where text was expected: we spoke
      // plain TCP to a TLS server.
      if (first && n >= 2 && (buffer[0] === 0x15 || buffer[0] === 0x16) && buffer[1] === 0x03) {
        throw new PipeMismatchError("the server speaks TLS; connect without --plain");
      }
      first = false;
      yield buffer.subarray(0, n);
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    try {
      let offset = 0;
      while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
    } catch (error) {
      throw new PipeError(describeNetworkError(error), { cause: error });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** A short, lower-case reason for a network error, e.g. "connection refused". */
function describeNetworkError(error: unknown): string {
  if (error instanceof SocketError) return describeSocketError(error);
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset by the server";
  if (error instanceof Deno.errors.TimedOut) return "timed out";
  if (error instanceof Deno.errors.BrokenPipe) return "the server closed the connection";
  if (error instanceof Deno.errors.NotCapable) return "permission denied";
  const message = error instanceof Error ? error.message : String(error);
  if (/lookup|resolve|not known|nodename|NotFound/i.test(message)) return "unknown host";
  if (/unreachable/i.test(message)) return "host unreachable";
  return describeFailure(error);
}

/** node:tls failures in the same words as Deno's network errors. */
function describeSocketError(error: SocketError): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset by the server";
    case "ETIMEDOUT":
      return "timed out";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "unknown host";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
  }
  if (isNotTls(error)) return "the server does not speak TLS (started with --plain?)";
  if (/unexpected eof|record|handshake|ssl|tls/i.test(error.message)) {
    return "the TLS handshake failed";
  }
  return error.message.toLowerCase();
}

/**
 * Whether a TLS connection failed because the other side answered with
 * something that is not TLS at all (a plain-text greeting, an HTTP reply):
 * OpenSSL's "wrong version number" and kin.
 */
function isNotTls(error: unknown): boolean {
  if (!(error instanceof SocketError)) return false;
  return /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST|UNKNOWN_PROTOCOL)$/
    .test(error.code ?? "") ||
    /wrong version number|packet length too long|http request|unknown protocol/i.test(
      error.message,
    );
}
