/**
 * Room topics and away status over IRC, for {@linkcode IrcCodec}: `TOPIC`
 * (331/332/333, the TOPIC line), `AWAY` (305/306, 301, the `away-notify`
 * AWAY line) and the topic in the join burst. The core keeps both (the
 * `/topic`, `/away` and `/back` commands); this module only translates.
 *
 * @module
 */

import type { AwayEvent, TopicEvent } from "../core/events.ts";
import { foldNick } from "../core/nick.ts";
import type { DecodedFrame } from "./codec.ts";
import { formatIrcLine, stripFormatting } from "./irc_line.ts";
import { serverLine, textLine, userSource } from "./irc_render.ts";

/** What the codec hands this module of its state. */
export interface IrcStatusContext {
  /** The reader's nick. */
  me: string;
  /** Whether the reader asked for `away-notify`. */
  awayNotify: boolean;
  /** Whether the reader is away now (as its own away events said). */
  away: boolean;
  /** A line the codec answers itself, in order with the core's answers. */
  reply(numeric: string, params: string[]): DecodedFrame;
  /** Remembers the target of the request, for the numeric of its error. */
  target(name: string): void;
}

/**
 * `TOPIC #room [:text]` and `AWAY [:message]` as core commands; undefined
 * for a command that is not theirs. `TOPIC #room :` (empty) clears the
 * topic; `AWAY` alone, or with an empty message, is back.
 */
export function statusCommand(
  command: string,
  params: string[],
  ctx: IrcStatusContext,
): DecodedFrame[] | undefined {
  switch (command) {
    case "TOPIC": {
      const room = params[0];
      if (room === undefined) return [ctx.reply("461", ["TOPIC", "Not enough parameters"])];
      ctx.target(room);
      if (params.length === 1) return [{ type: "cmd", name: "topic", args: room }];
      const text = stripFormatting(params[1]).trim();
      return [{ type: "cmd", name: "topic", args: text ? `${room} ${text}` : `${room} --clear` }];
    }
    case "AWAY": {
      const message = stripFormatting(params[0] ?? "").trim();
      if (message) return [{ type: "cmd", name: "away", args: message }];
      // Already back: IRC answers 305 all the same; the core would refuse.
      if (!ctx.away) return [ctx.reply("305", ["You are no longer marked as being away"])];
      return [{ type: "cmd", name: "back", args: "" }];
    }
  }
  return undefined;
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
export function awayLines(event: AwayEvent, ctx: IrcStatusContext, tags?: string): string {
  const { me } = ctx;
  if (event.dm) return textLine("301", [me, event.nick, event.message ?? "away"]);
  if (foldNick(event.nick) === foldNick(me)) {
    return event.message === undefined
      ? serverLine("305", [me, "You are no longer marked as being away"])
      : serverLine("306", [me, "You have been marked as being away"]);
  }
  if (!ctx.awayNotify) return "";
  const params = event.message === undefined ? [] : [event.message];
  return formatIrcLine(userSource(event.nick), "AWAY", params, {
    trailing: event.message !== undefined,
    tags,
  });
}
