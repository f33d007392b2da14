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
  MessageKind,
  NoticeEvent,
  RoomsEvent,
  RoomSnapshot,
  RoomTopic,
  WelcomeEvent,
  WhoisEvent,
} from "../core/events.ts";
import { MAX_NICK_LENGTH } from "../core/nick.ts";
import { bigRoomNotice } from "./irc_big_room.ts";
import {
  byteLength,
  escapeTagValue,
  formatIrcLine,
  MAX_LINE_BYTES,
  splitUtf8,
  toCtcpAction,
} from "./irc_line.ts";
import { joinTags, msgidTag } from "./irc_batch.ts";
import { MAX_HISTORY_PAGE } from "../core/commands/history.ts";
import { foldRoom } from "../core/room_name.ts";

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
  /** `message-tags`: room messages carry `@msgid=`. */
  messageTags?: boolean;
  /** `batch`: history comes as a `chathistory` batch; the next batch reference. */
  batch?: () => string;
  /** `draft/chathistory`: it asks for history itself, so a JOIN replays none. */
  chathistory?: boolean;
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

/** A line from the server whose last parameter is text: always written after a `:`. */
export function textLine(command: string, params: readonly string[]): string {
  return formatIrcLine(IRC_SERVER, command, params, { trailing: true });
}

/**
 * A room message or a private message as PRIVMSG lines (NOTICE lines for a
 * notice): one per line of the text, each cut to fit 512 bytes; an action
 * is a CTCP ACTION.
 */
export function privmsgLines(
  from: string,
  target: string,
  text: string,
  kind: MessageKind,
  tags?: string,
  firstTags?: string,
): string {
  const one = privmsgLineParts(from, target, text, kind, tags, firstTags);
  if (one !== undefined) return one.join("");
  const source = userSource(from);
  const command = kind === "notice" ? "NOTICE" : "PRIVMSG";
  // Tags do not count against the 512 bytes; CR LF and the CTCP wrapping do.
  const overhead = 1 + byteLength(source) + byteLength(` ${command} ${target} :`) + 2 +
    (kind === "action" ? 9 : 0);
  const budget = Math.max(16, MAX_LINE_BYTES - overhead);
  let out = "";
  for (const line of text.split("\n")) {
    for (const piece of splitUtf8(line === "" ? " " : line, budget)) {
      const body = kind === "action" ? toCtcpAction(piece) : piece;
      out += formatIrcLine(source, command, [target, body], {
        trailing: true,
        tags: out === "" ? joinTags(tags, firstTags) : tags,
      });
    }
  }
  return out;
}

/**
 * The parts of privmsgLines()'s answer when it is one line whose UTF-16
 * length proves it within 510 bytes (a UTF-16 unit is at most 3 UTF-8
 * bytes): most messages, joined or written as bytes (utf8Joined) without
 * being measured or split and without a string per part. Undefined for any
 * other message.
 */
export function privmsgLineParts(
  from: string,
  target: string,
  text: string,
  kind: MessageKind,
  tags?: string,
  firstTags?: string,
): string[] | undefined {
  if (text === "" || text.includes("\n")) return undefined;
  const command = kind === "notice" ? "NOTICE" : "PRIVMSG";
  const action = kind === "action";
  // `:nick!nick@lanchat COMMAND target :text`, the action's \x01ACTION and \x01 included.
  const length = 2 * from.length + USER_HOST.length + command.length + target.length +
    text.length + (action ? 16 : 7);
  if (length * 3 > MAX_LINE_BYTES - 2) return undefined;
  const first = tags === undefined ? firstTags : joinTags(tags, firstTags);
  return [
    first ? `@${first} :` : ":",
    from,
    "!",
    from,
    AT_USER_HOST,
    command,
    " ",
    target,
    action ? " :\x01ACTION " : " :",
    text,
    action ? "\x01\r\n" : "\r\n",
  ];
}

/** What follows the nick in a source, and the space after it. */
const AT_USER_HOST = `@${USER_HOST} `;

/** A message of a room's history, with its time as a tag (server-time) or in front of the text. */
export function historyLines(
  message: MessageEvent,
  reader: IrcReader,
  batchTag?: string,
): string {
  const id = reader.messageTags ? msgidTag(foldRoom(message.room), message.id) : undefined;
  if (reader.serverTime) {
    return privmsgLines(
      message.from,
      message.room,
      message.text,
      message.kind,
      joinTags(batchTag, timeTag(message.ts)),
      id,
    );
  }
  const time = new Date(message.ts).toISOString().slice(11, 16);
  const text = `[${time} UTC] ${message.text}`;
  return privmsgLines(message.from, message.room, text, message.kind, batchTag, id);
}

