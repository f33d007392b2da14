/**
 * Where the server keeps shared files (issue 18): `<data-dir>/files`, on the
 * history database's `files` table, so a file outlives a restart as long as
 * a message announces it. Without a data directory (`--data-dir :memory:`,
 * `--no-persist`) the history is lost at exit, and with it every message
 * that points at a file: the files then live in a temporary directory,
 * indexed in memory, removed at shutdown. On a cluster node they are in
 * NATS ({@linkcode openClusterFiles}).
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import type { HistoryStore } from "../core/state/history_store.ts";
import { openNatsFiles } from "../cluster/nats_files.ts";
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

/**
 * Opens the file store of a cluster node: records in a KV bucket, content
 * in NATS's object store (`lib/cluster/nats_files.ts`), so every node
 * serves every file; only uploads on their way are on this node's disk,
 * in `<data-dir>/files/tmp` (emptied at every start, as on one server: a
 * node killed in the middle of an upload leaves nothing for long), or
 * without a data directory in a temporary directory removed at shutdown.
 */
export async function openClusterFiles(
  nc: NatsConnection,
  replicas: number,
  settings: FileSettings,
  dataDir: string | undefined,
): Promise<OpenedFiles> {
  const { index, content } = await openNatsFiles({ nc, replicas });
  const temporary = dataDir === undefined;
  const dir = temporary
    ? await Deno.makeTempDir({ prefix: "lanchat-uploads-" })
    : `${dataDir.replace(/[\\/]+$/, "")}/files`;
  const store = await FileStore.open(dir, index, { ...settings, content }).catch(async (error) => {
    if (temporary) await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  });
  return {
    store,
    dir: content.where,
    close: async () => {
      store.close();
      if (temporary) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
