import { formatHostPort, unmapAddress } from "../net/host_port.ts";

/** One address of this machine, as `Deno.networkInterfaces()` lists it. */
export interface InterfaceAddress {
  family: "IPv4" | "IPv6";
  address: string;
}

/**
 * The `host:port` others can use to reach a server bound to `hostnames`
 * (IPv6 in brackets): for a wildcard bind, every address of the machine
 * that others can reach (IPv4, then IPv6 without link-local ones, whose
 * zone others would have to know), then the loopback ones; otherwise the
 * bound address itself.
 */
export function listenAddresses(
  hostnames: readonly string[],
  port: number,
  interfaces: readonly InterfaceAddress[] = Deno.networkInterfaces(),
): string[] {
  const v4 = hostnames.includes("0.0.0.0") || hostnames.includes("::");
  const v6 = hostnames.includes("::");
  if (!v4 && !v6) return hostnames.map((host) => formatHostPort(unmapAddress(host), port));
  const reachable = interfaces.filter((iface) =>
    iface.family === "IPv4"
      ? v4 && !iface.address.startsWith("127.")
      : v6 && iface.address !== "::1" && !/^fe[89ab]/i.test(iface.address)
  );
  const ordered = [
    ...reachable.filter((iface) => iface.family === "IPv4"),
    ...reachable.filter((iface) => iface.family === "IPv6"),
  ].map((iface) => iface.address);
  const loopback = [...(v4 ? ["127.0.0.1"] : []), ...(v6 ? ["::1"] : [])];
  return [...new Set([...ordered, ...loopback])].map((host) => formatHostPort(host, port));
}
