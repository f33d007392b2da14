/**
 * What a peer that speaks plain text to the TLS port is told: a text
 * client (nc, telnet) how to join with TLS; a browser that came over
 * `http://` (an address typed without a scheme opens as http) a redirect to
 * `https://`.
 *
 * @module
 */

import type * as net from "node:net";
import { formatHostPort, unmapAddress } from "../net/host_port.ts";
import { MAX_HEADER_BYTES, sniffFirstBytes } from "./http_sniff.ts";
import { webHostAllowed } from "./web_host.ts";
import { SECURITY_HEADERS } from "./web_pages.ts";

const encoder = new TextEncoder();

/** What a plain-text client (nc, telnet) reads when it reaches a TLS server. */
export function plainTextHint(raw: net.Socket): string {
  const host = unmapAddress(raw.localAddress ?? "this-server");
  const port = raw.localPort ?? 0;
  return `! This server speaks TLS. Join with: ncat --ssl ${host} ${port}` +
    ` (or openssl s_client -connect ${formatHostPort(host, port)}, or chat-client)\r\n`;
}

/**
 * A browser that reached the TLS port over `http://` (an address typed
 * without a scheme opens as http): an answer sending it to `https://`, the
 * same host (its `Host` when that is a name the web answers to, else the
 * address it reached), or undefined when the first bytes are no HTTP
 * request line. Temporary (302): the port may serve plain text another day.
 */
export function httpsRedirect(
  first: Uint8Array,
  raw: net.Socket,
  webHosts: readonly string[],
): string | undefined {
  if (sniffFirstBytes(first, MAX_HEADER_BYTES) !== "http") return undefined;
  const named = /\r?\nhost:[ \t]*([^\r\n]*?)[ \t]*\r?\n/i.exec(new TextDecoder().decode(first))
    ?.[1];
  const host = named !== undefined && webHostAllowed(named, webHosts) && /^[\w.:[\]-]+$/.test(named)
    ? named
    : formatHostPort(unmapAddress(raw.localAddress ?? "localhost"), raw.localPort ?? 0);
  const location = `https://${host}/`;
  const body = `This chat speaks https: ${location}\n`;
  const headers = Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return `HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${encoder.encode(body).length}\r\nConnection: close\r\n${headers}\r\n${body}`;
}
