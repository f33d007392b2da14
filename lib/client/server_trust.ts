/**
 * Trust on first use, like ssh: the first connection to a server records
 * its certificate's fingerprint; later connections must present the same
 * one. `--fingerprint` pins one explicitly instead.
 *
 * @module
 */

import { fingerprintOf } from "../protocol/fingerprint.ts";
import { RefusedError } from "./chat_session.ts";
import type { KnownHosts } from "./known_hosts.ts";

/** The server's certificate is not the one we trust, or not trusted yet; never retried. */
export class UntrustedServerError extends RefusedError {
  /**
   * Builds the refusal.
   *
   * @param message the explanation for the user
   */
  constructor(message: string) {
    super("untrusted_server", message);
    this.name = "UntrustedServerError";
  }
}

/** How a client decides whether to trust a server's certificate. */
export interface TrustOptions {
  /** The known-hosts file; undefined when there is no config directory. */
  knownHosts?: KnownHosts;
  /** `--fingerprint`: trust exactly this one, and nothing else. */
  pinned?: string;
  /** Trust a server never seen before (and record it). */
  acceptNew: boolean;
  /** Hears what happened on first use, for the user. */
  onNotice?: (message: string) => void;
  /** Extra flags the user must repeat with `--forget-host` (a non-default `--config-dir`). */
  forgetFlags?: string;
  /**
   * The server was found on the LAN by its name, so its address may have
   * changed since it was trusted: a certificate already trusted at another
   * address is the same server (only it has the key), trusted here too.
   */
  mayMove?: boolean;
}

/**
 * Checks each connection's certificate. Remembers what it accepted, so
 * reconnects are held to the same certificate even when nothing could be
 * written to disk.
 */
export class ServerTrust {
  #accepted = new Map<string, string>();

  /**
   * Trusts what `options` say.
   *
   * @param options where trust comes from (known hosts, a pinned fingerprint, first use)
   */
  constructor(readonly options: TrustOptions) {}

  /**
   * Returns the certificate's fingerprint when it is trusted, or throws.
   *
   * @param server `host:port` as {@linkcode knownHostName} writes it
   * @throws {UntrustedServerError} with the explanation for the user
   */
  async check(server: string, certificate: Uint8Array): Promise<string> {
    const fingerprint = await fingerprintOf(certificate);
    const { pinned, acceptNew } = this.options;
    if (pinned !== undefined) {
      if (fingerprint === pinned) return fingerprint;
      throw new UntrustedServerError(
        `refusing to connect: ${server} presented the certificate ${fingerprint}, not ${pinned} given with --fingerprint.\n` +
          "Someone may be intercepting the connection, or the server has a new certificate; ask its operator for the fingerprint chat-server printed at start.",
      );
    }
    const trusted = this.#trusted(server);
    if (trusted?.fingerprint === fingerprint) return fingerprint;
    if (trusted !== undefined) {
      throw new UntrustedServerError(
        [
          `WARNING: THE IDENTITY OF ${server} HAS CHANGED; refusing to connect.`,
          `It presented the certificate ${fingerprint}`,
          `but you trusted ${trusted.fingerprint} (${trusted.where}).`,
          "Someone may be intercepting the connection (a man-in-the-middle attack), or the",
          "server got a new certificate (reinstalled, or its data directory was deleted).",
          'Ask its operator for the "TLS fingerprint" line chat-server prints at start. Only if',
          "it is the new one, forget the old one and connect again:",
          `  chat-client --forget-host ${server}${
            this.options.forgetFlags ? ` ${this.options.forgetFlags}` : ""
          }`,
        ].join("\n"),
      );
    }
    const elsewhere = this.options.mayMove
      ? this.options.knownHosts?.withFingerprint(fingerprint)
      : undefined;
    if (elsewhere !== undefined) {
      this.trust(server, fingerprint, true);
      this.options.onNotice?.(
        `${server} presented the certificate you trusted for ${elsewhere.server} ` +
          `(${
            this.options.knownHosts!.path
          } line ${elsewhere.line}): the same server at a new address.`,
      );
      return fingerprint;
    }
    if (!acceptNew) {
      throw new UntrustedServerError(
        `${server} is a server you have not used before; its certificate is ${fingerprint}.\n` +
          'Check it against the "TLS fingerprint" line chat-server printed, then run again with --accept-new (or with --fingerprint ' +
          `${fingerprint}).`,
      );
    }
    this.trust(server, fingerprint);
    return fingerprint;
  }

  /** Whether `server` is trusted already (pinned, known, or accepted in this session). */
  knows(server: string): boolean {
    return this.options.pinned !== undefined || this.#trusted(server) !== undefined;
  }

  /** The fingerprint trusted for `server` (known_hosts first), and where it was recorded. */
  #trusted(server: string): { fingerprint: string; where: string } | undefined {
    const { knownHosts } = this.options;
    const known = knownHosts?.lookup(server);
    if (known) {
      return { fingerprint: known.fingerprint, where: `${knownHosts!.path} line ${known.line}` };
    }
    const accepted = this.#accepted.get(server);
    return accepted === undefined
      ? undefined
      : { fingerprint: accepted, where: "earlier in this session" };
  }

  /**
   * Trusts `server`'s certificate from now on, recorded as a first use: after
   * --accept-new, or when the user confirmed it (the terminal asks before
   * anything is sent). With `confirmed`, the user has just compared the
   * fingerprint: only a failure to save it is worth a notice.
   */
  trust(server: string, fingerprint: string, confirmed = false): void {
    this.#accepted.set(server, fingerprint);
    const knownHosts = this.options.knownHosts;
    let saved = "";
    let failed = false;
    if (knownHosts) {
      try {
        knownHosts.add(server, fingerprint);
        saved = `; saved in ${knownHosts.path}`;
      } catch (error) {
        failed = true;
        saved = `; could not save it in ${knownHosts.path} (${(error as Error).message})`;
      }
    } else {
      failed = true;
      saved = "; not saved (no config directory)";
    }
    if (confirmed) {
      if (failed) {
        this.options.onNotice?.(
          `Trusting the certificate of ${server} for this run only${saved}; you will be asked again next time.`,
        );
      }
      return;
    }
    this.options.onNotice?.(
      `New server ${server}: trusting its certificate ${fingerprint} from now on${saved}. ` +
        'Compare it with the "TLS fingerprint" line chat-server printed.',
    );
  }
}
