/**
 * `deno task build:web`: bundles the page's script (`lib/web/main.tsx` and
 * what it imports: Preact, the client core) into `lib/web/dist/app.js` with
 * `deno bundle --platform browser --minify`, and joins the style sheets of
 * `lib/web/styles/` (in name order) into `lib/web/dist/app.css`. Both are
 * committed, so chat-server serves (and `deno compile` embeds) them without
 * a build step.
 *
 * `--check` (run by `deno task check`) builds into a temporary directory
 * and fails when a committed file differs: a change to the page's sources
 * that was not rebuilt.
 *
 * Both refuse a bundle that would not run in a browser: one that imports a
 * `node:` module or names `Deno.` (the socket pipe, which `ChatSession`
 * loads only when given no pipe of its own, stays outside it).
 *
 * @module
 */

import { dirname, join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
/** The committed bundle. */
export const BUNDLE = "lib/web/dist/app.js";
/** The committed style sheet. */
export const STYLES = "lib/web/dist/app.css";
const ENTRY = "lib/web/main.tsx";
const STYLE_DIR = "lib/web/styles";

/** The style sheets of `lib/web/styles/`, joined in name order. */
export async function joinStyles(): Promise<string> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(root, STYLE_DIR))) {
    if (entry.isFile && entry.name.endsWith(".css")) names.push(entry.name);
  }
  names.sort();
  const parts = await Promise.all(names.map((n) => Deno.readTextFile(join(root, STYLE_DIR, n))));
  return parts.join("\n");
}

/** Why a bundle cannot be served to a browser, or undefined when it can. */
export function browserProblem(bundle: string): string | undefined {
  const node = /\bfrom\s*["']node:[\w/]+["']|import\(\s*["']node:/.exec(bundle);
  if (node) return `it imports a node: module (${node[0]})`;
  if (/\bDeno\.[a-zA-Z]/.test(bundle)) return "it uses the Deno namespace";
  return undefined;
}

/** Bundles the page into `out` (a file path); resolves to its text. */
export async function bundle(out: string): Promise<string> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--minify",
      // ChatSession's default pipe (TCP and TLS); the page passes its own.
      "--external",
      "./socket_pipe.ts",
      "--output",
      out,
      ENTRY,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const detail = new TextDecoder().decode(result.stderr).replace(/\x1b\[[0-9;]*m/g, "");
    throw new Error(`deno bundle failed:\n${detail.trim()}`);
  }
  return await Deno.readTextFile(out);
}

async function main(): Promise<number> {
  const check = Deno.args.includes("--check");
  const temp = await Deno.makeTempDir({ prefix: "lanchat-web-" });
  try {
    const built = await bundle(join(temp, "app.js"));
    const problem = browserProblem(built);
    if (problem) {
      console.error(`build:web: the bundle would not run in a browser: ${problem}`);
      return 1;
    }
    const outputs: [string, string][] = [[BUNDLE, built], [STYLES, await joinStyles()]];
    if (check) {
      let stale = 0;
      for (const [path, text] of outputs) {
        const committed = await Deno.readTextFile(join(root, path)).catch(() => undefined);
        if (committed === text) continue;
        stale++;
        console.error(
          `build:web: ${path} is ${
            committed === undefined ? "missing" : "stale"
          }: run deno task build:web and commit it`,
        );
      }
      return stale > 0 ? 1 : 0;
    }
    for (const [path, text] of outputs) {
      await Deno.mkdir(dirname(join(root, path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
      console.log(`built ${path} (${text.length} bytes)`);
    }
    return 0;
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
