/**
 * The addresses other people can use to reach a server bound to `hostname`:
 * for a wildcard bind, every non-loopback IPv4 address of the machine and
 * then 127.0.0.1; otherwise just `hostname`.
 */
export function listenAddresses(hostname: string): string[] {
  if (hostname !== "0.0.0.0") return [hostname];
  const addresses = Deno.networkInterfaces()
    .filter((iface) => iface.family === "IPv4" && !iface.address.startsWith("127."))
    .map((iface) => iface.address);
  return [...new Set(addresses), "127.0.0.1"];
}
