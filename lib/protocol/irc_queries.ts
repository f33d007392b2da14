/**
 * IRC commands the codec answers without a core command of their own:
 * LUSERS, MOTD, USERHOST, ISON, TIME, VERSION, WHO of a nick (from a read-only
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
  /** The member online under `nick` (any case), as the server spells it; `away` when it is. */
  find(nick: string): { nick: string; operator: boolean; away?: boolean } | undefined;
  /**
   * The members a mask of `*` and `?` matches (any case; see
   * {@linkcode whoMask}), at most `limit`; only operators when `operators`.
   */
  match?(
    mask: string,
    limit: number,
    operators?: boolean,
  ): { nick: string; operator: boolean; away?: boolean }[];
  /** Whether a room of that name (any case) exists. */
  hasRoom?(name: string): boolean;
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

/** The most members one `WHO <mask>` lists (`WHO *` on a big server stays one screenful). */
export const MAX_WHO_MATCHES = 200;

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
  "WHOWAS",
  "HELP",
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
    case "WHOWAS": {
      // lanchat keeps no past nicks: every WHOWAS finds none (431 without one).
      if (params.length === 0 || params[0] === "") return ctx.reply("431", ["No nickname given"]);
      const nick = params[0].split(",")[0];
      ctx.reply("406", [nick, "There was no such nickname"]);
      return ctx.reply("369", [nick, "End of WHOWAS"]);
    }
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
          // `-` for an away member, `+` for one here (RFC 2812 5.1, RPL_USERHOST).
          .map((m) =>
            `${m.nick}${m.operator ? "*" : ""}=${m.away ? "-" : "+"}${
              userSource(m.nick).split("!")[1]
            }`
          );
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
    case "WHO": // of a nick or a mask (a room's WHO is the core's /who)
      return ctx.later(() => {
        const mask = params[0];
        // RFC 2812 3.6.1: the mask "0" is everyone, like "*"; the flag "o" only operators.
        const pattern = mask === "0" ? "*" : mask;
        const operators = params[1]?.includes("o") ?? false;
        const one = /[*?!@]/.test(pattern) ? undefined : directory?.find(pattern);
        const found = one
          ? [one].filter((m) => m.operator || !operators)
          : /[*?!@]/.test(pattern)
          ? directory?.match?.(pattern, MAX_WHO_MATCHES, operators) ?? []
          : [];
        return found.map((m) => {
          const flags = `${m.away ? "G" : "H"}${m.operator ? "*" : ""}`;
          return serverLine("352", [
            me,
            "*",
            m.nick,
            IRC_SERVER,
            IRC_SERVER,
            m.nick,
            flags,
            `0 ${m.nick}`,
          ]);
        }).join("") + serverLine("315", [me, mask, "End of /WHO list"]);
      });
    case "KICK": {
      if (!need(2)) return;
      const [room, nicks, reason = ""] = params;
      // No such room: 403 (RFC 2812 3.2.8), before the operator check. Read as the
      // line is decoded: a room made by a JOIN earlier in the same write is not seen yet.
      if (directory?.hasRoom?.(room) === false) return ctx.reply("403", [room, "No such channel"]);
      for (const nick of nicks.split(",")) {
        ctx.command("kick", `${nick} ${reason}`.trimEnd(), `${room} ${nick}`);
      }
      return;
    }
    case "MODE":
      if (need(1)) mode(params, ctx);
      return;
    case "HELP": // lanchat's /help: its rows as NOTICEs; a name it does not know, 524
      return ctx.command("help", params[0] ?? "", params[0] ?? "*");
  }
}

/**
 * MODE: a room's modes are `n` (always on) and `b`, which is lanchat's ban
 * of a member by nick (its key and address); a member has no modes: asked,
 * `221 me +`; `+i` or `+w` is no change, so no answer.
 */
function mode(params: string[], ctx: QueryContext): void {
  const me = ctx.me;
  const [target, modes, ...args] = params;
  if (!target.startsWith("#")) {
    if (foldNick(target) !== foldNick(me)) {
      ctx.reply("502", ["Cannot change mode for other users"]);
    } else if (/[^+\-iw]/.test(modes ?? "")) {
      // `i` and `w` (irssi asks +i) change nothing here; any other letter is unknown (Modern IRC).
      ctx.reply("501", ["Unknown MODE flag"]);
    } else if (!modes) ctx.reply("221", ["+"]);
    // A change answers with a MODE line of what changed (Modern IRC): `i` and `w` change
    // nothing, so nothing; a 221 here made irssi print "Your user mode is [+]" on connect.
    return;
  }
  if (modes === undefined) {
    // 403 for a room that does not exist (RFC 2812 3.2.3), checked when its turn comes.
    return ctx.later(() =>
      ctx.directory?.hasRoom?.(target) === false
        ? serverLine("403", [me, target, "No such channel"])
        : serverLine("324", [me, target, "+n"])
    );
  }
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
      const nick = maskNick(mask);
      if (nick) ctx.command("ban", nick, target);
      else {
        ctx.reply("696", [
          target,
          "b",
          mask,
          "lanchat bans a member by nick (its key and address): use a nick, nick!*@* or *!*nick@lanchat",
        ]);
      }
    }
  }
}

/**
 * The one nick a ban mask names, if it names one: `nick`, `nick!*@*`, or,
 * since every user here is `nick!nick@lanchat`, the user part of the masks
 * irssi and weechat make (`*!*nick@lanchat`, `*!nick@*`).
 */
export function maskNick(mask: string): string | undefined {
  const plain = (part: string) => /^[^*?!@]+$/.test(part);
  const at = /^([^!@]+)(?:!([^!@]*)@([^!@]*))?$/.exec(mask);
  if (!at) return undefined;
  const [, nick, user, host] = at;
  if (user === undefined) return plain(nick) ? nick : undefined;
  if (host !== "*" && host !== IRC_SERVER) return undefined;
  if (plain(nick) && (user === "*" || user.replace(/^[*~]/, "") === nick)) return nick;
  const bare = user.replace(/^\*?~?/, "");
  return nick === "*" && plain(bare) ? bare : undefined;
}

/**
 * Whether a WHO mask matches a member: against its nick, or against its
 * whole source `nick!nick@lanchat` when the mask has a `!` or `@`.
 */
export function whoMask(mask: string): (nick: string) => boolean {
  const folded = foldNick(mask);
  const whole = /[!@]/.test(mask);
  return (nick) => globMatch(folded, foldNick(whole ? userSource(nick) : nick));
}

/**
 * Whether `text` matches the IRC mask `mask` (`*` any run, `?` one
 * character), in time linear in their lengths times the stars: no regular
 * expression a hostile mask of many stars could make backtrack for ever.
 */
export function globMatch(mask: string, text: string): boolean {
  const m = [...mask];
  const t = [...text];
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (j < t.length) {
    if (i < m.length && (m[i] === "?" || (m[i] !== "*" && m[i] === t[j]))) {
      i++;
      j++;
    } else if (i < m.length && m[i] === "*") {
      star = i++;
      resume = j;
    } else if (star !== -1) {
      i = star + 1;
      j = ++resume;
    } else return false;
  }
  while (m[i] === "*") i++;
  return i === m.length;
}
