/**
 * Which `Host` names the web page and its WebSocket answer to: a guard
 * against DNS rebinding. A page of another site whose name the attacker
 * points at this server's address afterwards (rebinding) reaches the server
 * with its own name in `Host` and a matching `Origin`, so the same-origin
 * check alone lets it chat as its visitor, from inside the LAN. LAN users
 * open the chat by an IP address, a single-label or mDNS name (`chatbox`,
 * `chatbox.local`) or a home/office suffix; any other DNS name must be
 * named with `--web-host`.
 *
 * @module
 */

import { isIP } from "node:net";

/** Name suffixes that stay inside a LAN (RFC 6762 `.local`, RFC 8375 `.home.arpa`, and common ones). */
const LAN_SUFFIXES = [".local", ".lan", ".home.arpa", ".internal", ".localdomain", ".localhost"];

/**
 * Whether a request's `Host` header (`name[:port]`, an IPv6 address in
 * brackets) names this server as a LAN user would: an IP address,
 * `localhost`, a name without dots, a LAN suffix, or one of `names` (from
 * `--web-host`, compared without case).
 */
export function webHostAllowed(host: string, names: readonly string[] = []): boolean {
  const name = hostName(host).toLowerCase().replace(/\.$/, "");
  if (name === "") return false;
  if (isIP(name) !== 0) return true;
  if (name === "localhost" || !name.includes(".")) return true;
  if (LAN_SUFFIXES.some((suffix) => name.endsWith(suffix))) return true;
  return names.some((allowed) => allowed.toLowerCase().replace(/\.$/, "") === name);
}

/** The name of `name[:port]`, without the brackets of an IPv6 address. */
function hostName(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end === -1 ? "" : host.slice(1, end);
  }
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

/** Whether `name` can be given to `--web-host`: a DNS name (letters, digits, hyphens, dots). */
export function isWebHostName(name: string): boolean {
  return name.length <= 253 &&
    /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/
      .test(name);
}
