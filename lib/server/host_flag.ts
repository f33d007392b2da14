/**
 * `--host`: checked before binding, so a typo is a usage error with its
 * reason rather than a failed bind.
 *
 * @module
 */

import { isIP } from "node:net";
import { UsageError } from "../errors.ts";

/**
 * `--host` must be an IP address (IPv6 in brackets or not) or a host name;
 * whether this machine has it is found out when binding.
 *
 * @throws {UsageError} naming what is wrong with it
 */
export function checkHost(host: string): void {
  if (host.trim() === "") throw new UsageError("--host must not be empty");
  const bare = /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
  if (isIP(bare)) return;
  if (host.includes("[") || host.includes("]")) {
    throw new UsageError(
      `--host "${host}" is not an address: brackets go around a whole IPv6 address`,
    );
  }
  if (/^[\d.]+$/.test(host)) {
    throw new UsageError(`--host "${host}" is not an IPv4 address (four numbers from 0 to 255)`);
  }
  if (host.includes(":")) throw new UsageError(`--host "${host}" is not an IPv6 address`);
  if (
    !/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?$/i
      .test(host)
  ) {
    throw new UsageError(`--host "${host}" is neither an IP address nor a host name`);
  }
}
