/**
 * How an IRC client's member list stays honest in a big room (lanchat's
 * form of ergo's auditorium mode): past the server's announce limit the core
 * lists only the first members in a join's snapshot and stops announcing
 * joins and leaves one by one, so an IRC client that built its nick list
 * from 353 and JOIN/PART/QUIT would show a list that is silently wrong. Such
 * a joiner is told so, right after the 366: how many members there are, how
 * many were listed, and that NAMES or WHO lists everyone. Anyone who speaks
 * still arrives as a PRIVMSG with their nick (clients accept messages from
 * nicks not in their list), and held-back joins and leaves are summed up in
 * one NOTICE by the core (lib/core/announcements.ts).
 *
 * @module
 */

import type { RoomSnapshot } from "../core/events.ts";

/**
 * The NOTICE to the room after its names when the snapshot lists fewer
 * members than the room has; nothing otherwise. `line` formats a server
 * line (the renderer's `serverLine`).
 */
export function bigRoomNotice(
  snapshot: RoomSnapshot,
  line: (command: string, params: readonly string[]) => string,
): string {
  const count = snapshot.memberCount ?? snapshot.members.length;
  if (count <= snapshot.members.length) return "";
  return line("NOTICE", [
    snapshot.room,
    `${snapshot.room} has ${count} members; the list above shows ${snapshot.members.length} ` +
    "of them, and in a room this big joins and leaves are not shown one by one. " +
    `NAMES ${snapshot.room} or WHO ${snapshot.room} lists everyone`,
  ]);
}
