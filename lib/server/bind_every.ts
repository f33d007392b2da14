/**
 * Binding a listening port on one address or on every interface, for
 * `FrontDoor`: Deno's listeners for a plain server, node:net's for a TLS
 * one (its sockets carry node:tls natively).
 *
 * @module
 */

import * as net from "node:net";
import { stripBrackets } from "../net/host_port.ts";

/**
 * Binds `options.hostname`, or every interface: `::` (dual stack), plus
 * `0.0.0.0` on the same port where `::` takes IPv6 only, or `0.0.0.0` alone
 * without IPv6.
 */
export async function bindEvery<L>(
  options: { hostname?: string; port: number },
  listen: (hostname: string, port: number) => Promise<L>,
  portOf: (listener: L) => number,
  close: (listener: L) => void,
): Promise<L[]> {
  if (options.hostname !== undefined) {
    return [await listen(stripBrackets(options.hostname), options.port)];
  }
  let v6: L;
  try {
    v6 = await listen("::", options.port);
  } catch (error) {
    // Only a machine without IPv6 falls back; anything else (a taken port, no permission) is said.
    const noIpv6 = error instanceof Deno.errors.AddrNotAvailable ||
      /address family not supported|EAFNOSUPPORT|os error 97/i.test(String(error));
    if (!noIpv6) throw error;
    return [await listen("0.0.0.0", options.port)];
  }
  try {
    return [v6, await listen("0.0.0.0", portOf(v6))]; // "::" is IPv6 only here.
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return [v6]; // Dual stack.
    close(v6);
    throw error;
  }
}

/** The listen backlog of a node:net listener (connections the kernel queues before an accept). */
export const NODE_BACKLOG = 1024;

/** A node:net listener on `host`, `port`, bound (errors as Deno's listener throws them). */
export function listenNode(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ pauseOnConnect: false });
    server.once("error", (error: Error & { code?: string }) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Deno.errors.AddrInUse(error.message)
          // Deno's node:net says EINVAL for an address the machine does not have.
          : error.code === "EADDRNOTAVAIL" || error.code === "EINVAL"
          ? new Deno.errors.AddrNotAvailable(error.message)
          : error,
      );
    });
    server.listen({ host, port, backlog: NODE_BACKLOG, ipv6Only: false }, () => resolve(server));
  });
}
