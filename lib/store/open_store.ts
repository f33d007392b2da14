import { type HistoryStore, MemoryStore } from "../core/history_store.ts";
import { SqliteStore, StoreOpenError } from "./sqlite_store.ts";

/** The database file inside a data directory. */
export function historyPath(dataDir: string): string {
  return `${dataDir.replace(/[\\/]+$/, "")}/history.db`;
}

/**
 * Opens the history store in `dataDir` (creating the directory), or a
 * memory store when there is none. `onError` hears about failed writes
 * during the run (the store keeps the messages and retries).
 *
 * @throws {StoreOpenError} with the path and the cause (unwritable, corrupt, ...)
 */
export function openStore(
  dataDir: string | undefined,
  onError?: (error: Error, pending: number) => void,
): HistoryStore {
  if (dataDir === undefined) return new MemoryStore();
  try {
    Deno.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new StoreOpenError(
      dataDir,
      `cannot create the data directory ${dataDir}: ${
        (cause as Error).message
      }; use --data-dir or --no-persist`,
      { cause },
    );
  }
  return new SqliteStore(historyPath(dataDir), { onError });
}
