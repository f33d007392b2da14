/**
 * What the programs load before they work: the cluster's code and the NATS
 * client are about a tenth of a plain server's start-up CPU, so server.ts
 * reaches them only through a dynamic import, taken when a command asks for
 * a cluster; chat-client loads its mDNS library only when it browses for
 * servers. Read from `deno info --json` (the module graph `deno run` and
 * `deno compile` use): a static import of either from anything the entry
 * point loads at start fails here, and so does losing the dynamic import
 * (then `deno compile` would leave it out).
 */

import assert from "node:assert/strict";
import { ROOT } from "./_entry_process.ts";

interface Dependency {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface GraphModule {
  specifier: string;
  dependencies?: Dependency[];
}

/** The module graph of `entry`, from `deno info --json`. */
async function graphOf(entry: string): Promise<{ roots: string[]; modules: GraphModule[] }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** Every module reached from the roots through static imports, and the dynamic imports met. */
function staticReach(graph: { roots: string[]; modules: GraphModule[] }) {
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const reached = new Set<string>();
  const dynamic = new Set<string>();
  const pending = [...graph.roots];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (reached.has(specifier)) continue;
    reached.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      const target = dependency.code?.specifier;
      if (target === undefined) continue; // a type-only import
      if (dependency.isDynamic) dynamic.add(target);
      else pending.push(target);
    }
  }
  return { reached, dynamic };
}

Deno.test("chat-server loads the cluster's code and the NATS client only through its dynamic import", async () => {
  const { reached, dynamic } = staticReach(await graphOf("server.ts"));
  const nats = [...reached].filter((s) => s.startsWith("npm:@nats-io/"));
  assert.deepEqual(nats, [], "NATS packages imported statically from server.ts");
  const clusterCode = new URL("lib/server/cluster_code.ts", `file://${ROOT}`).href;
  assert.ok(!reached.has(clusterCode), "cluster_code.ts imported statically");
  assert.ok(dynamic.has(clusterCode), "server.ts no longer imports cluster_code.ts at all");
  // The walk itself sees npm packages: the server's WebSocket library is one.
  assert.ok([...reached].some((s) => s.startsWith("npm:ws@")), [...reached].join("\n"));
});

Deno.test("the cluster's code, once imported, brings the NATS client with it", async () => {
  const { reached } = staticReach(await graphOf("lib/server/cluster_code.ts"));
  assert.ok([...reached].some((s) => s.startsWith("npm:@nats-io/transport-node@")));
  assert.ok([...reached].some((s) => s.startsWith("npm:@nats-io/jetstream@")));
});

Deno.test("chat-client loads its mDNS library only through a dynamic import, when it browses", async () => {
  const { reached, dynamic } = staticReach(await graphOf("client.ts"));
  const mdns = [...reached].filter((s) => s.startsWith("npm:bonjour-service@"));
  assert.deepEqual(mdns, [], "bonjour-service imported statically from client.ts");
  assert.ok([...dynamic].some((s) => s.startsWith("npm:bonjour-service@")));
});
