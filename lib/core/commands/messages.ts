/**
 * Commands that send text: `/msg` (private), `/describe` (a private action)
 * and `/me` (an action in a room).
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { Command } from "../command_registry.ts";
import type { ChatServices } from "../chat_services.ts";
import type { ChatEvent } from "../events.ts";
import type { Member } from "../member.ts";
import { foldNick } from "../nick.ts";
import { excerpt } from "../sanitize.ts";
import { tellAway } from "./status.ts";

/** `/msg <nick> <text>`: a private message only the two members see. */
export const MSG_COMMAND: Command = {
  name: "msg",
  usage: "<nick> <text>",
  help: "Send a private message that only you and <nick> see",
  minArgs: 2,
  maxArgs: 2,
  rest: true,
  aliases: ["dm", "query"],
  run: ({ chat, member }, [nick, text]) => sendDirect(chat, member, nick, text, "say"),
};

/** `/describe <nick> <action>`: a `/me` in a private conversation. */
export const DESCRIBE_COMMAND: Command = {
  name: "describe",
  usage: "<nick> <action>",
  help: "Describe what you do to <nick> alone, a private /me (/me in a private view sends this)",
  minArgs: 2,
  maxArgs: 2,
  rest: true,
  aliases: ["action"],
  run: ({ chat, member }, [nick, text]) => sendDirect(chat, member, nick, text, "action"),
};

/** Sends a private message or action; a sender writing to an away member is told. */
function sendDirect(
  chat: ChatServices,
  member: Member,
  nick: string,
  text: string,
  kind: "say" | "action",
): void {
  const target = chat.presence.find(foldNick(nick));
  if (!target) throw new ChatError("no_such_nick", `No one called "${excerpt(nick)}" is here`);
  chat.mutes.refuse(member);
  const event: ChatEvent = {
    type: "dm",
    ts: chat.now(),
    from: member.nick,
    to: target.nick,
    text: chat.cleanMessage(text),
    kind,
  };
  target.sink.deliver(event);
  if (target !== member) member.sink.deliver(event);
  tellAway(chat, member, target);
  if (chat.storePrivate) chat.history.appendPrivate(event);
}

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
