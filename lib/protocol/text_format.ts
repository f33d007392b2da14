/**
 * Renders chat events as plain, readable lines with no escape sequences: what
 * `nc` users see from the server and what `chat-client` prints in line mode.
 *
 * @module
 */

import type { ServerFrame } from "./wire_frames.ts";
import type {
  AwayEvent,
  LeaveEvent,
  MessageEvent,
  RoomSnapshot,
  SharedFile,
  WhoisEvent,
} from "../core/events.ts";
import { formatSize } from "../core/file_name.ts";

/** How to render: which room needs no prefix, and the clock for dates. */
export interface TextFormatContext {
  /** Events of this room are shown without a `#room` prefix. */
  currentRoom?: string;
  /** Today, to decide whether a timestamp needs its date. Defaults to `Date.now()`. */
  now?: number;
  /**
   * What starts the second and later lines of a text of several lines (a
   * message, the motd), so that every other line starts an event. Default:
   * spaces that line them up under the first line's text.
   */
  continuation?: string;
  /** Always show the full date, `YYYY-MM-DD HH:MM` (a log read later: `chat-server export`). */
  dates?: boolean;
  /**
   * A message that shares a file shows its name, size, type and the
   * `/get <id>` that fetches it (what `chat-client` can do), instead of the
   * server's text with the link (what `nc` and IRC users are given).
   */
  fileCommands?: boolean;
}

/**
 * How `chat-client` shows a shared file: one line with its name, size, type
 * and the short command that fetches it.
 *
 * @example
 * ```ts
 * fileText({ id: "AAAAAAAAAAAAAAAAAAAAAA", name: "a.png", size: 2048, type: "image/png", url: "" });
 * // "[file] a.png (2.0 KiB, image/png) /get AAAAAAAAAAAAAAAAAAAAAA"
 * ```
 */
export function fileText(file: SharedFile): string {
  return `[file] ${file.name} (${formatSize(file.size)}, ${file.type}) /get ${file.id}`;
}

/** The text to show of a message: {@linkcode fileText} for a shared file with `fileCommands`. */
function shownText(event: { text: string; file?: SharedFile }, fileCommands?: boolean): string {
  return fileCommands && event.file ? fileText(event.file) : event.text;
}

const LEAVE_WORDS: Record<LeaveEvent["reason"], string> = {
  part: "left",
  quit: "quit",
  timeout: "timed out",
  dropped: "was dropped",
  shutdown: "left: server shutting down",
  kicked: "was kicked",
};

/** Most member names a text welcome lists. */
const TEXT_MEMBER_LIMIT = 20;
/** The widest usage that sets /help's column: a longer one is followed by two spaces only, so that
 * the other lines still fit an 80-column terminal. */
const HELP_COLUMN_MAX = 36;

const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");

/**
 * The last stamp made, by the minutes of `ts` and of `now`: a busy room
 * stamps every message with the same minute, and each stamp cost two Dates
 * and two date strings. (Minutes since the epoch are the same local minute:
 * time zones differ from UTC by whole minutes.)
 */
let lastStamp = { tsMinute: NaN, nowMinute: NaN, text: "" };

/** `HH:MM` in local time, with `Mon DD` in front when not from today. */
export function formatTime(ts: number, now = Date.now()): string {
  const tsMinute = Math.floor(ts / 60_000);
  const nowMinute = Math.floor(now / 60_000);
  if (tsMinute === lastStamp.tsMinute && nowMinute === lastStamp.nowMinute) return lastStamp.text;
  const text = stampOf(ts, now);
  lastStamp = { tsMinute, nowMinute, text };
  return text;
}

function stampOf(ts: number, now: number): string {
  const date = new Date(ts);
  const hhmm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (date.toDateString() === new Date(now).toDateString()) return hhmm;
  return `${MONTHS[date.getMonth()]} ${pad(date.getDate())} ${hhmm}`;
}

