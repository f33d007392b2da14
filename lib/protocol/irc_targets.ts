/**
 * A member's IRC commands aimed at rooms and nicks, for {@linkcode IrcCodec}:
 * `JOIN` and `PART` of a comma list of rooms, `PRIVMSG` and `NOTICE` to
 * rooms and nicks (CTCP ACTION is /me, a DCC offer is answered with a
 * notice and the server's `/send` hint, other CTCP is dropped), and the
 * message a `draft/multiline` batch closes. Each target's frames follow the
 * marker that names it (irc_local.ts), so an error names its own target;
 * what the codec answers itself is charged like a command (these come only
 * after registration).
 *
 * @module
 */

import type { ClientFrame } from "./client_frames.ts";
import type { DecodedFrame } from "./codec.ts";
import type { MultilineIntake } from "./irc_batch.ts";
import { ctcpAction, isName, isOtherCtcp, stripFormatting } from "./irc_line.ts";
import type { IrcLocalLines } from "./irc_local.ts";
import { serverLine } from "./irc_render.ts";

/** A numeric (after the reader's nick) the codec answers itself, in its turn. */
function reply(local: IrcLocalLines, me: string, numeric: string, params: string[]) {
  return local.line(serverLine(numeric, [me, ...params]), { request: true });
}

/** A command frame. */
function cmd(name: string, args: string): ClientFrame {
  return { type: "cmd", name, args };
}

/** The targets of a comma list (see isName); 461 and undefined when none is left. */
function targets(
  out: DecodedFrame[],
  local: IrcLocalLines,
  me: string,
  command: string,
  params: string[],
): string[] | undefined {
  const names = params[0].split(",").filter(isName);
  if (names.length > 0) return names;
  out.push(reply(local, me, "461", [command, "Not enough parameters"]));
  return undefined;
}

/** `JOIN #a,#b` (`JOIN 0` is refused: a member stays in a room) and `PART #a,#b [reason]`. */
export function joinOrPart(
  out: DecodedFrame[],
  local: IrcLocalLines,
  me: string,
  command: "JOIN" | "PART",
  params: string[],
): void {
  const rooms = targets(out, local, me, command, params);
  if (!rooms) return;
  if (command === "PART") {
    for (const room of rooms) {
      // `PART dev` names no channel (403): lanchat's /part would read `dev` as a reason.
      if (!room.startsWith("#")) {
        out.push(reply(local, me, "403", [room, "No such channel"]));
        continue;
      }
      out.push(...local.aim(room));
      out.push(cmd("part", `${room} ${stripFormatting(params[1] ?? "")}`.trimEnd()));
    }
    return;
  }
  if (params[0] === "0") {
    const text = "JOIN 0 is not supported: a lanchat member stays in a room";
    out.push(local.line(serverLine("NOTICE", [me, text]), { request: true }));
    return;
  }
  for (const room of rooms) {
    // CHANTYPES=#: `JOIN dev` names no channel (403), though lanchat's /join adds the #.
    if (!room.startsWith("#")) out.push(reply(local, me, "403", [room, "No such channel"]));
    else out.push(...local.aim(room), cmd("join", room));
  }
}

/** A CTCP DCC request (made once: a literal in a function is a new object on every call). */
const DCC = /^\x01DCC\s/i;

/** PRIVMSG and NOTICE (/notice), to rooms and nicks; CTCP ACTION is /me. */
export function privmsg(
  out: DecodedFrame[],
  local: IrcLocalLines,
  me: string,
  command: string,
  params: string[],
): void {
  if (params.length === 0) {
    out.push(reply(local, me, "411", [`No recipient given (${command})`]));
    return;
  }
  if (params.length < 2 || params[1] === "") {
    out.push(reply(local, me, "412", ["No text to send"]));
    return;
  }
  const raw = params[1];
  // `/dcc send bob file`: the client would wait for a connection that never comes.
  if (command === "PRIVMSG" && raw.charCodeAt(0) === 1 && DCC.test(raw)) {
    const text = "DCC is not supported here: nothing was sent; files go through the server";
    out.push(local.line(serverLine("NOTICE", [me, text]), { request: true }), cmd("send", ""));
    return;
  }
  // Other CTCP (VERSION, PING, ...) is not passed on: lanchat clients would show the bytes.
  if (isOtherCtcp(raw)) return;
  const action = ctcpAction(raw);
  // CTCP in a NOTICE is a CTCP reply, an action included: never relayed as one.
  if (action !== undefined && command === "NOTICE") return;
  const text = stripFormatting(action ?? raw);
  // One target (the usual `PRIVMSG #room :text`): no list to split and filter.
  if (!params[0].includes(",")) {
    if (isName(params[0])) say(out, local, command, params[0], text, action !== undefined);
    return;
  }
  for (const target of params[0].split(",").filter(isName)) {
    say(out, local, command, target, text, action !== undefined);
  }
}

/** The frames of one target's PRIVMSG or NOTICE (`action`: a CTCP ACTION's text). */
function say(
  out: DecodedFrame[],
  local: IrcLocalLines,
  command: string,
  target: string,
  text: string,
  action: boolean,
): void {
  for (const marker of local.aim(target, command)) out.push(marker);
  if (command === "NOTICE" && !action) out.push(cmd("notice", `${target} ${text}`));
  else if (target.startsWith("#")) {
    out.push(
      action
        ? { type: "cmd", name: "me", args: text, room: target }
        : { type: "msg", text, room: target },
    );
  } else out.push(cmd(action ? "describe" : "msg", `${target} ${text}`));
}

/**
 * `BATCH +ref draft/multiline target` opens a multi-line message; `BATCH -ref`
 * sends it (`negotiated`: the reader asked for `draft/multiline`).
 */
export function multilineBatch(
  out: DecodedFrame[],
  local: IrcLocalLines,
  me: string,
  intake: MultilineIntake,
  params: string[],
  negotiated: boolean,
): void {
  const result = intake.command(params, negotiated);
  if (result === "missing") out.push(reply(local, me, "461", ["BATCH", "Not enough parameters"]));
  else if (result.kind === "message") {
    privmsg(out, local, me, result.command, [result.target, result.text]);
  } else if (result.kind === "fail") {
    const line = serverLine("FAIL", [
      "BATCH",
      result.code,
      ...result.context,
      result.description,
    ]);
    out.push(local.line(line));
  }
}
