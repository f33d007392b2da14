/**
 * How the hub lets a shared presence (a cluster's) act on members of other
 * nodes: they sit in this node's rooms so that every member list, count and
 * `/whois` shows them, but their joins, leaves and messages are announced by
 * their own node through the room log, so here they enter and leave rooms
 * quietly.
 *
 * @module
 */

import type { ChatServices } from "./chat_services.ts";
import type { AwayEvent, ByeEvent, LeaveReason, NickEvent } from "./events.ts";
import type { Member } from "./member.ts";
import type { Room } from "./room.ts";
import type { RoomDirectory } from "./room_directory.ts";
import { checkRoomName, foldRoom } from "./room_name.ts";
import type { PresenceRoster } from "./state/presence.ts";

/** The hub's side of {@linkcode PresenceRoster}. */
export class RemoteRoster implements PresenceRoster {
  readonly #rooms: RoomDirectory;
  readonly #chat: ChatServices;

  /** A roster over `rooms`, acting through the hub's `chat`. */
  constructor(rooms: RoomDirectory, chat: ChatServices) {
    this.#rooms = rooms;
    this.#chat = chat;
  }

  place(member: Member, names: readonly string[]): void {
    const wanted = new Set<string>();
    for (const raw of names) {
      let name: string;
      try {
        name = checkRoomName(raw);
      } catch {
        continue; // Another node's word is checked like a peer's.
      }
      const folded = foldRoom(name);
      wanted.add(folded);
      if (member.rooms.has(folded)) continue;
      let room: Room;
      try {
        room = this.#rooms.open(name);
      } catch {
        continue; // Too many rooms here: the member is listed where it fits.
      }
      this.#rooms.enter(member, room);
      member.current ??= room;
    }
    for (const room of [...member.rooms.values()]) {
      if (!wanted.has(room.foldedName)) this.#rooms.withdraw(member, room);
    }
  }

  withdraw(member: Member): void {
    member.gone = true;
    for (const room of [...member.rooms.values()]) this.#rooms.withdraw(member, room);
    member.current = undefined;
  }

  renamed(member: Member, old: string): void {
    const ts = this.#chat.now();
    const peers = new Map<Member, string[]>();
    for (const room of member.rooms.values()) {
      room.invalidate();
      for (const peer of room.members) {
        if (peer.remote) continue; // Its own node tells it.
        const rooms = peers.get(peer);
        if (rooms) rooms.push(room.name);
        else peers.set(peer, [room.name]);
      }
    }
    for (const [peer, rooms] of peers) {
      const event: NickEvent = { type: "nick", ts, old, new: member.nick, rooms };
      peer.sink.deliver(event);
    }
  }

  away(member: Member, message: string | undefined): void {
    member.away = message;
    // This node's room-mates are told as they are of a member here (`/away`).
    const peers = new Map<Member, string[]>();
    for (const room of member.rooms.values()) {
      if (message === undefined) room.away.delete(member);
      else room.away.add(member);
      if (!this.#rooms.announces(room)) continue;
      for (const peer of room.members) {
        if (peer.remote) continue; // Its own node tells it.
        const rooms = peers.get(peer);
        if (rooms) rooms.push(room.name);
        else peers.set(peer, [room.name]);
      }
    }
    const ts = this.#chat.now();
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

  announceLeave(
    member: Member,
    rooms: readonly Room[],
    reason: LeaveReason,
    message: string,
  ): void {
    for (const room of rooms) {
      this.#rooms.emit(room, {
        type: "leave",
        ts: this.#chat.now(),
        nick: member.nick,
        reason,
        message,
      });
    }
  }

  disconnect(
    member: Member,
    reason: LeaveReason,
    message: string | undefined,
    bye: ByeEvent | undefined,
    banned: boolean,
  ): void {
    if (bye) this.#chat.disconnect(member, reason, message, bye, banned);
    else this.#chat.leave(member, reason, message, banned);
  }
}
