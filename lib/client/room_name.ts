/**
 * Room names as the client compares them: folded the way the server folds
 * them, so the client never holds two panes, or two rejoins, for what the
 * server takes for one room.
 *
 * @module
 */

import { nickKey } from "../core/nick.ts";

/**
 * A room name folded as the server folds it (NFKC, then case), so that
 * `#Ops` and `#ｏｐｓ` are one room here as they are there.
 */
export function foldRoomName(name: string): string {
  return nickKey(name);
}
