/**
 * What an error of the core becomes on IRC, for {@linkcode IrcCodec}: a
 * numeric naming the request's target (433 the nick tried, 442 the room),
 * a server NOTICE, or nothing (no automatic reply to a NOTICE). The target
 * and command are the ones the codec's markers set when the request's turn
 * came (irc_local.ts).
 *
 * @module
 */

import { serverLine } from "./irc_render.ts";
import type { ErrorCode, ErrorFrame } from "./wire_frames.ts";

/**
 * The numeric an error of the core becomes, with its parameters before the
 * reason (lanchat's own words); undefined for a server NOTICE, null for no
 * line at all. `command` is the IRC command asking, when known: a NOTICE is
 * never answered with an error, and a message to a room the reader is not in
 * (or that does not exist) is 404 ERR_CANNOTSENDTOCHAN, not 442, and NAMES
 * or WHO of a room that does not exist only ends its empty list (366, 315).
 */
export function errorNumeric(
  code: ErrorCode,
  me: string,
  target: string | undefined,
  command?: string,
): [string, string[]] | undefined | null {
  // A request about a member in a room (KICK) names both: "#room nick".
  const [room, nick = room] = (target ?? "*").split(" ");
  const t = room;
  // A message the cluster could not store: always said (a server NOTICE), even for a NOTICE,
  // so nothing typed is lost without a word.
  if (code === "cluster_unavailable") return undefined;
  // RFC 2812 3.3.2: no automatic reply to a NOTICE, whatever refused it (too long, empty, ...).
  if (command === "NOTICE") return null;
  if (command === "PRIVMSG" && code === "not_in_room") return ["404", [me, t]];
  // HELP of a name that is no command: ERR_HELPNOTFOUND (Modern IRC), not 421 (HELP is known).
  if (command === "HELP" && code === "unknown_command") return ["524", [me, t]];
  if (code === "bad_room" && (command === "NAMES" || command === "WHO")) {
    return [command === "NAMES" ? "366" : "315", [me, target ?? "*"]];
  }
  switch (code) {
    case "empty_message": // only formatting codes, or blanks
      return ["412", [me]];
    case "nick_taken":
    case "nick_registered":
      return ["433", [me, t]];
    case "bad_nick":
      return ["432", [me, t]];
    case "no_such_nick":
      return ["401", [me, nick]];
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
      // KICK and MODE name a channel: not its operator; otherwise not a server operator.
      return t.startsWith("#") ? ["482", [me, t]] : ["481", [me]];
    case "muted":
      return ["404", [me, t]];
    default:
      return undefined;
  }
}

/**
 * The line (or lines, or nothing) an error of the core becomes for the
 * reader `me`, given the target and IRC command of the request it answers.
 */
export function errorLines(
  event: ErrorFrame,
  me: string,
  target: string | undefined,
  command: string | undefined,
): string {
  const numeric = errorNumeric(event.code, me, target, command);
  if (numeric === null) return "";
  if (!numeric) return serverLine("NOTICE", [me, event.message]);
  const line = serverLine(numeric[0], [...numeric[1], event.message]);
  // A WHOIS ends with 318 even when the nick is unknown.
  return numeric[0] === "401" && command === "WHOIS"
    ? line + serverLine("318", [me, numeric[1][1], "End of /WHOIS list"])
    : line;
}
