/**
 * Room topics and away status over IRC, for {@linkcode IrcCodec}: `TOPIC`
 * (331/332/333, the TOPIC line), `AWAY` (305/306, 301, the `away-notify`
 * AWAY line) and the topic in the join burst. The core keeps both (the
 * `/topic`, `/away` and `/back` commands); this module only translates.
 *
 * @module
 */

import type { AwayEvent, RoomTopicEvent, TopicEvent } from "../core/events.ts";
import { foldNick } from "../core/nick.ts";
import type { DecodedFrame } from "./codec.ts";
import { formatIrcLine, stripFormatting } from "./irc_line.ts";
import {
  type IrcReader,
  serverLine,
  textLine,
  timeTag,
  topicLines,
  userSource,
} from "./irc_render.ts";

/** What the codec hands this module with a command. */
export interface IrcStatusContext {
  /** A line the codec answers itself, in order with the core's answers. */
  reply(numeric: string, params: string[]): DecodedFrame;
  /** Remembers the target of the request, for the numeric of its error. */
  target(name: string): void;
}

/** One IRC connection's side of topics and away: the commands in, the events out. */
export class IrcStatus {
  /** Whether the reader is away now (as its own away events said). */
  #away = false;

  /**
   * `TOPIC #room [:text]` and `AWAY [:message]` as core commands; undefined
   * for a command that is not theirs. `TOPIC #room :` (empty) clears the
   * topic; `AWAY` alone, or with an empty message, is back.
   */
  command(command: string, params: string[], ctx: IrcStatusContext): DecodedFrame[] | undefined {
    switch (command) {
      case "TOPIC": {
        const room = params[0];
        // An empty room would be the core's current room, which IRC does not see;
        // one with a space more words (`TOPIC :#a --clear`).
        if (!room || /\s/.test(room)) return [ctx.reply("461", ["TOPIC", "Not enough parameters"])];
        ctx.target(room);
        if (params.length === 1) return [{ type: "cmd", name: "topic", args: room }];
        const text = stripFormatting(params[1]).trim();
        return [{ type: "cmd", name: "topic", args: text ? `${room} ${text}` : `${room} --clear` }];
      }
      case "AWAY": {
        const message = stripFormatting(params[0] ?? "").trim();
        if (message) return [{ type: "cmd", name: "away", args: message }];
        // Already back: IRC answers 305 all the same; the core would refuse.
        if (!this.#away) return [ctx.reply("305", ["You are no longer marked as being away"])];
        return [{ type: "cmd", name: "back", args: "" }];
      }
    }
    return undefined;
  }

  /** A topic or away event as this reader's lines. */
  render(
    event: TopicEvent | RoomTopicEvent | AwayEvent,
    reader: IrcReader,
    awayNotify: boolean,
  ): string {
    if (event.type === "room_topic") return topicLines(reader.me, event.room, event.topic);
    const tags = reader.serverTime ? timeTag(event.ts) : undefined;
    if (event.type === "topic") return topicChangeLine(event, tags);
    if (!event.dm && foldNick(event.nick) === foldNick(reader.me)) {
      this.#away = event.message !== undefined;
    }
    return awayLines(event, reader.me, awayNotify, tags);
  }
}

/** A topic change as the TOPIC line every member of the room sees. */
export function topicChangeLine(event: TopicEvent, tags: string | undefined): string {
  return formatIrcLine(userSource(event.nick), "TOPIC", [event.room, event.text], {
    trailing: true,
    tags,
  });
}

/**
 * An away event for this reader: its own as 306/305, a private message's
 * answer as 301, someone else's as an AWAY line (only with `away-notify`).
 */
export function awayLines(
  event: AwayEvent,
  me: string,
  awayNotify: boolean,
  tags?: string,
): string {
  if (event.dm) return textLine("301", [me, event.nick, event.message ?? "away"]);
  if (foldNick(event.nick) === foldNick(me)) {
    return event.message === undefined
      ? serverLine("305", [me, "You are no longer marked as being away"])
      : serverLine("306", [me, "You have been marked as being away"]);
  }
  if (!awayNotify) return "";
  const params = event.message === undefined ? [] : [event.message];
  return formatIrcLine(userSource(event.nick), "AWAY", params, {
    trailing: event.message !== undefined,
    tags,
  });
}
