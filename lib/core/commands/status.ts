/**
 * Commands about what a room is about and whether a member is here:
 * `/topic`, `/away`, `/back`.
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { ChatServices } from "../chat_services.ts";
import type { Command } from "../command_registry.ts";
import type { AwayEvent } from "../events.ts";
import type { Member } from "../member.ts";
import { checkRoomName, foldRoom } from "../room_name.ts";
import { cleanLine, excerpt, sanitizeText } from "../sanitize.ts";

/** Longest topic, in characters (code points). */
export const MAX_TOPIC_LENGTH = 300;

/** Longest away message kept, in characters (code points). */
export const MAX_AWAY_LENGTH = 200;

/**
 * `/topic [#room] [text]`: shows a room's topic, or sets it. Any member of
 * the room may set it (lanchat rooms have no owners), and an operator may
 * set any room's; `--clear` removes it.
 */
export const TOPIC_COMMAND: Command = {
  name: "topic",
  usage: "[#room] [text] [--clear]",
  help: "Show the room's topic, set it (members of the room may), or --clear it",
  minArgs: 0,
  maxArgs: 2,
  rest: true,
  flags: ["--clear"],
  run: (ctx, args) => {
    const { chat, member, flags } = ctx;
    // "/topic #dev" names a room; "/topic release on friday" sets the current one's.
    const named = args[0]?.startsWith("#");
    const name = named ? checkRoomName(args[0]) : ctx.room.name;
    const text = (named ? args[1] : args.join(" ")) ?? "";
    const room = member.rooms.get(foldRoom(name)) ?? chat.rooms.find(name);
    if (!room) throw new ChatError("bad_room", `There is no room "${excerpt(name)}"`);
    const clear = flags.has("--clear");
    if (!clear && text.trim() === "") {
      ctx.reply({
        type: "room_topic",
        room: room.name,
        ...(room.topic ? { topic: room.topic } : {}),
      });
      return;
    }
    if (clear && text.trim() !== "") {
      throw new ChatError("bad_args", "Give a topic or --clear, not both");
    }
    if (!member.operator && !member.rooms.has(room.foldedName)) {
      throw new ChatError("not_in_room", `You are not in ${room.name}; /join it to set its topic`);
    }
    chat.mutes.refuse(member, "the topic was not changed");
    const topic = clear ? "" : cleanTopic(text);
    if (topic === (room.topic?.text ?? "")) {
      throw new ChatError(
        "bad_args",
        topic ? `The topic of ${room.name} is already that` : `${room.name} has no topic`,
      );
    }
    chat.rooms.emit(room, { type: "topic", ts: chat.now(), nick: member.nick, text: topic });
  },
};

/**
 * A topic as it may be set: one line, sanitised as a message is, at most
 * {@linkcode MAX_TOPIC_LENGTH} characters (a longer one is refused, not cut).
 *
 * @throws {ChatError} `message_too_long`
 */
export function cleanTopic(text: string): string {
  const clean = sanitizeText(text).trim();
  const length = [...clean].length;
  if (length > MAX_TOPIC_LENGTH) {
    throw new ChatError(
      "message_too_long",
      `Topic is ${length} characters long; the limit is ${MAX_TOPIC_LENGTH}`,
    );
  }
  return clean;
}

/** `/away [message]`: marks the member away (with a message), or back without one. */
export const AWAY_COMMAND: Command = {
  name: "away",
  usage: "[message]",
  help: "Say you are away (others see it in /who, /whois and when they write to you); alone: back",
  minArgs: 0,
  maxArgs: 1,
  rest: true,
  run: ({ chat, member }, [message]) => {
    // A muted member's words reach no one: it may go away, with a plain message.
    const muted = chat.mutes.until(member) !== undefined;
    const clean = message === undefined ? "" : cleanLine(message, MAX_AWAY_LENGTH);
    setAway(chat, member, message === undefined ? undefined : muted || !clean ? "away" : clean);
  },
};

/** `/back`: no longer away. */
export const BACK_COMMAND: Command = {
  name: "back",
  usage: "",
  help: "Say you are back (after /away)",
  minArgs: 0,
  maxArgs: 0,
  rest: false,
  run: ({ chat, member }) => setAway(chat, member, undefined),
};

/**
 * Sets or clears a member's away message and tells it and everyone sharing
 * a room with it (through rooms small enough to announce joins).
 */
function setAway(chat: ChatServices, member: Member, message: string | undefined): void {
  if (message === undefined && member.away === undefined) {
    throw new ChatError("bad_args", "You are not away");
  }
  member.away = message;
  chat.presence.changed?.(member);
  for (const room of member.rooms.values()) {
    if (message === undefined) room.away.delete(member);
    else room.away.add(member);
  }
  const ts = chat.now();
  const peers = new Map<Member, string[]>([[member, []]]);
  for (const room of member.rooms.values()) {
    const announced = chat.rooms.announces(room);
    for (const peer of announced ? room.members : [member]) {
      const rooms = peers.get(peer);
      if (rooms) rooms.push(room.name);
      else peers.set(peer, [room.name]);
    }
  }
  for (const [peer, rooms] of peers) {
    const event: AwayEvent = {
      type: "away",
      ts,
      nick: member.nick,
      ...(message === undefined ? {} : { message }),
      rooms,
    };
    peer.sink.deliver(event);
  }
}

/** Tells the sender of a private message that its recipient is away (as IRC's 301). */
export function tellAway(chat: ChatServices, sender: Member, target: Member): void {
  if (target.away === undefined || target === sender) return;
  sender.sink.deliver({
    type: "away",
    ts: chat.now(),
    nick: target.nick,
    message: target.away,
    rooms: [],
    dm: true,
  });
}
