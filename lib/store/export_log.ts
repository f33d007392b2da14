import { parseFlags } from "../cli_args.ts";
import { foldRoom } from "../core/room_name.ts";
import { UsageError } from "../errors.ts";
import { formatEvent } from "../protocol/text_format.ts";
import { defaultDataDir } from "../app_dirs.ts";
import { historyPath } from "./open_store.ts";
import { SqliteStore } from "./sqlite_store.ts";

/** `chat-server export --help`. */
export const EXPORT_USAGE = `chat-server export: write a room's stored messages to stdout

Usage: chat-server export (--room <#room> | --private) [--since <date>] [--format jsonl|text]
                          [--data-dir <dir> | --cluster <urls> [--cluster-creds <file>]
                           [--cluster-ca <file>]]

  --room <#room>       the room
  --private            private messages instead (stored only with --store-private)
  --since <date>       only messages from this date on (ISO 8601, e.g. 2026-11-01 or 2026-11-01T09:00)
  --format <f>         jsonl (one message frame per line, the default) or text
                       ([YYYY-MM-DD HH:MM] <nick> text, in local time)
  --data-dir <dir>     where the history is stored (default as for the server)
  --cluster <urls>     read the room from the NATS JetStream stream of a cluster
                       (chat-server --cluster) instead of a data directory
  --cluster-creds <file>  NATS credentials, as for the server (or LANCHAT_NATS_CREDS)
  --cluster-ca <file>  the CA of the NATS servers' certificates, for tls:// URLs`;

/**
 * Runs `chat-server export`: reads the history store and writes one line
 * per message to `write`. Returns the exit code.
 *
 * @throws {UsageError} on bad flags
 */
export function exportLog(args: string[], write: (line: string) => void): number {
  const flags = parseFlags(args, {
    room: { type: "string" },
    private: { type: "boolean" },
    since: { type: "string" },
    format: { type: "string" },
    "data-dir": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    write(EXPORT_USAGE);
    return 0;
  }
  if (!flags.room && !flags.private) {
    throw new UsageError("export needs --room (e.g. --room '#lobby') or --private");
  }
  const format = flags.format ?? "jsonl";
  if (format !== "jsonl" && format !== "text") {
    throw new UsageError(`--format must be jsonl or text, got "${format}"`);
  }
  let since = 0;
  if (flags.since !== undefined) {
    since = Date.parse(flags.since);
    if (Number.isNaN(since)) {
      throw new UsageError(
        `--since must be a date like 2026-11-01 or 2026-11-01T09:00, got "${flags.since}"`,
      );
    }
  }
  const dataDir = flags["data-dir"] ?? defaultDataDir(Deno.build.os, (n) => Deno.env.get(n));
  if (!dataDir) throw new UsageError("no home directory; give --data-dir");
  const path = historyPath(dataDir);
  try {
    Deno.statSync(path);
  } catch {
    console.error(`chat-server: no history store at ${path}`);
    return 1;
  }
  // Read only, and without the data directory's lock: a running server keeps writing.
  const store = new SqliteStore(path, { readOnly: true });
  const sinceNote = flags.since === undefined ? "" : ` since ${flags.since}`;
  let written = 0;
  try {
    if (flags.private) {
      for (const event of store.exportPrivate(since)) {
        written++;
        if (format === "jsonl") write(JSON.stringify(event));
        else for (const line of formatEvent(event, { dates: true })) write(line);
      }
      if (written === 0) {
        console.error(
          `chat-server: no private messages stored${sinceNote} in ${path} (the server stores them only with --store-private)`,
        );
      }
      return 0;
    }
    const room = flags.room!.startsWith("#") ? flags.room! : `#${flags.room}`;
    for (const event of store.export(foldRoom(room), since)) {
      written++;
      if (format === "jsonl") write(JSON.stringify(event));
      else for (const line of formatEvent(event, { currentRoom: room, dates: true })) write(line);
    }
    if (written > 0) return 0;
    const rooms = store.storedRooms();
    if (rooms.some((name) => foldRoom(name) === foldRoom(room))) {
      console.error(`chat-server: no messages in ${room}${sinceNote}`);
      return 0;
    }
    // Most likely a typo: say which rooms there are.
    console.error(
      `chat-server: no messages stored for ${room} in ${path}; ` +
        (rooms.length > 0
          ? `rooms with stored messages: ${rooms.join(", ")}`
          : "no room has stored messages yet"),
    );
    return 1;
  } finally {
    store.close();
  }
}
