/**
 * Finding lanchat servers on the LAN: ask for `_lanchat._tcp` over mDNS
 * (DNS-SD) on every interface that is not loopback, listen for a short
 * moment, and return what answered with its decoded TXT record.
 *
 * @module
 */

import type { Bonjour, Browser, Service, ServiceConfig } from "bonjour-service";
import { decodeTxtStrings, type ServerTxt } from "./txt.ts";

/** A server that answered: its announced name, where it listens, and what its TXT says. */
export interface FoundServer {
  /** The instance name (the server's `--name`). */
  name: string;
  /** Its addresses, IPv4 first; the answer's source address when the announcement named none. */
  addresses: string[];
  /** The chat port. */
  port: number;
  /** What the TXT record says (TLS, the announced fingerprint, password, web page). */
  txt: ServerTxt;
  /** A cluster's nodes, when this entry stands for all of them (`groupClusters`). */
  nodes?: FoundServer[];
}

/** How to browse. */
export interface BrowseOptions {
  /**
   * How long to listen, in milliseconds.
   *
   * @default {1000}
   */
  durationMs?: number;
  /**
   * The local IPv4 addresses whose interfaces to ask on.
   *
   * @default {every IPv4 address of an interface that is not loopback}
   */
  interfaces?: string[];
  /** Stop listening as soon as this says the servers found so far are enough. */
  enough?: (found: readonly FoundServer[]) => boolean;
  /** Hears about an answer that was left out (a TXT record that is not a lanchat server's). */
  onIgnored?: (name: string, reason: string) => void;
}

/** How long a browse listens by default: about a second, as a user waits for it. */
export const BROWSE_MS = 1000;

/**
 * The IPv4 addresses to browse on: one per interface, never loopback (a
 * server reachable only there announces nothing).
 */
export function lanInterfaces(): string[] {
  const seen = new Set<string>();
  const addresses: string[] = [];
  for (const entry of Deno.networkInterfaces()) {
    if (entry.family !== "IPv4" || entry.address.startsWith("127.")) continue;
    if (seen.has(entry.name)) continue;
    seen.add(entry.name);
    addresses.push(entry.address);
  }
  return addresses;
}

/** Most servers one browse keeps: anyone on the LAN can announce as many as they like. */
export const MAX_SERVERS = 256;

/**
 * Asks for `_lanchat._tcp` servers and collects the answers for
 * `durationMs` (or until `enough`), sorted by name. With no interface but
 * loopback it returns nothing at once, without opening a socket.
 */
export async function browseServers(options: BrowseOptions = {}): Promise<FoundServer[]> {
  const interfaces = options.interfaces ?? lanInterfaces();
  const found = new Map<string, FoundServer>();
  if (interfaces.length === 0) return [];
  // Loaded when first asked: a client given --host never browses (start-up, docs/performance.md).
  const { Bonjour } = await import("bonjour-service");
  const instances: Bonjour[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => done = resolve);
  const add = (service: Service) => {
    const server = toFoundServer(service, options.onIgnored);
    if (server === undefined) return;
    // The same server heard on another interface is one entry with every
    // address; another announcing the same name (on another port, with
    // another certificate or TLS setting) is an entry of its own, never
    // hidden by it nor hiding it.
    const key = [server.name.toLowerCase(), server.port, server.txt.tls, server.txt.fingerprint]
      .join("\n");
    const known = found.get(key);
    if (known) {
      for (const address of server.addresses) {
        if (!known.addresses.includes(address)) known.addresses.push(address);
      }
    } else if (found.size < MAX_SERVERS) {
      found.set(key, server);
    }
    if (options.enough?.([...found.values()])) done();
  };
  const browsers: Browser[] = [];
  for (const address of interfaces) {
    // Bound to 0.0.0.0 with the interface named: under Deno nothing
    // multicast arrives otherwise. Socket errors are not fatal: the other
    // interfaces may still answer.
    const socketOptions = { interface: address, bind: "0.0.0.0" };
    const bonjour = new Bonjour(socketOptions as Partial<ServiceConfig>, () => {});
    instances.push(bonjour);
    const browser = bonjour.find({ type: "lanchat", protocol: "tcp" });
    browser.on("up", add);
    browser.on("srv-update", add);
    browser.on("txt-update", add);
    browsers.push(browser);
  }
  // A second question, in case the first one was lost (only then: a
  // responder answers a record at most once a second, RFC 6762 §6).
  const durationMs = options.durationMs ?? BROWSE_MS;
  const again = setTimeout(() => {
    if (found.size === 0) browsers.forEach((browser) => browser.update());
  }, durationMs / 4);
  const timer = setTimeout(done, durationMs);
  try {
    await finished;
  } finally {
    clearTimeout(again);
    clearTimeout(timer);
    for (const browser of browsers) browser.stop();
    await Promise.all(
      instances.map((bonjour) => new Promise<void>((resolve) => bonjour.destroy(() => resolve()))),
    );
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** An answer as a {@linkcode FoundServer}, or undefined (reported) when its TXT is not lanchat's. */
function toFoundServer(
  service: Service,
  onIgnored: BrowseOptions["onIgnored"],
): FoundServer | undefined {
  let txt: ServerTxt;
  try {
    // The record's strings as they came (bonjour-service's `txt` merges repeated keys).
    const raw = (service as { rawTxt?: Uint8Array[] | Uint8Array }).rawTxt ?? [];
    txt = decodeTxtStrings(Array.isArray(raw) ? raw : [raw]);
  } catch (error) {
    onIgnored?.(service.name, (error as Error).message);
    return undefined;
  }
  const announced = (service.addresses ?? []).filter((address) => !address.startsWith("fe80:"));
  const addresses = [
    ...announced.filter((address) => !address.includes(":")),
    ...announced.filter((address) => address.includes(":")),
  ];
  if (addresses.length === 0 && service.referer?.address) addresses.push(service.referer.address);
  if (addresses.length === 0) {
    onIgnored?.(service.name, "no address");
    return undefined;
  }
  return { name: service.name, addresses, port: service.port, txt };
}
