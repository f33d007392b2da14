/**
 * Commands that send text: `/msg` (private), `/describe` (a private action),
 * `/me` (an action in a room) and `/notice` (to a room or a nick).
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { Command } from "../command_registry.ts";
import type { ChatServices } from "../chat_services.ts";
import type { ChatEvent, MessageKind } from "../events.ts";
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

/**
 * `/notice <#room|nick> <text>`: a notice, IRC's NOTICE: shown apart from
 * messages, and by convention never answered automatically (a bot answers a
 * message, never a notice, so two bots cannot answer each other forever).
 */
export const NOTICE_COMMAND: Command = {
  name: "notice",
  usage: "<#room|nick> <text>",
  help: "Send a notice to a room you are in or to <nick>: a message bots never answer",
  minArgs: 2,
  maxArgs: 2,
  rest: true,
  run: ({ chat, member }, [target, text]) => {
    if (!target.startsWith("#")) return sendDirect(chat, member, target, text, "notice");
    return chat.say(member, text, chat.rooms.target(member, target), "notice");
  },
};

/**
 * Sends a private message, action or notice; a sender writing to an away
 * member is told, except with a notice (nothing answers a notice).
 */
function sendDirect(
  chat: ChatServices,
  member: Member,
  nick: string,
  text: string,
  kind: MessageKind,
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
  if (kind !== "notice") tellAway(chat, member, target);
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
