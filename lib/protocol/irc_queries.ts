/**
 * IRC commands the codec answers without a core command of their own:
 * LUSERS, MOTD, USERHOST, ISON, TIME, VERSION (from a read-only
 * {@linkcode IrcDirectory} of the server, answered in order with the core's
 * replies), TAGMSG (accepted and dropped: lanchat has no typing
 * notifications or reactions to relay), and KICK and MODE, which map onto the
 * operators' `/kick`, `/ban` and `/unban`.
 *
 * @module
 */

import { foldNick } from "../core/nick.ts";
import {
  type Census,
  IRC_SERVER,
  isupportLines,
  lusersLines,
  motdLines,
  serverLine,
  userSource,
} from "./irc_render.ts";
import type { MultilineLimits } from "./irc_batch.ts";
import { formatIrcLine } from "./irc_line.ts";

/** What the server tells the IRC codec about itself, read when a query is answered. */
export interface IrcDirectory extends MultilineLimits {
  /** The member online under `nick` (any case), as the server spells it. */
  find(nick: string): { nick: string; operator: boolean } | undefined;
  /** Members, rooms and operators now (LUSERS, and the registration burst). */
  census(): Census;
}

/** The census without a directory (a codec on its own): the reader alone in its room. */
export const ALONE: Census = Object.freeze({ members: 1, rooms: 1, operators: 0 });

/** What a query needs from the codec. */
export interface QueryContext {
  /** The reader's nick. */
  readonly me: string;
  /** The server's name (005's NETWORK) and message of the day, from the welcome. */
  readonly server: string;
  readonly motd: string | undefined;
  /** lanchat's version. */
  readonly version: string;
  readonly directory: IrcDirectory | undefined;
  /** A numeric to the reader (its nick first), in order with the core's answers. */
  reply(numeric: string, params: string[]): void;
  /** Lines made when their turn comes (after the requests before them were handled). */
  later(make: () => string): void;
  /** A core command; `target` names what its error numeric is about. */
  command(name: string, args: string, target: string): void;
}

/** The commands {@linkcode queryCommand} answers. */
export const QUERY_COMMANDS: ReadonlySet<string> = new Set([
  "LUSERS",
  "MOTD",
  "USERHOST",
  "ISON",
  "TIME",
  "VERSION",
  "TAGMSG",
  "KICK",
  "MODE",
]);

/** Answers one of {@linkcode QUERY_COMMANDS}. */
export function queryCommand(command: string, params: string[], ctx: QueryContext): void {
  const need = (count: number): boolean => {
    if (params.length >= count && params.slice(0, count).every((p) => p !== "")) return true;
    ctx.reply("461", [command, "Not enough parameters"]);
    return false;
  };
  const me = ctx.me;
  const directory = ctx.directory;
  switch (command) {
    case "LUSERS":
      return ctx.later(() => lusersLines(me, directory?.census() ?? ALONE));
    case "MOTD":
      return ctx.later(() => motdLines(me, ctx.motd));
    case "TIME":
      return ctx.later(() => serverLine("391", [me, IRC_SERVER, new Date().toUTCString()]));
    case "VERSION":
      return ctx.later(() =>
        serverLine("351", [me, `lanchat-${ctx.version}`, IRC_SERVER, "lanchat, the LAN chat"]) +
        isupportLines(me, ctx.server)
      );
    case "USERHOST":
      if (!need(1)) return;
      return ctx.later(() => {
        const found = params.slice(0, 5).map((nick) => directory?.find(nick))
          .filter((m) => m !== undefined)
          .map((m) => `${m.nick}${m.operator ? "*" : ""}=+${userSource(m.nick).split("!")[1]}`);
        return formatIrcLine(IRC_SERVER, "302", [me, found.join(" ")], { trailing: true });
      });
    case "ISON":
      if (!need(1)) return;
      return ctx.later(() => {
        const asked = params.join(" ").split(" ").filter((nick) => nick !== "");
        const online = asked.map((nick) => directory?.find(nick)?.nick)
          .filter((nick) => nick !== undefined);
        return formatIrcLine(IRC_SERVER, "303", [me, online.join(" ")], { trailing: true });
      });
    case "TAGMSG":
      need(1);
      return;
    case "KICK": {
      if (!need(2)) return;
      const [room, nicks, reason = ""] = params;
      for (const nick of nicks.split(",")) {
        ctx.command("kick", `${nick} ${reason}`.trimEnd(), room);
      }
      return;
    }
    case "MODE":
      if (need(1)) mode(params, ctx);
      return;
  }
}

/**
 * MODE: a room's modes are `n` (always on) and `b`, which is lanchat's ban
 * of a member by nick (its key and address); a member has no modes.
 */
function mode(params: string[], ctx: QueryContext): void {
  const me = ctx.me;
  const [target, modes, ...args] = params;
  if (!target.startsWith("#")) {
    if (foldNick(target) !== foldNick(me)) {
      ctx.reply("502", ["Cannot change mode for other users"]);
    } else ctx.reply("221", ["+"]);
    return;
  }
  if (modes === undefined) return ctx.reply("324", [target, "+n"]);
  let sign = "+";
  for (const letter of modes) {
    if (letter === "+" || letter === "-") {
      sign = letter;
      continue;
    }
    if (letter === "n") continue;
    if (letter !== "b") {
      ctx.reply("472", [letter, "is unknown mode char to me"]);
      continue;
    }
    const mask = args.shift();
    if (mask === undefined) {
      // The list: lanchat's bans are the server's, shown to operators by /bans.
      ctx.reply("368", [target, "End of channel ban list"]);
    } else if (sign === "-") ctx.command("unban", mask, target);
    else {
      const nick = /^([^!@*?]+)(?:!\*@\*)?$/.exec(mask)?.[1];
      if (nick) ctx.command("ban", nick, target);
      else {
        ctx.reply("696", [
          target,
          "b",
          mask,
          "lanchat bans a member by nick (its key and address): use a nick or nick!*@*",
        ]);
      }
    }
  }
}