/**
 * Messages of a room's history: a `chathistory` batch when the reader
 * negotiated `batch` (each line tagged with it), else one message after
 * another; nothing for no messages.
 */
export function historyBlock(
  room: string,
  messages: readonly MessageEvent[],
  reader: IrcReader,
): string {
  if (messages.length === 0) return "";
  if (!reader.batch) return messages.map((m) => historyLines(m, reader)).join("");
  const ref = reader.batch();
  let out = serverLine("BATCH", [`+${ref}`, "chathistory", room]);
  for (const message of messages) out += historyLines(message, reader, `batch=${ref}`);
  return out + serverLine("BATCH", [`-${ref}`]);
}

/** RPL_NAMREPLY (353), split to fit, and RPL_ENDOFNAMES (366). */
export function namesLines(me: string, room: string, members: readonly string[]): string {
  return listLines("353", [me, "=", room], members) +
    serverLine("366", [me, room, "End of /NAMES list"]);
}

/**
 * `words` as the last parameter of as many `numeric` lines as it takes to
 * keep each within 512 bytes (353's names, 319's rooms); nothing for none.
 */
export function listLines(numeric: string, params: string[], words: readonly string[]): string {
  let out = "";
  const budget = MAX_LINE_BYTES - 2 -
    byteLength(`:${IRC_SERVER} ${numeric} ${params.join(" ")} :`);
  let batch = "";
  // The batch's bytes counted as it grows: measuring the batch itself each
  // time would flatten it, 100 names making ~30 KB of garbage per join.
  let batchBytes = 0;
  for (const word of words) {
    const wordBytes = byteLength(word);
    if (batch !== "" && batchBytes + 1 + wordBytes > budget) {
      out += formatIrcLine(IRC_SERVER, numeric, [...params, batch], { trailing: true });
      batch = "";
    }
    batchBytes = batch === "" ? wordBytes : batchBytes + 1 + wordBytes;
    batch = batch === "" ? word : `${batch} ${word}`;
  }
  if (batch !== "") {
    out += formatIrcLine(IRC_SERVER, numeric, [...params, batch], { trailing: true });
  }
  return out;
}

/**
 * RPL_WHOREPLY (352) for each member, `H` (here) or `G` (gone: away), and
 * RPL_ENDOFWHO (315).
 */
export function whoLines(
  me: string,
  room: string,
  members: readonly string[],
  away: readonly string[] = [],
): string {
  let out = "";
  const gone = new Set(away);
  for (const nick of members) {
    const flag = gone.has(nick) ? "G" : "H";
    out += serverLine("352", [me, room, nick, USER_HOST, IRC_SERVER, nick, flag, `0 ${nick}`]);
  }
  return out + serverLine("315", [me, room, "End of /WHO list"]);
}

/** RPL_TOPIC (332) and RPL_TOPICWHOTIME (333), or RPL_NOTOPIC (331) without a topic. */
export function topicLines(me: string, room: string, topic: RoomTopic | undefined): string {
  if (!topic) return serverLine("331", [me, room, "No topic is set"]);
  return textLine("332", [me, room, topic.text]) +
    formatIrcLine(IRC_SERVER, "333", [
      me,
      room,
      userSource(topic.by),
      String(Math.floor(topic.ts / 1000)),
    ]);
}

/** The reader's JOIN of a room, its topic (if any), its names, and its history. */
export function joinedLines(snapshot: RoomSnapshot, reader: IrcReader): string {
  let out = formatIrcLine(userSource(reader.me), "JOIN", [snapshot.room]);
  if (snapshot.topic) out += topicLines(reader.me, snapshot.room, snapshot.topic);
  out += namesLines(reader.me, snapshot.room, snapshot.members);
  out += bigRoomNotice(snapshot, serverLine);
  return out + (reader.chathistory ? "" : historyBlock(snapshot.room, snapshot.history, reader));
}

/** Settings that 004 and 005 announce. */
export interface IrcServerInfo {
  /** lanchat's version, e.g. `0.1.0`. */
  version: string;
}

/** How many members, rooms and operators a server has (LUSERS). */
export interface Census {
  members: number;
  rooms: number;
  operators: number;
}

