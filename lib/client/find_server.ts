/**
 * `chat-client` without an address: the servers found on the LAN as lines
 * a person or a script reads (`--list`), and which one to join when none
 * was named (exactly one answered; several: a pick or a refusal).
 *
 * @module
 */

import type { FoundServer } from "../discovery/browse.ts";
import { cleanLine } from "../core/sanitize.ts";
import { formatHostPort } from "../net/host_port.ts";
import { isNamed } from "./discovered_server.ts";

/** A found server's name as it may reach a screen: controls and invisible characters removed. */
export function shownName(server: FoundServer): string {
  return cleanLine(server.name, 63) || "?";
}

/**
 * One server, one line, fields split by tabs: name, address:port, `tls` or
 * `plain`, `private` (a password is needed) or `open`, the announced
 * fingerprint (`-` without TLS).
 */
export function serverLine(server: FoundServer): string {
  const { txt } = server;
  return [
    shownName(server),
    formatHostPort(server.addresses[0], server.port),
    txt.tls ? "tls" : "plain",
    txt.password ? "private" : "open",
    txt.fingerprint ?? "-",
  ].join("\t");
}

/** The servers as the JSON array `--list --json` prints. */
export function serversJson(servers: readonly FoundServer[]): string {
  return JSON.stringify(
    servers.map((server) => ({
      name: server.name,
      addresses: server.addresses,
      port: server.port,
      tls: server.txt.tls,
      fingerprint: server.txt.fingerprint ?? null,
      password: server.txt.password,
      web: server.txt.web,
      version: server.txt.version,
    })),
    null,
    2,
  ).replace(
    // Names come from anyone on the LAN: C1 controls, bidi and invisible
    // characters are written escaped, so a terminal showing the JSON acts on none.
    /[\u0080-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** What to say when nothing answered. */
export function noServerMessage(seconds: number): string {
  return `no lanchat server answered on the LAN within ${seconds} s; give --host <address>, ` +
    "or check that chat-server runs on this network without --no-discovery";
}

/** Which server to join, or why none (the lines to print, the exit status). */
export type Choice =
  | { kind: "join"; server: FoundServer }
  | { kind: "pick"; servers: FoundServer[] }
  | { kind: "fail"; lines: string[]; status: number };

/**
 * Decides from what answered: the one named, the only one, a pick on a
 * terminal, or a refusal with the list and how to choose.
 */
export function chooseServer(
  found: readonly FoundServer[],
  options: { serverName?: string; interactive: boolean; seconds: number },
): Choice {
  const { serverName, interactive, seconds } = options;
  const list = found.map((server) => `  ${serverLine(server)}`);
  if (serverName !== undefined) {
    const named = found.find((server) => isNamed(server, serverName));
    if (named) return { kind: "join", server: named };
    return {
      kind: "fail",
      status: 1,
      lines: [
        `no server named "${serverName}" answered on the LAN within ${seconds} s` +
        (found.length === 0 ? "" : "; these did:"),
        ...list,
      ],
    };
  }
  if (found.length === 1) return { kind: "join", server: found[0] };
  if (found.length === 0) return { kind: "fail", status: 1, lines: [noServerMessage(seconds)] };
  if (interactive) return { kind: "pick", servers: [...found] };
  return {
    kind: "fail",
    status: 1,
    lines: [
      `${found.length} servers answered on the LAN; choose one with --server <name> ` +
      "(or --host <address>):",
      ...list,
      `for example: chat-client --server '${shownName(found[0]).replaceAll("'", "'\\''")}'`,
    ],
  };
}
