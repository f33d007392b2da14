/**
 * The core's events as IRC lines (numerics, JOIN, PRIVMSG, ...), for
 * {@linkcode IrcCodec}: pure functions of the event and what the reader
 * negotiated. Long and multi-line messages become several lines, each
 * within 512 bytes.
 *
 * @module
 */

import type {
  BansEvent,
  HelpEvent,
  HistoryEvent,
  MessageEvent,
  NoticeEvent,
  RoomsEvent,
  RoomSnapshot,
  WelcomeEvent,
  WhoisEvent,
} from "../core/events.ts";
import { MAX_NICK_LENGTH } from "../core/nick.ts";
import { bigRoomNotice } from "./irc_big_room.ts";
import type { ErrorCode, ServerFrame } from "./wire_frames.ts";
import {
  byteLength,
  escapeTagValue,
  formatIrcLine,
  MAX_LINE_BYTES,
  splitUtf8,
  toCtcpAction,
} from "./irc_line.ts";

/** The server's name in IRC sources (a token without spaces; the real name is in 001 and NETWORK). */
export const IRC_SERVER = "lanchat";
/** The host part of every user's source (`nick!nick@lanchat`): addresses are not shown. */
const USER_HOST = "lanchat";
/** Longest room name in code points, `#` included (room_name.ts: `#` and 1 to 32). */
const CHANNEL_LENGTH = 33;

/** What a reader negotiated that changes how lines look. */
export interface IrcReader {
  /** Its nick, or `*` before registration. */
  me: string;
  /** `server-time`: lines carry `@time=`. */
  serverTime: boolean;
}

/** `nick!nick@lanchat`. */
export function userSource(nick: string): string {
  return `${nick}!${nick}@${USER_HOST}`;
}

/** The `time` tag of a timestamp, as `server-time` writes it. */
export function timeTag(ts: number): string {
  return `time=${escapeTagValue(new Date(ts).toISOString())}`;
}

/** A line from the server to the reader. */
export function serverLine(command: string, params: readonly string[]): string {
  return formatIrcLine(IRC_SERVER, command, params);
}

/**
 * A room message or a private message as PRIVMSG lines: one per line of the
 * text, each cut to fit 512 bytes; an action is a CTCP ACTION.
 */
export function privmsgLines(
  from: string,
  target: string,
  text: string,
  kind: "say" | "action",
  tags?: string,
): string {
  const source = userSource(from);
  // Tags do not count against the 512 bytes; CR LF and the CTCP wrapping do.
  const overhead = 1 + byteLength(source) + byteLength(` PRIVMSG ${target} :`) + 2 +
    (kind === "action" ? 9 : 0);
  const budget = Math.max(16, MAX_LINE_BYTES - overhead);
  let out = "";
  for (const line of text.split("\n")) {
    for (const piece of splitUtf8(line === "" ? " " : line, budget)) {
      const body = kind === "action" ? toCtcpAction(piece) : piece;
      out += formatIrcLine(source, "PRIVMSG", [target, body], { trailing: true, tags });
    }
  }
  return out;
}

/** A message of a room's history, with its time as a tag (server-time) or in front of the text. */
export function historyLines(message: MessageEvent, reader: IrcReader): string {
  if (reader.serverTime) {
    return privmsgLines(
      message.from,
      message.room,
      message.text,
      message.kind,
      timeTag(message.ts),
    );
  }
  const time = new Date(message.ts).toISOString().slice(11, 16);
  return privmsgLines(message.from, message.room, `[${time} UTC] ${message.text}`, message.kind);
}

/** RPL_NAMREPLY (353), split to fit, and RPL_ENDOFNAMES (366). */
export function namesLines(me: string, room: string, members: readonly string[]): string {
  let out = "";
  const budget = MAX_LINE_BYTES - 2 - byteLength(`:${IRC_SERVER} 353 ${me} = ${room} :`);
  let batch = "";
  // The batch's bytes counted as it grows: measuring the batch itself each
  // time would flatten it, 100 names making ~30 KB of garbage per join.
  let batchBytes = 0;
  for (const nick of members) {
    const nickBytes = byteLength(nick);
    if (batch !== "" && batchBytes + 1 + nickBytes > budget) {
      out += serverLine("353", [me, "=", room, batch]);
      batch = "";
    }
    batchBytes = batch === "" ? nickBytes : batchBytes + 1 + nickBytes;
    batch = batch === "" ? nick : `${batch} ${nick}`;
  }
  if (batch !== "") {
    out += formatIrcLine(IRC_SERVER, "353", [me, "=", room, batch], { trailing: true });
  }
  return out + serverLine("366", [me, room, "End of /NAMES list"]);
}

/** RPL_WHOREPLY (352) for each member and RPL_ENDOFWHO (315). */
export function whoLines(me: string, room: string, members: readonly string[]): string {
  let out = "";
  for (const nick of members) {
    out += serverLine("352", [me, room, nick, USER_HOST, IRC_SERVER, nick, "H", `0 ${nick}`]);
  }
  return out + serverLine("315", [me, room, "End of /WHO list"]);
}

/** The reader's JOIN of a room, its names, and its history. */
export function joinedLines(snapshot: RoomSnapshot, reader: IrcReader): string {
  let out = formatIrcLine(userSource(reader.me), "JOIN", [snapshot.room]);
  out += namesLines(reader.me, snapshot.room, snapshot.members);
  out += bigRoomNotice(snapshot, serverLine);
  for (const message of snapshot.history) out += historyLines(message, reader);
  return out;
}

/** Settings that 004 and 005 announce. */
export interface IrcServerInfo {
  /** lanchat's version, e.g. `0.1.0`. */
  version: string;
}

