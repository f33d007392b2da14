/**
 * The user's directory, against which a path typed to `/send` or `/get`
 * (or given to a flag) is read, and what the client's permissions let it
 * read there.
 *
 * `deno task client` runs `client.ts` in the checkout, the directory of
 * deno.json, whatever directory it was typed in; it names that directory in
 * `INIT_CWD` (as `npm run` does). Without going back there, `/send notes.txt`
 * typed in `~/work` looked for the checkout's `notes.txt`: missing, or
 * another file of the same name sent in its place.
 *
 * @module
 */

/** Why a path given to chat-client cannot be used: the words after "cannot read <path>: ". */
export const NOT_PERMITTED =
  "chat-client's read permission does not cover it (deno run --allow-read, or -P=client)";

/**
 * The directory `deno task` was typed in, when the client was moved out of
 * it: `INIT_CWD`, if set and the client runs in the directory of its own
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
 */
export function enterTaskStartDirectory(): string | undefined {
  let initCwd: string | undefined;
  try {
    initCwd = Deno.env.get("INIT_CWD");
  } catch {
    return undefined; // Not allowed to read it: a narrower permission set than -P=client.
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

/**
 * `path` as the user meant it, for a message: an absolute path as it is, a
 * relative one with the directory it is read in, `notes.txt
 * (/home/ana/notes.txt)`.
 */
export function shownPath(path: string, cwd: () => string = Deno.cwd): string {
  if (/^(?:[\\/]|[A-Za-z]:[\\/])/.test(path)) return path;
  try {
    return `${path} (${cwd().replace(/[\\/]+$/, "")}/${path.replace(/^\.[\\/]/, "")})`;
  } catch {
    return path;
  }
}

/**
 * Whether the client may read `path` without asking: false when its read
 * permission does not cover it, so the caller says so rather than Deno
 * prompting over the terminal UI (or failing with its own words in a pipe).
 */
export function mayRead(path: string): boolean {
  return Deno.permissions.querySync({ name: "read", path }).state === "granted";
}
