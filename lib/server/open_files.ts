/**
 * Where the server keeps shared files (issue 18): `<data-dir>/files`, on the
 * history database's `files` table, so a file outlives a restart as long as
 * a message announces it. Without a data directory (`--data-dir :memory:`,
 * `--no-persist`) the history is lost at exit, and with it every message
 * that points at a file: the files then live in a temporary directory,
 * indexed in memory, removed at shutdown. On a cluster node they are in
 * NATS (`open_cluster_files.ts`).
 *
 * @module
 */

import type { HistoryStore } from "../core/state/history_store.ts";
import { MemoryFileIndex } from "../core/state/file_index.ts";
import { FileStore } from "../files/file_store.ts";
import { SqliteStore } from "../store/sqlite_store.ts";
import type { FileSettings } from "./file_flags.ts";

/** A file store opened for the server, and how to put it away. */
export interface OpenedFiles {
  store: FileStore;
  /** Where the files are. */
  dir: string;
  /** Removes the temporary directory, if the files were in one. */
  close(): Promise<void>;
}

/** A file kept for less than this is never pruned (a DM's file with no stored message lives this long). */
export const FILE_GRACE_MS = 24 * 60 * 60 * 1000;

/** Opens the file store for `dataDir` (or a temporary one); see the module doc. */
export async function openFiles(
  dataDir: string | undefined,
  history: HistoryStore,
  settings: FileSettings,
): Promise<OpenedFiles> {
  const temporary = dataDir === undefined || !(history instanceof SqliteStore);
  const dir = temporary
    ? await Deno.makeTempDir({ prefix: "lanchat-files-" })
    : `${dataDir.replace(/[\\/]+$/, "")}/files`;
  const index = history instanceof SqliteStore ? history.files : new MemoryFileIndex();
  const store = await FileStore.open(dir, index, settings);
  return {
    store,
    dir,
    close: async () => {
      store.close();
      if (temporary) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
