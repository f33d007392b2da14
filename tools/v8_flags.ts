/**
 * The V8 flags the server runs with, read from the `start` task in
 * deno.json: that task is the one place they are written; the compile task,
 * the tests and the benchmark take them from there.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/** `--v8-flags=...` arguments of the `start` task, e.g. `["--v8-flags=--max-semi-space-size=4"]`. */
export function serverV8Flags(): string[] {
  return v8FlagsOf(config.tasks.start);
}

/**
 * The same flags as another checkout's deno.json in `tree` has them (the
 * bench's `--against-tree` runs each checkout with its own flags).
 */
export function serverV8FlagsOf(tree: string): string[] {
  const other = JSON.parse(Deno.readTextFileSync(`${tree.replace(/\/*$/, "")}/deno.json`));
  return v8FlagsOf(other.tasks.start);
}

function v8FlagsOf(start: string): string[] {
  return start.split(/\s+/).filter((arg) => arg.startsWith("--v8-flags="));
}
