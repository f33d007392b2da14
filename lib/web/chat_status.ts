/**
 * Room topics and away status as the page shows them: the words of the
 * lines (`chat_model.ts` adds them) and the lists kept on a conversation.
 * User text reaches the page only as text (never as markup).
 *
 * @module
 */

import type { AwayEvent, RoomTopicEvent, TopicEvent } from "../core/events.ts";
import type { Conversation } from "./conversation.ts";

/** A topic change as a room line, e.g. `ana set the topic: release on friday`. */
export function topicText(event: TopicEvent): string {
  return event.text
    ? `${event.nick} set the topic: ${event.text}`
    : `${event.nick} cleared the topic`;
}

/** The answer to `/topic`. */
export function roomTopicText(event: RoomTopicEvent): string {
  return event.topic
    ? `Topic of ${event.room}: ${event.topic.text} (set by ${event.topic.by})`
    : `${event.room} has no topic`;
}

/** An away change (or the answer to a private message) in words. */
export function awayText(event: AwayEvent, self: string): string {
  const who = event.nick === self && !event.dm ? "You are" : `${event.nick} is`;
  return event.message === undefined ? `${who} back` : `${who} away: ${event.message}`;
}

/** Keeps a room's list of away members up to date with an away event. */
export function applyAway(room: Conversation, event: AwayEvent): void {
  const others = (room.away ?? []).filter((nick) => nick !== event.nick);
  room.away = event.message === undefined ? others : [...others, event.nick].sort();
}
