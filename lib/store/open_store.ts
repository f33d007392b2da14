import { describeFileError } from "../cli_args.ts";
import { type HistoryStore, MemoryStore } from "../core/state/history_store.ts";
import { DEFAULT_HISTORY_MEMORY_BYTES } from "../core/history.ts";
import { VERSION } from "../version.ts";
import { DataDirInUseError, DataDirLock, type LockOwner } from "./data_dir_lock.ts";
import { SqliteStore, StoreOpenError, type StoreReport } from "./sqlite_store.ts";

/** The database file inside a data directory. */
export function historyPath(dataDir: string): string {
  return `${dataDir.replace(/[\\/]+$/, "")}/history.db`;
}

/** How {@linkcode openStore} opens the history store. */
export interface OpenStoreOptions {
  /**
   * Most bytes of messages kept in memory: all of a memory store, and a
   * quarter of it for the SQLite store's messages waiting to be written.
   * @default {16 MiB}
   */
  memoryBytes?: number;
  /** The SQLite store's disk budget, in bytes (undefined: none). */
  maxStoreBytes?: number;
  /** Hears what the SQLite store wants logged. */
  report?: (report: StoreReport) => void;
  /** When this process started (for the lock note). */
  started?: Date;
}

/** An opened store, and the note of a server that held its directory and died. */
export interface OpenedStore {
  store: HistoryStore;
  /** A server that held the data directory's lock and did not shut down cleanly. */
  tookOverFrom?: LockOwner;
}

/**
 * Opens the history store in `dataDir` (creating the directory), or a
 * memory store when there is none. A data directory is locked for the life
 * of the store (released by `close()`, or by the kernel when the process
 * dies), so a second server on it refuses to start instead of overwriting
 * the first one's messages.
 *
 * @throws {DataDirInUseError} when another running server holds `dataDir`
 * @throws {StoreOpenError} with the path and the cause (unwritable, corrupt, ...)
 */
export function openStore(
  dataDir: string | undefined,
  options: OpenStoreOptions = {},
): OpenedStore {
  const memoryBytes = options.memoryBytes ?? DEFAULT_HISTORY_MEMORY_BYTES;
  if (dataDir === undefined) return { store: new MemoryStore(undefined, memoryBytes) };
  try {
    Deno.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new StoreOpenError(
      dataDir,
      `cannot create the data directory ${dataDir}: ${explain(cause)}; ${ELSEWHERE}`,
      { cause },
    );
  }
  let lock: DataDirLock;
  try {
    lock = DataDirLock.acquire(dataDir, {
      pid: Deno.pid,
      started: (options.started ?? new Date()).toISOString(),
      version: VERSION,
    });
  } catch (cause) {
    if (cause instanceof DataDirInUseError) throw cause;
    // Whatever the system says: permissions, a read-only file system, a full disk, ...
    throw new StoreOpenError(
      dataDir,
      `cannot lock the data directory ${dataDir}: ${explain(cause)}; ${ELSEWHERE}`,
      { cause },
    );
  }
  try {
    const store = new SqliteStore(historyPath(dataDir), {
      maxPendingBytes: Math.floor(memoryBytes / 4),
      maxBytes: options.maxStoreBytes,
      report: options.report,
      lock,
    });
    return { store, ...(lock.stale ? { tookOverFrom: lock.stale } : {}) };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** What to do about a data directory that cannot be used. */
const ELSEWHERE = "give another --data-dir, or --data-dir :memory: to keep nothing on disk";

/** The system's reason, without Deno's decorations (os error numbers, permission flags). */
function explain(cause: unknown): string {
  if (cause instanceof Deno.errors.NotCapable) return "the server may not write there";
  return cause instanceof Error ? describeFileError(cause) : String(cause);
}
