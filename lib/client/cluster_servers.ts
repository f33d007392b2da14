/**
 * The nodes of one cluster as one server: every node of a cluster
 * announces the same `cl=` id in its TXT record, so what a browse found is
 * grouped by it, and the group is listed once, under the cluster's name,
 * with its nodes ({@linkcode FoundServer.nodes}) to connect to in turn.
 *
 * @module
 */

import type { FoundServer } from "../discovery/browse.ts";

/**
 * The servers found, each cluster's nodes as one entry (in the place of the
 * first node found), named after its first node by name without an mDNS
 * collision suffix (`office (2)` is `office`); servers of no cluster as they are.
 */
export function groupClusters(found: readonly FoundServer[]): FoundServer[] {
  const groups = new Map<string, FoundServer[]>();
  const order: (FoundServer | string)[] = [];
  for (const server of found) {
    const id = server.txt.cluster;
    if (id === undefined) {
      order.push(server);
      continue;
    }
    const group = groups.get(id);
    if (group) group.push(server);
    else {
      groups.set(id, [server]);
      order.push(id);
    }
  }
  return order.map((entry) => typeof entry === "string" ? asOne(groups.get(entry)!) : entry);
}

function asOne(nodes: FoundServer[]): FoundServer {
  const sorted = nodes.toSorted((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const name = sorted[0].name.replace(/ \(\d+\)$/, "");
  return { ...sorted[0], name, nodes: sorted };
}

/** The nodes to connect to for `server`: a cluster's every node, else the server itself. */
export function nodesOf(server: FoundServer): readonly FoundServer[] {
  return server.nodes?.length ? server.nodes : [server];
}

/**
 * The host list to remember for the next start (`--host a,b,c` given, or a
 * cluster found on the LAN): every node, so the next start can fail over
 * too; nothing for one server.
 */
export function rememberedHosts(
  hosts: readonly { host: string; port: number }[] | undefined,
  found: FoundServer | undefined,
): { hosts?: { host: string; port: number }[] } {
  const list = hosts ??
    (found ? nodesOf(found).map((node) => ({ host: node.addresses[0], port: node.port })) : []);
  return list.length > 1 ? { hosts: list.map(({ host, port }) => ({ host, port })) } : {};
}
