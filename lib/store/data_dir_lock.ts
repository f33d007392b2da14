/**
 * One server per data directory: a lock held for the life of the process.
 *
 * The lock is an advisory lock (`flock` on Unix) on `server.lock` in the
 * data directory, taken without waiting and held on an open file until the
 * server closes its store. The kernel releases it when the process ends in
 * any way, `kill -9` included, so a lock can never be left behind; what a
 * dead process leaves is only its note in the file (its pid and start time),
 * which tells the next server that it did not shut down cleanly.
 *
 * @module
 */

/** Who holds (or held) a data directory, as its lock file says. */
export interface LockOwner {
  pid: number;
  /** When it started, ISO 8601. */
  started: string;
  /** Its lanchat version. */
  version?: string;
}

/** The data directory is in use by another running server. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    /** Who holds it; undefined when its note cannot be read (it is just starting, or Windows). */
    readonly owner: LockOwner | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `the data directory ${dir} is in use by another chat-server${
        owner ? ` (pid ${owner.pid}, started ${owner.started})` : ""
      }; stop that one first, or give this one its own --data-dir (or --no-persist)`,
      options,
    );
    this.name = "DataDirInUseError";
  }
}

/** The lock file inside a data directory. */
export function lockPath(dataDir: string): string {
  return `${dataDir.replace(/[\\/]+$/, "")}/server.lock`;
}

/** An exclusive lock on a data directory, held until {@linkcode DataDirLock.release}. */
export class DataDirLock {
  readonly #file: Deno.FsFile;
  #held = true;

  private constructor(
    file: Deno.FsFile,
    /** The note of a server that held the lock and did not release it (killed, crashed). */
    readonly stale: LockOwner | undefined,
  ) {
    this.#file = file;
  }

  /**
   * Takes the lock on `dataDir` without waiting, and writes `owner` into it.
   *
   * @throws {DataDirInUseError} when another process holds it
   */
  static acquire(dataDir: string, owner: LockOwner): DataDirLock {
    const path = lockPath(dataDir);
    const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
    try {
      if (!file.tryLockSync(true)) {
        let holder: LockOwner | undefined;
        try {
          holder = parseOwner(Deno.readTextFileSync(path));
        } catch {
          // Unreadable while locked (Windows locks are mandatory): name no one.
        }
        throw new DataDirInUseError(dataDir, holder);
      }
      const stale = parseOwner(readAll(file));
      file.truncateSync(0);
      file.seekSync(0, Deno.SeekMode.Start);
      const bytes = new TextEncoder().encode(JSON.stringify(owner) + "\n");
      for (let written = 0; written < bytes.length;) {
        written += file.writeSync(bytes.subarray(written));
      }
      return new DataDirLock(file, stale);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** Empties the note (a clean stop) and releases the lock. Safe to call twice. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    try {
      this.#file.truncateSync(0);
    } finally {
      this.#file.close(); // Closing the file releases the lock.
    }
  }
}

function readAll(file: Deno.FsFile): string {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let text = "";
  file.seekSync(0, Deno.SeekMode.Start);
  for (let n = file.readSync(buffer); n; n = file.readSync(buffer)) {
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return text + decoder.decode();
}

/** The owner a lock file names, or undefined when it is empty or not ours. */
function parseOwner(text: string): LockOwner | undefined {
  if (text.trim() === "") return undefined;
  try {
    const value = JSON.parse(text);
    if (typeof value?.pid === "number" && typeof value?.started === "string") {
      return {
        pid: value.pid,
        started: value.started,
        ...(typeof value.version === "string" ? { version: value.version } : {}),
      };
    }
  } catch {
    // Not a note we wrote.
  }
  return undefined;
}
