/**
 * Where the client connects, asked afresh before every attempt: the
 * address from the command line today; a remembered server or one found
 * by LAN discovery later, without the session changing.
 *
 * @module
 */

import type { ServerAddress } from "./pipe.ts";

/**
 * Says where to connect. `ReconnectingSession` asks it before its first
 * connection and before every reconnect, so a server that moved (a new
 * port, another machine found on the LAN) is followed.
 */
export interface ServerResolver {
  /**
   * Where to connect now.
   *
   * @throws {Error} when it cannot say (nothing found yet); the attempt
   *   counts as failed and is retried later
   */
  resolve(): Promise<ServerAddress>;
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
