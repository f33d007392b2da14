/**
 * Which network interfaces a server may be announced on: those it listens
 * on, less loopback. A server bound only to loopback gets none, so it never
 * opens a multicast socket.
 *
 * @module
 */

import { unmapAddress } from "../net/host_port.ts";

/** One address of this machine, as `Deno.networkInterfaces()` lists it. */
export interface MachineAddress {
  name: string;
  family: "IPv4" | "IPv6";
  address: string;
  netmask: string;
}

/** An interface to announce on: its IPv4 address (the mDNS socket's) and every address to name. */
export interface LanInterface {
  /** The interface name, e.g. `eth0`. */
  name: string;
  /** Its IPv4 address: multicast goes out and is joined there. */
  address: string;
  /** Its IPv4 netmask: a query is answered on the interface whose subnet it came from. */
  netmask: string;
  /** The addresses the server is reachable at on it (A and AAAA records), IPv4 first. */
  addresses: string[];
}

/**
 * The interfaces a server bound to `hostnames` is reachable on from the LAN:
 * for a wildcard bind (`0.0.0.0`, `::`) every interface with an IPv4 address
 * that is not loopback; for a bound address, the interface that has it,
 * unless it is loopback. IPv6 link-local addresses are named too (mDNS
 * queriers are on the same link).
 */
export function lanInterfaces(
  hostnames: readonly string[],
  machine: readonly MachineAddress[],
): LanInterface[] {
  const loopback = (a: MachineAddress) =>
    a.family === "IPv4" ? a.address.startsWith("127.") : a.address === "::1";
  const wildcard4 = hostnames.includes("0.0.0.0") || hostnames.includes("::");
  const wildcard6 = hostnames.includes("::");
  const bound = new Set(hostnames.map((host) => unmapAddress(host).toLowerCase()));
  const found = new Map<string, LanInterface>();
  for (const v4 of machine) {
    if (v4.family !== "IPv4" || loopback(v4) || found.has(v4.name)) continue;
    if (!wildcard4 && !bound.has(v4.address)) continue;
    const v6 = machine.filter((a) =>
      a.name === v4.name && a.family === "IPv6" && !loopback(a) &&
      (wildcard6 || bound.has(a.address.toLowerCase()))
    );
    found.set(v4.name, {
      name: v4.name,
      address: v4.address,
      netmask: v4.netmask,
      addresses: [v4.address, ...v6.map((a) => a.address.replace(/%.*$/, ""))],
    });
  }
  return [...found.values()];
}

/** Whether IPv4 `address` is on the subnet of `iface`. */
export function onSubnet(
  address: string,
  iface: Pick<LanInterface, "address" | "netmask">,
): boolean {
  const bits = (text: string) =>
    text.split(".").reduce((sum, part) => (sum << 8) + Number(part), 0) >>> 0;
  const mask = bits(iface.netmask);
  return ((bits(unmapAddress(address)) & mask) >>> 0) === ((bits(iface.address) & mask) >>> 0);
}
