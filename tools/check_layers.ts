/**
 * Checks the import direction between lanchat's layers, and that no two
 * modules of `lib/` import each other (directly or around a longer loop).
 * Run by `deno task check`; exits 1 and names every offending import.
 *
 * The layers, each allowed to import only those listed after it:
 *
 * - `lib/core` (the chat core and its state seams): only itself;
 * - `lib/protocol` (frames, codecs, line reading): core;
 * - `lib/net` (sockets and addresses): nothing of lanchat;
 * - `lib/` top-level modules (flags, app directories, version): core;
 * - `lib/store` (SQLite): core, protocol, top level;
 * - `lib/discovery` (mDNS / DNS-SD: the TXT record, announcing, browsing):
 *   protocol, net;
 * - `lib/files` (shared files' content on disk): core, top level;
 * - `lib/cluster` (the state seams on NATS JetStream): core;
 * - `lib/server`: core, protocol, net, discovery, store, files, cluster, top level;
 * - `lib/client`: core, protocol, net, discovery, top level;
 * - `lib/web` (the browser client, bundled into the page): core, protocol,
 *   and only the runtime-neutral modules of `lib/client` listed in
 *   {@linkcode WEB_CLIENT_MODULES} (never the socket pipe, the key file or
 *   a terminal); the server serves its built files, it imports none of it;
 * - entry points, `tools/`, `bench/`: anything in `lib/`;
 * - `tests/`, every `*_test.ts` and the test-only helpers of `lib/` (named
 *   `_*.ts`): anything. Nothing else imports from them.
 *
 * Type-only imports count for the direction but not for cycles: two modules
 * may name each other's types (a member knows its rooms, a room its members).
 *
 * Usage: deno run --allow-read tools/check_layers.ts [root]
 *
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";

/** A layer: a folder of `lib/`, the top level of `lib/`, or a folder beside it. */
export type Layer =
  | "core"
  | "protocol"
  | "net"
  | "discovery"
  | "store"
  | "files"
  | "cluster"
  | "top"
  | "server"
  | "client"
  | "web"
  | "entry"
  | "tests";

/** What each layer may import; a layer may always import itself. */
export const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  core: [],
  protocol: ["core"],
  net: [],
  discovery: ["protocol", "net"],
  store: ["core", "protocol", "top"],
  cluster: ["core"],
  top: ["core"],
  files: ["core", "top"],
  server: ["core", "protocol", "net", "discovery", "store", "files", "cluster", "top"],
  client: ["core", "protocol", "net", "discovery", "top"],
  web: ["core", "protocol", "client", "net"],
  entry: [
    "core",
    "protocol",
    "net",
    "discovery",
    "store",
    "files",
    "cluster",
    "top",
    "server",
    "client",
    "web",
  ],
  tests: [
    "core",
    "protocol",
    "net",
    "discovery",
    "store",
    "files",
    "cluster",
    "top",
    "server",
    "client",
    "web",
    "entry",
  ],
};

/**
 * The modules of `lib/client` (and `lib/net`) the browser client may import:
 * those that touch no socket, file or terminal, so the page's bundle runs in
 * a browser. `ChatSession` loads the socket pipe only when given no pipe of
 * its own, and the bundle leaves it out (tools/build_web.ts).
 */
export const WEB_CLIENT_MODULES: ReadonlySet<string> = new Set([
  "lib/client/chat_session.ts",
  "lib/client/frame_queue.ts",
  "lib/client/pipe.ts",
  "lib/client/reconnecting_session.ts",
  "lib/client/resolver.ts",
  "lib/client/retry_policy.ts",
  "lib/client/room_tracker.ts",
  "lib/client/session_events.ts",
  "lib/net/host_port.ts",
]);

/** The layer of a path relative to the project root (forward slashes). */
export function layerOf(path: string): Layer {
  const [first, second] = path.split("/");
  if (first === "tests" || path.endsWith("_test.ts")) return "tests";
  // Test-only helpers beside the code they fake (`_fake_pipe.ts`), as deno std names them.
  if (first === "lib" && path.split("/").at(-1)!.startsWith("_")) return "tests";
  if (first !== "lib") return "entry";
  if (second === undefined || second.endsWith(".ts")) return "top";
  if (second in ALLOWED && !["top", "entry", "tests"].includes(second)) return second as Layer;
  throw new UnknownLayerError(second);
}

