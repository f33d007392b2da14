/**
 * Checks that no source file of `lib/` is longer than {@linkcode MAX_LINES}
 * lines (one concern per file; docs/architecture.md), but for the few in
 * {@linkcode ALLOWED_LONG}, each with its reason. An allowed file that
 * shrank back under the limit, or is gone, is named too, so the list stays
 * short and true. Run by `deno task check`; exits 1 and names every file.
 *
 * Usage: deno run --allow-read tools/check_file_length.ts [root]
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";

/** The longest a file of `lib/` may be, in lines. */
export const MAX_LINES = 450;

/** Files of `lib/` allowed past {@linkcode MAX_LINES}, and why. */
export const ALLOWED_LONG: ReadonlyMap<string, string> = new Map<string, string>([]);

/** The lines of a text, as `wc -l` counts them. */
export function lineCount(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

/**
 * What is wrong with these files' lengths (path → text), one sentence per
 * file: too long and not allowed, or allowed and no longer too long.
 */
export function checkFileLengths(
  files: ReadonlyMap<string, string>,
  max = MAX_LINES,
  allowed: ReadonlyMap<string, string> = ALLOWED_LONG,
): string[] {
  const problems: string[] = [];
  for (const [path, text] of files) {
    const lines = lineCount(text);
    if (lines > max && !allowed.has(path)) {
      problems.push(`${path} has ${lines} lines, more than ${max}: split it along a real seam`);
    } else if (lines <= max && allowed.has(path)) {
      problems.push(`${path} has ${lines} lines now: take it off ALLOWED_LONG`);
    }
  }
  for (const path of allowed.keys()) {
    if (!files.has(path)) problems.push(`${path} is gone: take it off ALLOWED_LONG`);
  }
  return problems;
}

async function* sourcesUnder(root: string, dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(root, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && path !== "lib/web/dist") yield* sourcesUnder(root, path);
    else if (entry.isFile && /\.tsx?$/.test(entry.name)) yield path;
  }
}

if (import.meta.main) {
  const root = resolve(Deno.args[0] ?? join(dirname(new URL(import.meta.url).pathname), ".."));
  const files = new Map<string, string>();
  for await (const path of sourcesUnder(root, "lib")) {
    files.set(path, await Deno.readTextFile(join(root, path)));
  }
  const problems = checkFileLengths(files);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(`file length: ${problems.length} file(s) (tools/check_file_length.ts)`);
    Deno.exit(1);
  }
}
