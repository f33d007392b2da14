/**
 * The user's directory, against which a path typed to `/send` or `/get`
 * (or given to a flag) is read, and what the client's permissions let it
 * read there. Under `deno task client` that is the directory the task was
 * typed in, where `client.ts` goes back at start (../task_start_directory.ts).
 *
 * @module
 */

/** Why a path given to chat-client cannot be used: the words after "cannot read <path>: ". */
export const NOT_PERMITTED =
  "chat-client's read permission does not cover it (deno run --allow-read, or -P=client)";

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
