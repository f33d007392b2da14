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
import { EXPORT_USAGE } from "../store/export_log.ts";

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
    private: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...clusterFlags,
  }) as Record<string, string | boolean | undefined>;
  if (flags.help) {
    write(EXPORT_USAGE);
    return 0;
  }
  if (flags.private) {
    throw new UsageError(
      "--private does not work with --cluster: private messages are not kept in the room stream",
    );
  }
  if (typeof flags.room !== "string") {
    throw new UsageError("export --cluster needs --room (e.g. --room '#lobby')");
  }
  const format = flags.format ?? "jsonl";
  if (format !== "jsonl" && format !== "text") {
    throw new UsageError(`--format must be jsonl or text, got "${format}"`);
  }
  const since = typeof flags.since === "string" ? Date.parse(flags.since) : 0;
  if (Number.isNaN(since)) {
    throw new UsageError(
      `--since must be a date like 2026-11-01 or 2026-11-01T09:00, got "${flags.since}"`,
    );
  }
  // The same NATS flags as the server's (credentials, the CA of tls:// URLs).
  const settings = parseClusterSettings((name) => flags[name] as string | undefined, env);
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
    if (written > 0) return 0;
    return await tellEmpty(reader, room, flags.since as string | undefined);
  } finally {
    await nc.close();
  }
}

/**
 * Says why nothing was written, as the local export does: a room with
 * messages but none since `--since` (exit 0: the newest one's time), or a
 * room with none at all (exit 1, most likely a typo: the rooms that have some).
 */
async function tellEmpty(
  reader: NatsHistoryReader,
  room: string,
  since: string | undefined,
): Promise<number> {
  const newest = async (folded: string) =>
    (await reader.range(folded, { newest: true, limit: 1 }))[0];
  const last = await newest(foldRoom(room));
  if (last) {
    const at = new Date(last.ts).toISOString().slice(0, 16).replace("T", " ");
    console.error(
      `chat-server: no messages in ${room}${since ? ` since ${since}` : ""} in the room stream ` +
        `(the newest is from ${at} UTC)`,
    );
    return 0;
  }
  const rooms: string[] = [];
  for (const folded of await reader.rooms()) {
    const message = await newest(folded);
    if (message) rooms.push(message.room ?? folded);
  }
  console.error(
    `chat-server: no messages for ${room} in the room stream; ` +
      (rooms.length > 0
        ? `rooms with messages: ${rooms.join(", ")}`
        : "no room has messages there yet"),
  );
  return 1;
}
