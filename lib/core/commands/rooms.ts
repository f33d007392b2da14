/**
 * Commands about rooms: `/who`, `/join`, `/part`, `/rooms` (with topics).
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { Command } from "../command_registry.ts";
import { checkRoomName, foldRoom } from "../room_name.ts";
import { excerpt } from "../sanitize.ts";

/** `/who [#room]`: the members of a room. */
export const WHO_COMMAND: Command = {
  name: "who",
  usage: "[#room]",
  help: "List the members of the room",
  minArgs: 0,
  maxArgs: 1,
  rest: false,
  aliases: ["names"],
  run: (ctx, [raw]) => {
    // The room typed in is resolved first, named or not: a frame from a room
    // the member is not in is refused (not_in_room), as it always was.
    const here = ctx.room;
    const name = raw ?? here.name;
    const room = ctx.chat.rooms.find(checkRoomName(name));
    if (!room) throw new ChatError("bad_room", `There is no room "${excerpt(name)}"`);
    const away = room.away.size === 0 ? [] : room.awayNicks();
    ctx.reply({
      type: "who",
      room: room.name,
      members: room.nicks(),
      ...(away.length > 0 ? { away } : {}),
    });
  },
};

/** `/join <#room>`: joins a room (made if new) and makes it the current one. */
export const JOIN_COMMAND: Command = {
  name: "join",
  usage: "<#room>",
  help: "Join a room (created if new) and make it your current room",
  minArgs: 1,
  maxArgs: 1,
  rest: false,
  run: ({ chat, member, reply }, [raw]) => {
    const { rooms } = chat;
    const name = checkRoomName(raw);
    const existing = member.rooms.get(foldRoom(name));
    if (existing) {
      member.current = existing;
      reply(rooms.snapshotInto(existing, { type: "joined" as const }));
      return;
    }
    const room = rooms.open(name);
    rooms.enter(member, room);
    member.current = room;
    reply(rooms.snapshotInto(room, { type: "joined" as const }));
    rooms.announceJoin(room, member);
    // An away member's new room-mates learn it at once (IRC's away-notify does the same).
    if (member.away !== undefined && rooms.announces(room)) {
      const away = { type: "away" as const, ts: chat.now(), nick: member.nick };
      for (const peer of room.members) {
        if (peer !== member) {
          peer.sink.deliver({ ...away, message: member.away, rooms: [room.name] });
        }
      }
    }
  },
};

/** `/part [#room] [reason]`: leaves a room; a member stays in at least one. */
export const PART_COMMAND: Command = {
  name: "part",
  usage: "[#room] [reason]",
  help: "Leave the room (the current one by default)",
  minArgs: 0,
  maxArgs: 2,
  rest: true,
  aliases: ["leave"],
  run: (ctx, args) => {
    const { chat, member } = ctx;
    // The room typed in is resolved first, as for /who.
    const here = ctx.room;
    // "/part bye all" leaves the current room with a reason; only a word
    // starting with "#" names a room.
    const named = args[0]?.startsWith("#");
    const name = checkRoomName(named ? args[0] : here.name);
    const reason = (named ? args[1] : args.join(" ")) || undefined;
    const room = member.rooms.get(foldRoom(name));
    if (!room && !chat.rooms.find(name)) {
      throw new ChatError("bad_room", `There is no room "${excerpt(name)}"`);
    }
    if (!room) throw new ChatError("not_in_room", `You are not in ${name}`);
    if (member.rooms.size === 1) {
      throw new ChatError(
        "bad_args",
        `${room.name} is your only room; /join another before leaving it`,
      );
    }
    const message = chat.leaveReason(member, reason);
    chat.rooms.exit(member, room, "part", message);
    if (member.current === room) member.current = [...member.rooms.values()].at(-1);
    ctx.reply({
      type: "parted",
      room: room.name,
      current: member.current!.name,
      ...(message !== undefined ? { message } : {}),
    });
  },
};

/** `/rooms`: every room and how many are in it, fullest first. */
export const ROOMS_COMMAND: Command = {
  name: "rooms",
  usage: "",
  help: "List the rooms, how many are in each, and their topics",
  minArgs: 0,
  maxArgs: 0,
  rest: false,
  aliases: ["list"],
  run: ({ chat, reply }) => {
    const rooms = [...chat.rooms.all()]
      .map((room) => ({
        room: room.name,
        members: room.members.size,
        ...(room.topic ? { topic: room.topic.text } : {}),
      }))
      .sort((a, b) => b.members - a.members || a.room.localeCompare(b.room));
    reply({ type: "rooms", rooms });
  },
};