/** `YYYY-MM-DD HH:MM` in local time. */
export function formatDateTime(ts: number): string {
  const date = new Date(ts);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${
    pad(date.getHours())
  }:${pad(date.getMinutes())}`;
}

/** `[HH:MM]` (the full date with `dates`): a function, not a closure made per event. */
function stamp(context: TextFormatContext, now: number, ts: number): string {
  return `[${context.dates ? formatDateTime(ts) : formatTime(ts, now)}]`;
}

/** The room and a space, or nothing for the current room. */
function where(context: TextFormatContext, room: string): string {
  return room === context.currentRoom ? "" : `${room} `;
}

/**
 * Renders one event as one or more lines (without line endings).
 *
 * @example
 * ```ts
 * formatEvent({ type: "msg", room: "#lobby", id: 1, ts: Date.now(), from: "ana", text: "hi", kind: "say" },
 *   { currentRoom: "#lobby" }); // ["[12:03] <ana> hi"]
 * ```
 */
export function formatEvent(event: ServerFrame, context: TextFormatContext = {}): string[] {
  const now = context.now ?? Date.now();
  const more = context.continuation;
  const files = context.fileCommands;
  switch (event.type) {
    case "msg":
      return formatMessage(
        event,
        `${stamp(context, now, event.ts)} ${where(context, event.room)}`,
        more,
        files,
      );
    case "join":
      return [
        `${stamp(context, now, event.ts)} ${
          where(context, event.room)
        }-> ${event.nick} joined ${event.room}`,
      ];
    case "leave": {
      const room = event.reason === "part" ? ` ${event.room}` : "";
      // A kick's message says who did it: "was kicked by mod: reason".
      const detail = !event.message
        ? ""
        : event.reason === "kicked" && event.message.startsWith("by ")
        ? ` ${event.message}`
        : `: ${event.message}`;
      const words = event.reason === "kicked" && event.code === "banned"
        ? "was banned"
        : LEAVE_WORDS[event.reason];
      return [
        `${stamp(context, now, event.ts)} ${
          where(context, event.room)
        }<- ${event.nick} ${words}${room}${detail}`,
      ];
    }
    case "nick":
      return [`${stamp(context, now, event.ts)} ${event.old} is now known as ${event.new}`];
    case "topic":
      return [
        event.text
          ? `${stamp(context, now, event.ts)} ${
            where(context, event.room)
          }* ${event.nick} set the topic of ${event.room}: ${event.text}`
          : `${stamp(context, now, event.ts)} ${
            where(context, event.room)
          }* ${event.nick} cleared the topic of ${event.room}`,
      ];
    case "room_topic":
      return [
        event.topic
          ? `Topic of ${event.room}: ${event.topic.text} (set by ${event.topic.by} ${
            formatTime(event.topic.ts, now)
          })`
          : `${event.room} has no topic`,
      ];
    case "away":
      return [formatAway(event, stamp(context, now, event.ts))];
    case "dm": {
      const body = event.kind === "action"
        ? `* ${event.from} `
        : event.kind === "notice"
        ? `-${event.from}- `
        : "";
      const text = shownText(event, files);
      return indent(
        `${stamp(context, now, event.ts)} [${event.from} -> ${event.to}] ${body}`,
        text,
        more,
      );
    }
    case "welcome":
      return [
        `Welcome to ${event.server}, ${event.nick}!`,
        ...(event.motd ? formatMotd(event.motd, more) : []),
        ...formatSnapshot(event, context.now, more, files),
        "Type /help for the commands.",
      ];
    case "joined":
      return formatSnapshot(event, context.now, more, files);
    case "parted":
      return [`You left ${event.room}; you are now in ${event.current}`];
    case "who": {
      const away = new Set(event.away ?? []);
      const names = event.members.map((nick) => away.has(nick) ? `${nick} (away)` : nick);
      return [`${event.room} (${event.members.length}): ${names.join(", ")}`];
    }
    case "rooms":
      return event.rooms.some((r) => r.topic)
        ? [
          "Rooms:",
          ...event.rooms.map((r) => `  ${r.room} (${r.members})${r.topic ? `: ${r.topic}` : ""}`),
        ]
        : [`Rooms: ${event.rooms.map((r) => `${r.room} (${r.members})`).join(", ") || "none"}`];
    case "help": {
      // A usage longer than the column (/history's) does not widen it for every other line.
      const width = Math.max(
        0,
        ...event.commands.map((c) => c.usage.length).filter((n) => n <= HELP_COLUMN_MAX),
      );
      return event.commands.map((c) =>
        `${c.usage.padEnd(width)}  ${c.help}${c.op ? " (operators only)" : ""}`
      );
    }
    case "notice":
      return [`* ${event.message}`];
    case "whois":
      return [formatWhois(event)];
    case "bans":
      return event.bans.length === 0
        ? ["No bans"]
        : event.bans.map((b) =>
          `ban ${b.kind === "key" ? "key" : "IP"} ${b.value}${
            b.nick ? ` (${b.nick})` : ""
          } by ${b.by} [${formatTime(b.ts, now)}]${b.reason ? `: ${b.reason}` : ""}`
        );
    case "challenge":
      return [];
    case "history": {
      const lines = event.messages.flatMap((m) =>
        formatMessage(
          m,
          `[${formatTime(m.ts, now)}] (history) ${where(context, m.room)}`,
          more,
          files,
        )
      );
      const first = event.messages[0];
      const last = event.messages.at(-1);
      const count = event.messages.length;
      if (event.query === "after" && event.more && last) {
        lines.push(`-- newer messages: /history --after ${last.id} ${count} --`);
      } else if (event.query === "latest" && event.more && first) {
        lines.push(`-- older messages: /history ${count} ${first.id} --`);
      } else if (event.query === "between" && event.more) {
        lines.push(`-- ${count} messages of ${event.room}; more in between --`);
      } else if (event.query !== undefined) {
        lines.push(`-- ${count} message${count === 1 ? "" : "s"} of ${event.room} --`);
      } else if (event.more && first) {
        // A page with more before it is full: its size is the count that was asked for.
        lines.push(`-- older messages: /history ${event.messages.length} ${first.id} --`);
      } else lines.push(`-- that is the beginning of ${event.room} --`);
      return lines;
    }
    case "pong":
      return [event.token ? `pong ${event.token}` : "pong"];
    case "ping":
      return [];
    case "error":
      return [`! ${event.message}`];
    case "bye":
      return [`* ${event.message}`];
  }
}

function formatWhois(event: WhoisEvent): string {
  const parts = [
    event.fingerprint ? `key ${event.fingerprint}` : "no key",
    ...(event.registered ? ["registered"] : []),
    ...(event.operator ? ["operator"] : []),
    // Quoted: a client names itself, and must not pass for more fields ("x, operator").
    `client ${JSON.stringify(event.client)}`,
    ...(event.address ? [`from ${event.address}`] : []),
    ...(event.node ? [`on node ${event.node}`] : []),
    `in ${event.rooms.join(", ") || "no room"}`,
    ...(event.away !== undefined ? [`away: ${event.away}`] : []),
  ];
  return `${event.nick}: ${parts.join(", ")}`;
}

function formatAway(event: AwayEvent, stamp: string): string {
  if (event.dm) return `${stamp} * ${event.nick} is away: ${event.message ?? "away"}`;
  return event.message === undefined
    ? `${stamp} * ${event.nick} is back`
    : `${stamp} * ${event.nick} is away: ${event.message}`;
}

/** Each motd line as `motd: ...`; with a continuation marker, its first line only. */
function formatMotd(motd: string, continuation: string | undefined): string[] {
  const lines = motd.split("\n");
  if (continuation === undefined) return lines.map((line) => `motd: ${line}`);
  return [`motd: ${lines[0]}`, ...lines.slice(1).map((line) => continuation + line)];
}

/**
 * The last frozen member list's names as a welcome shows them: a room
 * shares one frozen list among all its snapshots until its first names
 * change, so a crowd joining one after the other gets the same names (only
 * the count differs) and they are joined once.
 */
let lastShown: { members?: readonly string[]; shown: number; names: string } = {
  shown: 0,
  names: "",
};

/** The first TEXT_MEMBER_LIMIT of `members` joined with commas, and how many they are. */
function shownNames(members: readonly string[]): { shown: number; names: string } {
  if (members === lastShown.members) return lastShown;
  const shown = members.slice(0, TEXT_MEMBER_LIMIT);
  const names = { shown: shown.length, names: shown.join(", ") };
  // Only a frozen list is known not to change under the same identity.
  if (Object.isFrozen(members)) lastShown = { members, ...names };
  return names;
}

function formatSnapshot(
  snapshot: RoomSnapshot,
  now?: number,
  continuation?: string,
  fileCommands?: boolean,
): string[] {
  const count = snapshot.memberCount ?? snapshot.members.length;
  // A line, not a wall: a few names, then how many more (/who lists them all).
  const { shown, names: listed } = shownNames(snapshot.members);
  const more = count - shown;
  const names = listed + (more > 0 ? ` and ${more} more` : "");
  const lines = [
    count <= 1
      ? `You are in ${snapshot.room}; no one else is here`
      : `You are in ${snapshot.room} (${count} here: ${names})`,
  ];
  if (snapshot.topic) lines.push(`Topic: ${snapshot.topic.text} (set by ${snapshot.topic.by})`);
  for (const message of snapshot.history) {
    lines.push(
      ...formatMessage(
        message,
        `[${formatTime(message.ts, now)}] (history) `,
        continuation,
        fileCommands,
      ),
    );
  }
  return lines;
}

/** The parts of a one-line message's line (scratch, reused: see {@linkcode messageLineParts}). */
const lineParts: string[] = new Array(10).fill("");

/**
 * The line `formatEvent` gives a message of one line, with its CRLF, as
 * parts to be written one after another (`utf8Joined`): the stamp, room,
 * nick and text are never concatenated into a string that is flattened and
 * copied again. Undefined for a text of several lines. The array is reused
 * by the next call.
 */
export function messageLineParts(
  event: MessageEvent,
  currentRoom: string | undefined,
): string[] | undefined {
  if (event.text.includes("\n")) return undefined;
  const parts = lineParts;
  parts[0] = "[";
  parts[1] = formatTime(event.ts, Date.now());
  parts[2] = "] ";
  const elsewhere = event.room !== currentRoom;
  parts[3] = elsewhere ? event.room : "";
  parts[4] = elsewhere ? " " : "";
  const kind = event.kind;
  parts[5] = kind === "action" ? "* " : kind === "notice" ? "-" : "<";
  parts[6] = event.from;
  parts[7] = kind === "action" ? " " : kind === "notice" ? "- " : "> ";
  parts[8] = event.text;
  parts[9] = "\r\n";
  return parts;
}

function formatMessage(
  event: MessageEvent,
  prefix: string,
  continuation?: string,
  fileCommands?: boolean,
): string[] {
  const head = event.kind === "action"
    ? `* ${event.from} `
    : event.kind === "notice"
    ? `-${event.from}- `
    : `<${event.from}> `;
  return indent(prefix + head, shownText(event, fileCommands), continuation);
}

/** First line after `head`; later lines after `continuation`, or indented to line up under the text. */
function indent(head: string, text: string, continuation?: string): string[] {
  // Most messages are one line: no split, no padding (this runs once per message and wire format).
  if (!text.includes("\n")) return [head + text];
  const [first, ...rest] = text.split("\n");
  const pad = continuation ?? " ".repeat(Math.min(head.length, 40));
  return [head + first, ...rest.map((line) => pad + line)];
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
