/**
 * A server found by its announced name on the LAN (`--server <name>`, or
 * the one server that answered), looked up again before every connection
 * attempt: a server whose address changed (DHCP) is found again. Its
 * announced certificate fingerprint is held against the one it presents.
 *
 * @module
 */

import type { FoundServer } from "../discovery/browse.ts";
import { fingerprintOf } from "../protocol/fingerprint.ts";
import type { CertificateCheck, ServerAddress } from "./pipe.ts";
import type { ServerResolver } from "./resolver.ts";
import { nodesOf } from "./cluster_servers.ts";
import { type ServerTrust, UntrustedServerError } from "./server_trust.ts";

/** Finds the servers that answer now (`browseServers` with a stop rule). */
export type FindServers = (
  enough: (found: readonly FoundServer[]) => boolean,
) => Promise<FoundServer[]>;

/**
 * Whether `server` is the one announced as `name` (DNS names match without
 * regard to case); a cluster answers to its name and to each node's.
 */
export function isNamed(server: FoundServer, name: string): boolean {
  return server.name.toLowerCase() === name.toLowerCase() ||
    (server.nodes ?? []).some((node) => node.name.toLowerCase() === name.toLowerCase());
}

/**
 * The refusal when a server presents another certificate than the one it
 * announced: anyone on the LAN can announce anything, so a mismatch is
 * evidence of a spoofed announcement or an interception.
 */
export function announcementMismatch(
  name: string,
  server: string,
  announced: string,
  presented: string,
): UntrustedServerError {
  return new UntrustedServerError(
    [
      `WARNING: ${server} DOES NOT PRESENT THE CERTIFICATE ANNOUNCED FOR "${name}"; refusing to connect.`,
      `The LAN announcement of "${name}" says its certificate is ${announced}`,
      `but ${server} presented ${presented}.`,
      "Someone on the LAN may be announcing a server that is not theirs, or intercepting the",
      "connection (a man-in-the-middle attack). Nothing was sent to it.",
      'Ask the operator for the "TLS fingerprint" line chat-server prints at start, and connect',
      "by address with that fingerprint:",
      `  chat-client --host <address> --fingerprint <the fingerprint the operator gave you>`,
    ].join("\n"),
  );
}

/**
 * Checks a found server's certificate: first against its announcement
 * (a mismatch is refused, whatever known_hosts says), then as any server's
 * (`ServerTrust`: known_hosts, a pin, first use). The same certificate the
 * user already trusted for this name in this run is trusted at a new
 * address too: the server moved.
 */
class AnnouncedCertificate implements CertificateCheck {
  constructor(
    readonly discovered: DiscoveredServer,
    readonly announced: string,
  ) {}

  async check(server: string, certificate: Uint8Array): Promise<string> {
    const presented = await fingerprintOf(certificate);
    const { name, trust } = this.discovered;
    if (presented !== this.announced) {
      throw announcementMismatch(name, server, this.announced, presented);
    }
    if (!trust.knows(server) && this.discovered.trusted === presented) {
      trust.trust(server, presented, true);
    }
    const fingerprint = await trust.check(server, certificate);
    this.discovered.trusted = fingerprint;
    return fingerprint;
  }
}

/**
 * Looks up the server announced as `name` before each attempt (the first
 * attempt may use what was just found), and connects to its first address
 * with TLS when its TXT says so.
 */
export class DiscoveredServer implements ServerResolver {
  /** The certificate the user trusted for this name in this run, to follow a move. */
  trusted: string | undefined;
  #next: FoundServer | undefined;
  /** How many attempts went to a cluster's nodes: each goes to the next node. */
  #turn = 0;
  /** The nodes of the server found last (one unless it is a cluster). */
  #size = 1;

  /**
   * Follows the server announced as `name`.
   *
   * @param name the announced instance name
   * @param trust judges certificates (known_hosts, pin, first use)
   * @param find asks the LAN (a browse of about a second)
   * @param found what was just found, used for the first attempt
   */
  constructor(
    readonly name: string,
    readonly trust: ServerTrust,
    readonly find: FindServers,
    found?: FoundServer,
  ) {
    this.#next = found;
  }

  /** How many nodes the server found last has: the attempts take turns among them. */
  get size(): number {
    return this.#size;
  }

  /**
   * Where the named server is now.
   *
   * @throws {Error} when no server of that name answered
   */
  async resolve(): Promise<ServerAddress> {
    let server = this.#next;
    this.#next = undefined;
    if (server === undefined) {
      const found = await this.find((found) => found.some((s) => isNamed(s, this.name)));
      server = found.find((s) => isNamed(s, this.name));
    }
    if (server === undefined) throw new Error(`No server named "${this.name}" answered on the LAN`);
    // A cluster: each attempt goes to the next of its nodes (failover when one goes away).
    const nodes = nodesOf(server);
    this.#size = nodes.length;
    return this.addressOf(nodes[this.#turn++ % nodes.length]);
  }

  /** Where to connect to `server`, with the certificate check its TXT calls for. */
  addressOf(server: FoundServer): ServerAddress {
    const { txt } = server;
    return {
      host: server.addresses[0],
      port: server.port,
      tls: txt.tls ? new AnnouncedCertificate(this, txt.fingerprint!) : undefined,
    };
  }
}