/**
 * Registration: 001-005, LUSERS (251-255, with `census`), the MOTD
 * (375/372/376, or 422 without one), then the JOIN of the room lanchat puts
 * every member in, with names and history.
 */
export function welcomeLines(
  event: WelcomeEvent,
  reader: IrcReader,
  info: IrcServerInfo,
  census?: Census,
): string {
  const me = event.nick;
  const version = `lanchat-${info.version}`;
  let out = serverLine("001", [me, `Welcome to ${event.server}, a lanchat server, ${me}`]);
  out += serverLine("002", [me, `Your host is ${IRC_SERVER}, running version ${version}`]);
  out += serverLine("003", [me, "This server speaks lanchat's own protocol, text and IRC"]);
  out += serverLine("004", [me, IRC_SERVER, version, "o", "bn"]);
  out += isupportLines(me, event.server);
  if (census) out += lusersLines(me, census);
  return out + motdLines(me, event.motd) + joinedLines(event, reader);
}

/** LUSERS (251, 252, 254, 255): one server, no invisible users, no unknown connections. */
export function lusersLines(me: string, { members, rooms, operators }: Census): string {
  return serverLine("251", [me, `There are ${members} users and 0 invisible on 1 servers`]) +
    serverLine("252", [me, String(operators), "operator(s) online"]) +
    serverLine("254", [me, String(rooms), "channels formed"]) +
    serverLine("255", [me, `I have ${members} clients and 0 servers`]);
}

/** RPL_ISUPPORT (005): what this server is, honestly. */
export function isupportLines(me: string, server: string): string {
  // ISUPPORT values are ASCII (Modern IRC; irctest checks it): `Café` is NETWORK=Caf_.
  const network = server.replace(/[^A-Za-z0-9_.\-]/gu, "_") || "lanchat";
  return serverLine("005", [
    me,
    `NETWORK=${network}`,
    "CASEMAPPING=rfc7613",
    "CHANTYPES=#",
    `CHANNELLEN=${CHANNEL_LENGTH}`,
    `NICKLEN=${MAX_NICK_LENGTH}`,
    "CHANMODES=b,,,n",
    "PREFIX=",
    "UTF8ONLY",
    // draft/chathistory (irc_chathistory.ts): the largest page, and the references it takes.
    `CHATHISTORY=${MAX_HISTORY_PAGE}`,
    "MSGREFTYPES=msgid,timestamp",
    // message-tags: client-only tags are accepted and never relayed, and IRCv3 says so like this.
    "CLIENTTAGDENY=*",
    "are supported by this server",
  ]);
}

/** The message of the day (375/372/376), or 422 without one. */
export function motdLines(me: string, motd: string | undefined): string {
  let out = "";
  if (motd) {
    out += serverLine("375", [me, `- ${IRC_SERVER} Message of the day -`]);
    for (const line of motd.split("\n")) {
      for (const piece of splitUtf8(line, 400)) out += serverLine("372", [me, `- ${piece}`]);
    }
    out += serverLine("376", [me, "End of /MOTD command"]);
  } else out += serverLine("422", [me, "MOTD File is missing"]);
  return out;
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
        event.rooms.map((r) => serverLine("322", [me, r.room, String(r.members), r.topic ?? ""]))
          .join("") +
        serverLine("323", [me, "End of /LIST"]);
    case "whois":
      return serverLine("311", [me, event.nick, event.nick, "lanchat", "*", event.client]) +
        listLines("319", [me, event.nick], event.rooms) +
        (event.node
          ? serverLine("312", [me, event.nick, event.node, "lanchat cluster node"])
          : "") +
        (event.away !== undefined ? textLine("301", [me, event.nick, event.away]) : "") +
        (event.fingerprint
          ? serverLine("276", [me, event.nick, `has key fingerprint ${event.fingerprint}`])
          : "") +
        (event.operator ? serverLine("313", [me, event.nick, "is a lanchat operator"]) : "") +
        serverLine("318", [me, event.nick, "End of /WHOIS list"]);
    case "history":
      return historyBlock(event.room, event.messages, reader);
    case "help":
      return event.commands.map((c) => serverLine("NOTICE", [me, `${c.usage}: ${c.help}`]))
        .join("");
    case "notice":
      return event.message.split("\n").map((line) => serverLine("NOTICE", [me, line])).join("");
    case "bans":
      return event.bans.map((b) =>
        serverLine("NOTICE", [me, `ban ${b.kind} ${b.value} by ${b.by}: ${b.reason ?? ""}`])
      ).join("");
  }
}
