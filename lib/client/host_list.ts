/**
 * `chat-client --host a,b,c`: the nodes of one cluster (or any servers the
 * user says are one chat), tried in turn. Each connection attempt, the first
 * and every reconnect, goes to the next address in the list, so a client
 * whose node went away reaches another on its next attempt, with its nick,
 * rooms and unsent lines (`ReconnectingSession` keeps those).
 *
 * @module
 */

import type { CertificateCheck, ServerAddress } from "./pipe.ts";
import type { ServerResolver } from "./resolver.ts";

/** One address of the list. */
export interface HostPort {
  /** Host name or address. */
  host: string;
  /** Its port. */
  port: number;
}

/** Answers the listed servers in turn, starting at `start`. */
export class HostList implements ServerResolver {
  #next: number;

  /**
   * Rotates through `hosts`.
   *
   * @param hosts the servers, in the order given (at least one)
   * @param tls the certificate check for every one of them; undefined: plain TCP
   * @param start the index to answer first
   */
  constructor(
    readonly hosts: readonly HostPort[],
    readonly tls: CertificateCheck | undefined,
    start = 0,
  ) {
    if (hosts.length === 0) throw new RangeError("A host list needs at least one host");
    this.#next = ((start % hosts.length) + hosts.length) % hosts.length;
  }

  /** How many servers it takes turns among. */
  get size(): number {
    return this.hosts.length;
  }

  /** The server after the one answered last. */
  resolve(): Promise<ServerAddress> {
    const { host, port } = this.hosts[this.#next];
    this.#next = (this.#next + 1) % this.hosts.length;
    return Promise.resolve({ host, port, ...(this.tls ? { tls: this.tls } : {}) });
  }
}
