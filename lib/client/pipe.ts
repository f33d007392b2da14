/**
 * The client's byte pipe to a server, apart from the protocol spoken over
 * it. {@linkcode ChatSession} runs the native protocol (hello, key proof,
 * welcome, keepalive) over any {@linkcode ClientPipe}: TCP and TLS today
 * (see `socket_pipe.ts`), a WebSocket in a browser later. Nothing here
 * touches the network or a runtime API, so a browser build can import it.
 *
 * @module
 */

/**
 * Judges a server's TLS certificate before anything is sent (see
 * `ServerTrust`); resolves to what a key proof is bound to (the
 * certificate's fingerprint), or throws to refuse the server.
 */
export interface CertificateCheck {
  /**
   * Resolves to what a key proof is bound to, or throws to refuse the server.
   *
   * @param server `host:port` as `knownHostName` writes it
   * @param certificate the server's certificate, DER
   */
  check(server: string, certificate: Uint8Array): Promise<string>;
}

/** Where to connect: a server's address and whether (and how) to check its TLS certificate. */
export interface ServerAddress {
  /** Host name or address of the server. */
  host: string;
  /** Its port. */
  port: number;
  /**
   * Connect with TLS and let this judge the server's certificate before
   * anything is sent; without it, plain TCP.
   */
  tls?: CertificateCheck;
}

/**
 * An open byte pipe to a server, whatever carries it. The protocol reads
 * chunks and writes whole frames; the pipe reports its failures as
 * {@linkcode PipeError}s worded for the user.
 */
export interface ClientPipe {
  /**
   * What a key proof over this pipe is bound to: the fingerprint of the
   * certificate that was checked, or `PLAIN_BINDING` on a plain pipe.
   */
  readonly binding: string;
  /**
   * The server's bytes as they arrive, until it closes (or `close` is
   * called); throws a {@linkcode PipeError} when the pipe fails.
   */
  chunks(): AsyncIterable<Uint8Array>;
  /**
   * Writes all of `bytes`; writes leave in the order they were made.
   *
   * @throws {PipeError} when the pipe failed or was closed
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the pipe; reading then ends. Closing twice does nothing. */
  close(): void;
}

/**
 * Opens a pipe to `address`, checking its certificate when it asks for TLS.
 *
 * @throws {ConnectError} with a one-line reason (`cannot reach host:port: connection refused`)
 */
export type OpenPipe = (address: ServerAddress) => Promise<ClientPipe>;

/**
 * A pipe failed (reset, refused, closed); `message` is the short lower-case
 * reason a user reads after `lost connection: `, `cause` the runtime's error.
 */
export class PipeError extends Error {
  /**
   * Builds a pipe failure.
   *
   * @param message the reason, lower case (`connection reset by the server`)
   * @param options the runtime's error as `cause`
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PipeError";
  }
}

/**
 * What answered speaks another protocol on the pipe (a TLS server to a
 * plain pipe): reached, but not joinable this way.
 */
export class PipeMismatchError extends PipeError {
  /**
   * Builds a mismatch.
   *
   * @param message what to do about it (`the server speaks TLS; connect without --plain`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PipeMismatchError";
  }
}

/** "The server ..." as it reads after "chat-client: " or "cannot join ...: ". */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * A short, lower-case reason for a failure: a {@linkcode PipeError}'s own
 * words, or an error's message without the system's `(os error N)`.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof PipeError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(os error \d+\)$/, "").toLowerCase();
}
