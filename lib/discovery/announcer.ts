/**
 * Announces a server on the LAN with mDNS / DNS-SD (RFC 6762, 6763): probes
 * that its instance name is free (renaming it `name (2)`, ... when it is
 * not), announces its records twice, answers queries for them, and says
 * goodbye (TTL 0) when closed. One mDNS socket per LAN interface, bound to
 * `0.0.0.0:5353` and sending from that interface's address (under Deno
 * nothing multicast arrives otherwise). Nobody constructs it for a server
 * bound only to loopback: such a server opens no multicast socket.
 *
 * @module
 */

import {
  answersTo,
  claimsAny,
  type DnsRecord,
  hostNameFor,
  instanceName,
  recordsOf,
  renamed,
  type ServiceAd,
} from "./dns_sd.ts";
import { type LanInterface, onSubnet } from "./lan_interfaces.ts";
import type { Mdns, MdnsPacket, RemoteInfo } from "./multicast_dns_types.d.ts";
import type MulticastDnsModule from "./multicast_dns_types.d.ts";

/** What to announce, and where. */
export interface AnnounceOptions {
  /** The instance name wanted (the server's `--name`); a taken one is renamed. */
  instance: string;
  /** The services under that name: `_lanchat._tcp` first, then the web page's. */
  services: readonly Omit<ServiceAd, "instance">[];
  /** How many names to try before giving up. @default {10} */
  maxRenames?: number;
}

/** The instance name stayed taken after every rename tried, or the mDNS port could not be opened. */
export class AnnounceError extends Error {
  /** Says what failed. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AnnounceError";
  }
}

const MDNS_PORT = 5353;
const PROBE_INTERVAL_MS = 250;

/** One interface's socket and the records that are true on it. */
interface Link {
  iface: LanInterface;
  mdns: Mdns;
  host: string;
}

/** A server's announcement on the LAN; `close()` withdraws it. */
export class Announcer implements AsyncDisposable {
  #links: Link[];
  #ads: ServiceAd[] = [];
  #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Waits cut short by close(). */
  #waking = new Set<() => void>();
  #closed = false;

  private constructor(links: Link[]) {
    this.#links = links;
  }

  /** The instance name announced: the one asked for, or its rename. */
  get instance(): string {
    return this.#ads[0]?.instance ?? "";
  }

  /**
   * Opens one mDNS socket per interface (quick); {@linkcode Announcer.announce}
   * then claims a name and announces.
   *
   * @throws {AnnounceError} when a socket does not open
   */
  static async open(
    interfaces: readonly LanInterface[],
  ): Promise<Announcer> {
    if (interfaces.length === 0) throw new AnnounceError("No interface to announce on");
    const multicastDns: typeof MulticastDnsModule = (await import("multicast-dns")).default;
    const links: Link[] = [];
    try {
      for (const iface of interfaces) {
        const mdns = multicastDns({
          interface: iface.address,
          bind: "0.0.0.0",
          port: MDNS_PORT,
          reuseAddr: true,
          loopback: true,
        });
        links.push({ iface, mdns, host: hostNameFor(iface.addresses) });
        await new Promise<void>((resolve, reject) => {
          mdns.on("ready", resolve);
          mdns.on(
            "error",
            (error) =>
              reject(
                new AnnounceError(`Cannot open the mDNS port: ${error.message}`, { cause: error }),
              ),
          );
        });
        mdns.on("warning", () => {}); // A vanished interface, a packet that is no DNS: not ours to act on.
      }
    } catch (error) {
      for (const link of links) link.mdns.destroy();
      throw error;
    }
    return new Announcer(links);
  }

  /**
   * Probes until a free name is found (renaming a taken one), announces, and
   * resolves with the name once the first announcement is sent (about a
   * second), or with undefined if closed meanwhile.
   *
   * @throws {AnnounceError} when every name tried is taken
   */
  async announce(options: AnnounceOptions): Promise<string | undefined> {
    await this.#claim(options);
    return this.#closed ? undefined : this.instance;
  }

