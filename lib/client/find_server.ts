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

/**
 * A found server's name as it may reach a screen: controls and bidi removed,
 * and the invisible characters that remain (zero-width spaces and joiners)
 * written as `<U+200B>`, so that "office" and "office" with a zero-width
 * space after it, announced by someone else, do not look the same.
 */
export function shownName(server: FoundServer): string {
  const clean = cleanLine(server.name, 63).replace(
    /[\u200b-\u200d\u2060-\u2064\ufeff\u00ad\u034f\u180e]/g,
    (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}>`,
  );
  return clean || "?";
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
