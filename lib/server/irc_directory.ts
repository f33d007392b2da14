/**
 * The hub as an IRC client's {@linkcode IrcDirectory}: who is online (ISON,
 * USERHOST), how many (LUSERS), and the message limits `draft/multiline`
 * announces. Read when a query's answer is made, never cached.
 *
 * @module
 */

import type { Hub } from "../core/hub.ts";
import { type IrcDirectory, whoMask } from "../protocol/irc_queries.ts";

const directories = new WeakMap<Hub, IrcDirectory>();

/** The directory of `hub` (one per hub, shared by its sessions). */
export function ircDirectory(hub: Hub): IrcDirectory {
  let directory = directories.get(hub);
  if (!directory) {
    directory = {
      find: (nick) => {
        const member = hub.member(nick);
        return member && !member.gone
          ? { nick: member.nick, operator: member.operator, away: member.away !== undefined }
          : undefined;
      },
      match: (mask, limit, operators = false) => {
        const matches = whoMask(mask);
        const found = [];
        for (const member of hub.members()) {
          if (found.length >= limit) break;
          if (member.gone || (operators && !member.operator) || !matches(member.nick)) continue;
          found.push({
            nick: member.nick,
            operator: member.operator,
            away: member.away !== undefined,
          });
        }
        return found;
      },
      hasRoom: (name) => hub.room(name) !== undefined,
      census: () => hub.census(),
      maxMessageLength: hub.maxMessageLength,
      maxMessageLines: hub.maxMessageLines,
    };
    directories.set(hub, directory);
  }
  return directory;
}
