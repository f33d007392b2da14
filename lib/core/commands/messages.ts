/**
 * Commands that send text: `/msg` (private) and `/me` (an action in a room).
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { Command } from "../command_registry.ts";
import type { ChatEvent } from "../events.ts";
import { foldNick } from "../nick.ts";
import { excerpt } from "../sanitize.ts";

/** `/msg <nick> <text>`: a private message only the two members see. */
export const MSG_COMMAND: Command = {
  name: "msg",
  usage: "<nick> <text>",
  help: "Send a private message that only you and <nick> see",
  minArgs: 2,
  maxArgs: 2,
  rest: true,
  aliases: ["dm", "query"],
  run: ({ chat, member }, [nick, text]) => {
    const target = chat.presence.find(foldNick(nick));
    if (!target) throw new ChatError("no_such_nick", `No one called "${excerpt(nick)}" is here`);
    chat.mutes.refuse(member);
    const event: ChatEvent = {
      type: "dm",
      ts: chat.now(),
      from: member.nick,
      to: target.nick,
      text: chat.cleanMessage(text),
      kind: "say",
    };
    target.sink.deliver(event);
    if (target !== member) member.sink.deliver(event);
    if (chat.storePrivate) chat.history.appendPrivate(event);
  },
};

/** `/me <action>`: says what the member does, in the room it was typed in. */
export const ME_COMMAND: Command = {
  name: "me",
  usage: "<action>",
  help: "Describe what you do, e.g. /me waves",
  minArgs: 1,
  maxArgs: 1,
  rest: true,
  run: ({ chat, member, room }, [text]) => chat.say(member, text, room, "action"),
};