  async #claim(options: AnnounceOptions): Promise<void> {
    let instance = options.instance;
    for (let attempt = 0;; attempt++) {
      if (this.#closed) return;
      const ads = options.services.map((service) => ({ ...service, instance }));
      const taken = await this.#probe(ads);
      if (this.#closed) return;
      if (!taken) {
        this.#ads = ads;
        break;
      }
      if (attempt >= (options.maxRenames ?? 10)) {
        throw new AnnounceError(`The name "${options.instance}" and its renames are all taken`);
      }
      instance = renamed(instance);
    }
    if (this.#closed) return;
    for (const link of this.#links) {
      link.mdns.on("query", (packet, rinfo) => this.#answer(link, packet, rinfo));
    }
    this.#announce();
    this.#later(1000, () => this.#announce()); // Twice, a second apart (RFC 6762 §8.3).
  }

  /** Sends three probes for the names of `ads`; whether anyone answered for them. */
  async #probe(ads: ServiceAd[]): Promise<boolean> {
    const names = ads.map(instanceName);
    let conflict = false;
    const listener = (packet: MdnsPacket) => {
      if (claimsAny(packet, names)) conflict = true;
    };
    for (const link of this.#links) link.mdns.on("response", listener);
    await this.#wait(Math.random() * PROBE_INTERVAL_MS);
    for (let probe = 0; probe < 3 && !conflict && !this.#closed; probe++) {
      for (const link of this.#links) {
        const records = recordsOf(ads, link.host, link.iface.addresses);
        link.mdns.query({
          questions: names.map((name) => ({ name, type: "ANY" })),
          authorities: records.filter((record) => names.includes(record.name)),
        });
      }
      await this.#wait(PROBE_INTERVAL_MS);
    }
    for (const link of this.#links) link.mdns.removeListener("response", listener);
    return conflict;
  }

  #announce(): void {
    for (const link of this.#links) {
      link.mdns.respond({ answers: recordsOf(this.#ads, link.host, link.iface.addresses) });
    }
  }

  #answer(link: Link, packet: MdnsPacket, rinfo: RemoteInfo): void {
    if (this.#closed || !onSubnet(rinfo.address, link.iface)) return;
    const records = recordsOf(this.#ads, link.host, link.iface.addresses);
    const { answers, additionals } = answersTo(packet.questions ?? [], records);
    if (answers.length === 0) return;
    if (rinfo.port === MDNS_PORT) {
      link.mdns.respond({ answers, additionals });
    } else {
      // A one-shot querier (RFC 6762 §6.7): answer it directly, echoing its id and questions.
      link.mdns.respond(
        { id: packet.id, questions: packet.questions, answers, additionals },
        rinfo,
      );
    }
  }

  /** Says goodbye (TTL 0 for the instance's records) and closes the sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#ads.length > 0) {
      await Promise.all(this.#links.map((link) =>
        new Promise<void>((resolve) => {
          const mine = new Set(this.#ads.map(instanceName));
          // The host's addresses and the service-type list may be shared with another server here.
          const goodbye = recordsOf(this.#ads, link.host, [], "goodbye").filter((
            record: DnsRecord,
          ) => mine.has(record.name) || (record.type === "PTR" && mine.has(String(record.data))));
          link.mdns.respond({ answers: goodbye }, null, () => resolve());
        })
      ));
    }
    await this.#destroy();
  }

  async #destroy(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of this.#waking) wake();
    this.#waking.clear();
    await Promise.all(
      this.#links.map((link) => new Promise<void>((resolve) => link.mdns.destroy(resolve))),
    );
  }

  /** Same as {@linkcode Announcer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) run();
    }, ms);
    this.#timers.add(timer);
  }

  #wait(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#timers.delete(timer);
        this.#waking.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#timers.add(timer);
      this.#waking.add(wake);
    });
  }
}