/** A folder of `lib/` that is no layer yet: say where it sits before importing across it. */
export class UnknownLayerError extends Error {
  /** Names the folder. */
  constructor(folder: string) {
    super(`lib/${folder}/ is not a known layer; add it to ALLOWED in tools/check_layers.ts`);
    this.name = "UnknownLayerError";
  }
}

/** One import that breaks a rule. */
export interface Violation {
  from: string;
  to: string;
  why: string;
}

const IMPORT =
  /(?:^|[\s;])((?:import|export)\s+(type\s)?[^'"]*?from)\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/** One relative import of a module. */
export interface Import {
  specifier: string;
  /** `import type` / `export type`: gone at run time. */
  typeOnly: boolean;
}

/** The relative imports of a module (static, re-exports and dynamic with a literal). */
export function importsOf(source: string): Import[] {
  const found: Import[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = match[3] ?? match[4] ?? match[5];
    if (specifier.startsWith(".")) found.push({ specifier, typeOnly: match[2] !== undefined });
  }
  return found;
}

/** The rules broken by a set of modules, given as path (relative to the root) -> source. */
export function checkLayers(modules: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const graph = new Map<string, string[]>();
  for (const [from, source] of modules) {
    const targets: string[] = [];
    try {
      layerOf(from);
    } catch (error) {
      if (!(error instanceof UnknownLayerError)) throw error;
      violations.push({ from, to: from, why: error.message });
      continue;
    }
    for (const { specifier, typeOnly } of importsOf(stripComments(source))) {
      const to = join(dirname(from), specifier).replaceAll("\\", "/");
      if (to.endsWith(".json")) continue;
      if (!typeOnly) targets.push(to);
      const fromLayer = layerOf(from);
      let toLayer: Layer;
      try {
        toLayer = layerOf(to);
      } catch (error) {
        if (error instanceof UnknownLayerError) continue; // Named once, as its own module.
        throw error;
      }
      if (toLayer === fromLayer) continue;
      const webReach = fromLayer === "web" && (toLayer === "client" || toLayer === "net") &&
        !WEB_CLIENT_MODULES.has(to);
      if (webReach) {
        violations.push({
          from,
          to,
          why: "web may import only the runtime-neutral client modules (WEB_CLIENT_MODULES)",
        });
      } else if (!ALLOWED[fromLayer].includes(toLayer)) {
        violations.push({
          from,
          to,
          why: toLayer === "tests"
            ? "only tests may import from tests/ or a test-only helper (_*.ts)"
            : `${fromLayer} may not import from ${toLayer}`,
        });
      }
    }
    graph.set(from, targets);
  }
  for (const cycle of cyclesOf(graph)) {
    if (!cycle[0].startsWith("lib/")) continue;
    violations.push({
      from: cycle[0],
      to: cycle[1],
      why: `import cycle among ${cycle.join(", ")}`,
    });
  }
  return violations;
}

/** Each import cycle once, as the modules around it (Tarjan's strongly connected components). */
function cyclesOf(graph: ReadonlyMap<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

async function* sourcesUnder(root: string, dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(root, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sourcesUnder(root, path);
    else if (entry.isFile && /\.tsx?$/.test(entry.name)) yield path;
  }
}

if (import.meta.main) {
  const root = resolve(Deno.args[0] ?? join(dirname(new URL(import.meta.url).pathname), ".."));
  const modules = new Map<string, string>();
  for (const dir of ["lib", "tests", "tools", "bench"]) {
    for await (const path of sourcesUnder(root, dir)) {
      modules.set(path, await Deno.readTextFile(join(root, path)));
    }
  }
  for (const entry of ["mod.ts", "server.ts", "client.ts"]) {
    modules.set(entry, await Deno.readTextFile(join(root, entry)));
  }
  const violations = checkLayers(modules);
  for (const { from, to, why } of violations) {
    console.error(`${relative(root, join(root, from))} imports ${to}: ${why}`);
  }
  if (violations.length > 0) {
    console.error(
      `layers: ${violations.length} import(s) break the layering (docs/architecture.md)`,
    );
    Deno.exit(1);
  }
}
