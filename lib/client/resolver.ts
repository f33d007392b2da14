/**
 * Where the client connects, asked afresh before every attempt: the
 * address from the command line today; a remembered server or one found
 * by LAN discovery later, without the session changing.
 *
 * @module
 */

import { ConnectError } from "../errors.ts";
import { lowerFirst, type ServerAddress } from "./pipe.ts";

/**
 * Says where to connect. `ReconnectingSession` asks it before its first
 * connection and before every reconnect, so a server that moved (a new
 * port, another machine found on the LAN) is followed. The address it
 * answers is the whole answer: one without `tls` means plain TCP.
 */
export interface ServerResolver {
  /**
   * Where to connect now.
   *
   * @throws {Error} when it cannot say (nothing found yet); the attempt
   *   counts as failed and is retried later
   */
  resolve(): Promise<ServerAddress>;
  /** How many servers it takes turns among (a host list's length); one when absent. */
  readonly size?: number;
}

/** Always the same server: the `host`, `port` and TLS choice from the flags. */
export class FixedServer implements ServerResolver {
  /**
   * Always answers `address`.
   *
   * @param address the server to connect to, every time
   */
  constructor(readonly address: ServerAddress) {}

  /** The one address. */
  resolve(): Promise<ServerAddress> {
    return Promise.resolve(this.address);
  }
}

/**
 * A resolver could not say where the server is: it failed (its error is the
 * `cause`), or it did not answer in time.
 */
export class ServerNotFoundError extends ConnectError {
  /**
   * Builds the failure.
   *
   * @param reason why, lower case (`timed out after 10 s`)
   * @param options the resolver's error as `cause`
   */
  constructor(reason: string, options?: ErrorOptions) {
    super(`cannot find the server: ${reason}`, options);
    this.name = "ServerNotFoundError";
  }
}

/**
 * Asks `resolver` where to connect, giving up after `timeoutMs` (the
 * connect timeout), so that a resolver that never answers cannot stall
 * connecting without the user being told.
 *
 * @throws {ServerNotFoundError} when the resolver fails or does not answer in time;
 *   a {@linkcode ConnectError} of its own passes as it is
 */
export async function resolveServer(
  resolver: ServerResolver,
  timeoutMs: number,
): Promise<ServerAddress> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ServerNotFoundError(`timed out after ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    // A resolver that throws at once fails like one that rejects.
    const answer = new Promise<ServerAddress>((resolve) => resolve(resolver.resolve()));
    return await Promise.race([answer, late]);
  } catch (error) {
    if (error instanceof ConnectError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ServerNotFoundError(lowerFirst(message), { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
