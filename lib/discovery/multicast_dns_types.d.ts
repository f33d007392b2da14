// The part of npm `multicast-dns` (7.2.5) that lanchat calls, typed locally:
// the package ships no types.

import type { DnsQuestion, DnsRecord } from "./dns_sd.ts";

/** Where a packet came from. */
export interface RemoteInfo {
  address: string;
  port: number;
}

/** A decoded mDNS packet. */
export interface MdnsPacket {
  id?: number;
  type: "query" | "response";
  questions?: DnsQuestion[];
  answers?: DnsRecord[];
  additionals?: DnsRecord[];
  authorities?: DnsRecord[];
}

/** One mDNS socket. */
export interface Mdns {
  on(event: "query" | "response", listener: (packet: MdnsPacket, rinfo: RemoteInfo) => void): void;
  on(event: "ready", listener: () => void): void;
  on(event: "error" | "warning", listener: (error: Error) => void): void;
  removeListener(event: "response", listener: (packet: MdnsPacket) => void): void;
  query(packet: Partial<MdnsPacket>, rinfo?: RemoteInfo | null, cb?: (error?: Error) => void): void;
  respond(
    packet: Partial<MdnsPacket>,
    rinfo?: RemoteInfo | null,
    cb?: (error?: Error) => void,
  ): void;
  destroy(cb?: () => void): void;
}

/** How to open it. */
export interface MdnsOptions {
  /** The interface address multicast is joined on and sent from. */
  interface?: string;
  /** The address the socket binds (`0.0.0.0`). */
  bind?: string;
  port?: number;
  reuseAddr?: boolean;
  loopback?: boolean;
}

/** Opens an mDNS socket. */
declare function multicastDns(options?: MdnsOptions): Mdns;
export default multicastDns;
