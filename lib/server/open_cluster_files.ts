/**
 * The file store of a cluster node (issue 18 on issue 17's cluster); one
 * server's is in `open_files.ts`.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { openNatsFiles } from "../cluster/nats_files.ts";
import { FileStore } from "../files/file_store.ts";
import type { FileSettings } from "./file_flags.ts";
import type { OpenedFiles } from "./open_files.ts";

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
