/**
 * The directory `deno task` was typed in, for both entry points: paths given
 * on the command line (`--data-dir ./data`, `--cert`, `--password-file`) or
 * typed later (`/send notes.txt`) are the user's, read in that directory.
 *
 * `deno task start` and `deno task client` run `server.ts` and `client.ts` in
 * the checkout, the directory of deno.json, whatever directory they were
 * typed in; deno names that directory in `INIT_CWD` (as `npm run` does).
 * Without going back there, `deno task start --data-dir ./data` typed in
 * `~/chat` kept its history in the checkout's `data`, and `/send notes.txt`
 * typed in `~/work` looked for the checkout's `notes.txt`.
 *
 * @module
 */

/**
 * The directory `deno task` was typed in, when the program was moved out of
 * it: `INIT_CWD`, if set and the program runs in the directory of its own
 * entry point (where `deno task` puts it); undefined otherwise (run where
 * it was started, or compiled, whose entry point is no directory of the disk).
 *
 * @param initCwd the value of `INIT_CWD`
 * @param cwd the current directory
 * @param mainModule the URL of the entry point (`Deno.mainModule`)
 */
export function taskStartDirectory(
  initCwd: string | undefined,
  cwd: string,
  mainModule: string,
): string | undefined {
  if (!initCwd || !mainModule.startsWith("file:")) return undefined;
  const entryDirectory = decodeURIComponent(new URL(".", mainModule).pathname)
    .replace(/^\/([A-Za-z]:)/, "$1");
  const same = (a: string, b: string) => a.replace(/[\\/]+$/, "") === b.replace(/[\\/]+$/, "");
  return same(cwd, entryDirectory) && !same(initCwd, cwd) ? initCwd : undefined;
}

/**
 * Goes back to the directory `deno task` was typed in ({@linkcode taskStartDirectory});
 * returns the error to show when it cannot, undefined when it went or had no need to.
 * Called first thing by each entry point, before any path is read. A compiled
 * binary (`deno task compile`) never moves: `deno task` runs the sources, not it.
 */
export function enterTaskStartDirectory(): string | undefined {
  if (Deno.build.standalone) return undefined;
  let initCwd: string | undefined;
  try {
    initCwd = Deno.env.get("INIT_CWD");
  } catch {
    return undefined; // Not allowed to read it: a narrower permission set than deno.json's.
  }
  const directory = taskStartDirectory(initCwd, Deno.cwd(), Deno.mainModule);
  if (directory === undefined) return undefined;
  try {
    Deno.chdir(directory);
    return undefined;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `cannot change to "${directory}", the directory deno task was started in ` +
      `(INIT_CWD), to read paths from there: ${why.replace(/\s*\(os error \d+\)$/, "")}`;
  }
}
