/**
 * Room names: what a room may be called ({@linkcode checkRoomName}) and when
 * two names are one room ({@linkcode foldRoom}). The server and the clients
 * both fold with `foldRoom`, so they agree on which room an event is for.
 *
 * @module
 */

import { ChatError } from "./errors.ts";
import { excerpt, unsafeCharacter } from "./sanitize.ts";
import { fold } from "./fold.ts";

const ROOM_PATTERN = /^#[\p{L}\p{N}_.\-]{1,32}$/u;

/**
 * Checks a room name as typed and returns it with its `#`, NFC-normalised.
 *
 * @throws {ChatError} `bad_room`, naming the problem
 */
export function checkRoomName(raw: string): string {
  const trimmed = raw.trim().normalize("NFC");
  const name = trimmed.startsWith("#") ? trimmed : `#${trimmed}`;
  const unsafe = unsafeCharacter(trimmed);
  if (unsafe) {
    throw new ChatError("bad_room", `Room name "${excerpt(trimmed)}" contains ${unsafe}`);
  }
  if (!ROOM_PATTERN.test(name)) {
    throw new ChatError(
      "bad_room",
      `Room name "${excerpt(trimmed)}" must be "#" and 1 to 32 letters, digits, "_", "-" or "."`,
    );
  }
  return name;
}

/**
 * The folded form of a room name, under which a room is found and stored:
 * NFKC-normalised and case-folded, so "#Ops", "#OPS" and "#ｏｐｓ" (full
 * width) are one room. Not for display.
 *
 * @example
 * ```ts
 * import { foldRoom } from "./room_name.ts";
 * foldRoom("#ＯＰＳ") === foldRoom("#ops"); // true
 * ```
 */
export function foldRoom(name: string): string {
  return fold(name);
}
