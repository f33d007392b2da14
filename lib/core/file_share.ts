/**
 * Announcing a shared file (issue 18): where a member may send one (a room
 * it is in, or a DM to someone online), and the message that tells the room
 * or the two of them. The bytes are stored by the server before the
 * announcement; the core only checks the target and says it, in the room's
 * order, so history, every codec and retention see the file as a message.
 *
 * @module
 */

import type { ChatServices } from "./chat_services.ts";
import { ChatError } from "./errors.ts";
import type { ChatEvent, SharedFile } from "./events.ts";
import type { Member } from "./member.ts";
import { foldNick } from "./nick.ts";
import type { Room } from "./room.ts";
import { excerpt } from "./sanitize.ts";
import { readAccess } from "./state/access_store.ts";

/** Where a file goes: a room (by name) or a member (by nick). */
export type FileTarget = { room: string } | { to: string };

/**
 * A target checked: the room the sender is in, or the member online; and
 * `uploaders`, what the sender's upload limits are counted by (see
 * {@linkcode uploaderKeys}).
 */
export type CheckedTarget = ({ room: Room } | { peer: Member }) & { uploaders: string[] };

/**
 * What a member's upload limits (rate, uploads at once) are counted by, so
 * that reconnecting does not reset them; each must allow the upload: the
 * address it connects from (`ip:<address>`, else the session,
 * `member:<id>`), and also its nick when registered to the key it proved
 * (`nick:<folded>`), so the nick's limits follow it to other addresses
 * while throw-away keys from one address do not multiply the address's.
 */
export function uploaderKeys(chat: ChatServices, member: Member): string[] {
  const keys = [member.address !== undefined ? `ip:${member.address}` : `member:${member.id}`];
  const registration = readAccess(() => chat.access.registration(member.foldedNick));
  if (registration && registration.fingerprint === member.fingerprint) {
    keys.push(`nick:${member.foldedNick}`);
  }
  return keys;
}

/**
 * The room or the member a file may go to, or why not.
 *
 * @throws {ChatError} `not_in_room`, `bad_room`, `no_such_nick`, `muted`
 */
export function checkFileTarget(
  chat: ChatServices,
  member: Member,
  target: FileTarget,
): CheckedTarget {
  chat.mutes.refuse(member, "you cannot send files");
  const uploaders = uploaderKeys(chat, member);
  if ("room" in target) return { room: chat.rooms.target(member, target.room), uploaders };
  const peer = chat.presence.find(foldNick(target.to));
  if (!peer) throw new ChatError("no_such_nick", `No one called "${excerpt(target.to)}" is here`);
  return { peer, uploaders };
}

/**
 * Says that `member` shared `file`: a message in the room (in its order,
 * recorded like any message), or a DM to both (recorded with
 * `storePrivate`). `text` is the line a text or IRC client shows.
 *
 * @throws {ChatError} as {@linkcode checkFileTarget}: the sender may have left since the upload began
 */
export function shareFile(
  chat: ChatServices,
  member: Member,
  target: FileTarget,
  file: SharedFile,
  text: string,
): void {
  const checked = checkFileTarget(chat, member, target);
  const ts = chat.now();
  if ("room" in checked) {
    chat.rooms.emit(
      checked.room,
      { type: "msg", ts, from: member.nick, text, kind: "say", file },
      member.echo ? undefined : member,
    );
    return;
  }
  const event: ChatEvent = {
    type: "dm",
    ts,
    from: member.nick,
    to: checked.peer.nick,
    text,
    kind: "say",
    file,
  };
  checked.peer.sink.deliver(event);
  if (checked.peer !== member) member.sink.deliver(event);
  if (chat.storePrivate) chat.history.appendPrivate(event);
}