/**
 * Registration: 001-005, the MOTD (375/372/376, or 422 without one), then
 * the JOIN of the room lanchat puts every member in, with names and history.
 */
export function welcomeLines(event: WelcomeEvent, reader: IrcReader, info: IrcServerInfo): string {
  const me = event.nick;
  const network = event.server.replace(/[^\p{L}\p{N}_.\-]/gu, "_") || "lanchat";
  const version = `lanchat-${info.version}`;
  let out = serverLine("001", [me, `Welcome to ${event.server}, a lanchat server, ${me}`]);
  out += serverLine("002", [me, `Your host is ${IRC_SERVER}, running version ${version}`]);
  out += serverLine("003", [me, "This server speaks lanchat's own protocol, text and IRC"]);
  out += serverLine("004", [me, IRC_SERVER, version, "o", "n"]);
  out += serverLine("005", [
    me,
    `NETWORK=${network}`,
    "CASEMAPPING=rfc7613",
    "CHANTYPES=#",
    `CHANNELLEN=${CHANNEL_LENGTH}`,
    `NICKLEN=${MAX_NICK_LENGTH}`,
    "CHANMODES=,,,n",
    "PREFIX=",
    "UTF8ONLY",
    "are supported by this server",
  ]);
  if (event.motd) {
    out += serverLine("375", [me, `- ${IRC_SERVER} Message of the day -`]);
    for (const line of event.motd.split("\n")) {
      for (const piece of splitUtf8(line, 400)) out += serverLine("372", [me, `- ${piece}`]);
    }
    out += serverLine("376", [me, "End of /MOTD command"]);
  } else out += serverLine("422", [me, "MOTD File is missing"]);
  return out + joinedLines(event, reader);
}

/**
 * The numeric an error of the core becomes, with its parameters before the
 * reason (lanchat's own words); undefined for a server NOTICE.
 */
export function errorNumeric(
  code: ErrorCode,
  me: string,
  target: string | undefined,
): [string, string[]] | undefined {
  const t = target ?? "*";
  switch (code) {
    case "nick_taken":
    case "nick_registered":
      return ["433", [me, t]];
    case "bad_nick":
      return ["432", [me, t]];
    case "no_such_nick":
      return ["401", [me, t]];
    case "not_in_room":
      return ["442", [me, t]];
    case "bad_room":
      return ["403", [me, t]];
    case "too_many_rooms":
      return ["405", [me, t]];
    case "unknown_command":
      return ["421", [me, t]];
    case "line_too_long":
      return ["417", [me]];
    case "not_ready":
      return ["451", [me]];
    case "already_hello":
      return ["462", [me]];
    case "password_required":
    case "access_denied":
      return ["464", [me]];
    case "banned":
      return ["465", [me]];
    case "not_operator":
      return ["481", [me]];
    case "muted":
      return ["404", [me, t]];
    default:
      return undefined;
  }
}

/** The answers to LIST, WHOIS, /history, /help, /bans, and the server's notices. */
export function replyLines(
  event: RoomsEvent | WhoisEvent | HistoryEvent | HelpEvent | NoticeEvent | BansEvent,
  reader: IrcReader,
): string {
  const me = reader.me;
  switch (event.type) {
    case "rooms":
      return serverLine("321", [me, "Channel", "Users  Name"]) +
        event.rooms.map((r) => serverLine("322", [me, r.room, String(r.members), ""])).join("") +
        serverLine("323", [me, "End of /LIST"]);
    case "whois":
      return serverLine("311", [me, event.nick, event.nick, "lanchat", "*", event.client]) +
        (event.rooms.length ? serverLine("319", [me, event.nick, event.rooms.join(" ")]) : "") +
        (event.fingerprint
          ? serverLine("276", [me, event.nick, `has key fingerprint ${event.fingerprint}`])
          : "") +
        (event.operator ? serverLine("313", [me, event.nick, "is a lanchat operator"]) : "") +
        serverLine("318", [me, event.nick, "End of /WHOIS list"]);
    case "history":
      return event.messages.map((m) =>
        privmsgLines(
          m.from,
          m.room,
          m.text,
          m.kind,
          reader.serverTime ? timeTag(m.ts) : undefined,
        )
      ).join("");
    case "help":
      return event.commands.map((c) =>
        serverLine("NOTICE", [me, `/${c.name} ${c.usage}: ${c.help}`])
      )
        .join("");
    case "notice":
      return event.message.split("\n").map((line) => serverLine("NOTICE", [me, line])).join("");
    case "bans":
      return event.bans.map((b) =>
        serverLine("NOTICE", [me, `ban ${b.kind} ${b.value} by ${b.by}: ${b.reason ?? ""}`])
      ).join("");
  }
}

/** The lines of a room event, the same for every reader of a variant. */
export function roomEventLines(
  event: Extract<ServerFrame, { type: "msg" | "join" | "leave" }>,
  tags: string | undefined,
): string {
  switch (event.type) {
    case "msg":
      return privmsgLines(event.from, event.room, event.text, event.kind, tags);
    case "join":
      return formatIrcLine(userSource(event.nick), "JOIN", [event.room], { tags });
    case "leave": {
      const why = event.message ?? "";
      if (event.reason === "part") {
        const params = why === "" ? [event.room] : [event.room, why];
        return formatIrcLine(userSource(event.nick), "PART", params, {
          tags,
          trailing: why !== "",
        });
      }
      const reason = event.reason === "quit" ? `Quit: ${why}` : `${event.reason}: ${why}`;
      return formatIrcLine(userSource(event.nick), "QUIT", [reason.replace(/: $/, "")], {
        trailing: true,
        tags,
      });
    }
  }
}
