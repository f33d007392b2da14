/**
 * `chat-server export --cluster <urls> --room <#room>`: a room's messages
 * read from the cluster's room stream (history on a cluster is the stream,
 * not a node's data directory), one line each, as `chat-server export`
 * writes them from a local store.
 *
 * @module
 */

import { parseFlags } from "../cli_args.ts";
import { foldRoom } from "../core/room_name.ts";
import { UsageError } from "../errors.ts";
import { formatEvent } from "../protocol/text_format.ts";
import { CLOCK_SKEW_MS, NatsHistoryReader } from "../cluster/nats_history_reader.ts";
import { CLUSTER_FLAGS, parseClusterSettings } from "./cluster_settings.ts";
import { connectNats, NatsConnectError } from "./nats_connect.ts";

/** Whether `export`'s arguments ask for the cluster's stream. */
export function exportsFromCluster(args: string[]): boolean {
  return args.some((arg) => arg === "--cluster" || arg.startsWith("--cluster="));
}

/**
 * Writes the room's messages from the stream to `write`; returns the exit
 * code (1: NATS not reachable or no such stream, a note on stderr).
 *
 * @throws {UsageError} on bad flags
 */
export async function exportFromCluster(
  args: string[],
  write: (line: string) => void,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): Promise<number> {
  const { "cluster-replicas": _replicas, ...clusterFlags } = CLUSTER_FLAGS;
  const flags = parseFlags(args, {
    room: { type: "string" },
    since: { type: "string" },
    format: { type: "string" },
    ...clusterFlags,
  }) as Record<string, string | undefined>;
  if (!flags.room) throw new UsageError("export --cluster needs --room (e.g. --room '#lobby')");
  const format = flags.format ?? "jsonl";
  if (format !== "jsonl" && format !== "text") {
    throw new UsageError(`--format must be jsonl or text, got "${format}"`);
  }
  const since = flags.since === undefined ? 0 : Date.parse(flags.since);
  if (Number.isNaN(since)) {
    throw new UsageError(
      `--since must be a date like 2026-11-01 or 2026-11-01T09:00, got "${flags.since}"`,
    );
  }
  // The same NATS flags as the server's (credentials, the CA of tls:// URLs).
  const settings = parseClusterSettings((name) => flags[name], env);
  if (!settings) throw new UsageError("export --cluster needs NATS URLs");
  const room = flags.room.startsWith("#") ? flags.room : `#${flags.room}`;
  let nc;
  try {
    nc = await connectNats(settings, "lanchat export");
  } catch (error) {
    if (!(error instanceof NatsConnectError)) throw error;
    console.error(`chat-server: --cluster: ${error.message}`);
    return 1;
  }
  try {
    const reader = await NatsHistoryReader.open(nc);
    let bounds;
    try {
      bounds = await reader.bounds();
    } catch (error) {
      console.error(`chat-server: --cluster: no room stream there: ${(error as Error).message}`);
      return 1;
    }
    let written = 0;
    // By time when --since is given (earlier by the clocks' skew, then exact by each message's time).
    const start = since > 0 ? { time: since - CLOCK_SKEW_MS } : { seq: bounds.first };
    const events = reader.events(foldRoom(room), start, { stopBeforeSeq: bounds.last + 1 });
    for await (const { event } of events) {
      if (event.type !== "msg" || event.ts < since) continue;
      written++;
      if (format === "jsonl") write(JSON.stringify(event));
      else for (const line of formatEvent(event, { currentRoom: room, dates: true })) write(line);
    }
    if (written === 0) console.error(`chat-server: no messages in ${room} in the room stream`);
    return 0;
  } finally {
    await nc.close();
  }
}
