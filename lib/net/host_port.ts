/**
 * Host and port as people write them: IPv6 addresses in brackets
 * (`[::1]:7777`), IPv4-mapped addresses (`::ffff:192.168.1.7`, which a
 * dual-stack listener reports for IPv4 peers) as the IPv4 address they are.
 * Pure string work, no runtime API, so the browser client can import it.
 *
 * @module
 */

/** `192.168.1.7` for `::ffff:192.168.1.7`; any other address unchanged. */
export function unmapAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/** `[::1]:7777` for an IPv6 address, `host:7777` for anything else. */
export function formatHostPort(host: string, port: number): string {
  return `${isIpv6Literal(host) ? `[${host}]` : host}:${port}`;
}

/**
 * Whether `host` is written as an IPv6 address (hex digits, colons, at least
 * two of them, an embedded IPv4 tail or a `%zone` allowed); a host name or
 * an IPv4 address has no colon.
 */
export function isIpv6Literal(host: string): boolean {
  return /^[0-9A-Fa-f:]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?$/.test(host);
}

/** `::1` for `[::1]`; anything else unchanged. */
export function stripBrackets(host: string): string {
  return /^\[[^\]]*\]$/.test(host) ? host.slice(1, -1) : host;
}

/**
 * Splits `host[:port]`, accepting `[v6]:port`, `[v6]`, a bare IPv6 address
 * (no port: its colons are its own), `host:port` and `host`.
 *
 * @returns the host without brackets, and the port when one was written
 * @throws {RangeError} on an unclosed bracket or a port that is not 1 to 65535
 */
export function parseHostPort(text: string): { host: string; port?: number } {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new RangeError(`"${text}" has an unclosed "["`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) throw new RangeError(`"${text}" has "${rest}" after "]"`);
      portText = rest.slice(1);
    }
  } else if (!isIpv6Literal(text)) {
    const colon = text.lastIndexOf(":");
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new RangeError(`"${portText}" in "${text}" is not a port (1 to 65535)`);
  }
  return { host, port };
}
