import assert from "node:assert/strict";
import type { FoundServer } from "../discovery/browse.ts";
import { groupClusters, nodesOf, rememberedHosts } from "./cluster_servers.ts";
import { DiscoveredServer, isNamed } from "./discovered_server.ts";
import { ServerTrust } from "./server_trust.ts";
import { asRememberedSession } from "./remembered_session.ts";
import { parseClientArgs } from "./client_config.ts";
import { chooseServer } from "./find_server.ts";

function node(name: string, address: string, cluster?: string): FoundServer {
  return {
    name,
    addresses: [address],
    port: 7777,
    txt: { version: 1, tls: false, password: false, web: false, ...(cluster ? { cluster } : {}) },
  };
}

const a = node("office (2)", "10.0.0.2", "abcd1234");
const b = node("office", "10.0.0.1", "abcd1234");
const c = node("office-3", "10.0.0.3", "abcd1234");
const lab = node("lab", "10.0.0.9");
const other = node("office", "10.0.1.1", "ffff0000");

Deno.test("groupClusters() lists the nodes of one cluster as one server, named after its first node", () => {
  const grouped = groupClusters([a, lab, b, c, other]);
  assert.deepEqual(grouped.map((s) => s.name), ["office", "lab", "office"]);
  assert.deepEqual(nodesOf(grouped[0]).map((s) => s.addresses[0]), [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.3",
  ]);
  assert.deepEqual(nodesOf(grouped[1]), [lab]);
  assert.deepEqual(nodesOf(grouped[2]), [other]); // Another cluster: not mixed in.
  // One server answered, a cluster of three: joined without a question.
  assert.deepEqual(chooseServer(groupClusters([a, b, c]), { interactive: false, seconds: 1 }), {
    kind: "join",
    server: groupClusters([a, b, c])[0],
  });
  assert.ok(isNamed(grouped[0], "OFFICE-3"), "a node's own name finds its cluster");
});

Deno.test("DiscoveredServer sends each attempt to the next node of a cluster", async () => {
  const trust = new ServerTrust({ mayMove: true, acceptNew: false });
  const cluster = groupClusters([a, b, c])[0];
  let browses = 0;
  const discovered = new DiscoveredServer(cluster.name, trust, () => {
    browses++;
    return Promise.resolve([a, b, c]).then(groupClusters);
  }, cluster);
  const hosts = [];
  for (let i = 0; i < 4; i++) hosts.push((await discovered.resolve()).host);
  assert.deepEqual(hosts, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"]);
  assert.equal(browses, 3, "looked up again before every attempt but the first");
  assert.equal(discovered.size, 3, "a round of attempts is its three nodes");
});

Deno.test("the last session on a cluster remembers every node, and the next start fails over among them", () => {
  const remembered = rememberedHosts(undefined, groupClusters([a, b, c])[0]);
  assert.deepEqual(remembered.hosts?.map((h) => h.host), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  assert.deepEqual(rememberedHosts(undefined, lab), {});
  const session = asRememberedSession(JSON.parse(JSON.stringify({
    host: "10.0.0.2",
    port: 7777,
    tls: false,
    nick: "ana",
    rooms: ["#lobby"],
    ...remembered,
  })));
  assert.deepEqual(session?.hosts, remembered.hosts);
  const command = parseClientArgs(["--config-dir", "/c"], "ana", undefined, {
    config: () => ({}),
    remembered: () => session,
  });
  assert.equal(command.kind, "chat");
  if (command.kind !== "chat") return;
  assert.equal(command.host, "10.0.0.2");
  assert.deepEqual(command.hosts?.map((h) => h.host), ["10.0.0.2", "10.0.0.1", "10.0.0.3"]);
  assert.equal(command.nick, "ana");
});
