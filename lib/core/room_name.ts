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
  // The last answer is kept: a broadcast's msgid tags and a flood's requests fold one name in turn.
  if (name === lastFolded) return lastFold;
  const folded = fold(name);
  lastFolded = name;
  lastFold = folded;
  return folded;
}

let lastFolded: string | undefined;
let lastFold = "";

/**
 * `foldRoom(checkRoomName(raw))`: the key of the room a request names. The
 * last good answer is kept: an IRC client names the room in every PRIVMSG,
 * and a flood names the same one line after line. A bad name throws every
 * time, as checkRoomName does.
 *
 * @throws {ChatError} `bad_room`, naming the problem
 */
export function roomKey(raw: string): string {
  if (raw === lastNamed) return lastKey;
  const key = foldRoom(checkRoomName(raw));
  lastNamed = raw;
  lastKey = key;
  return key;
}

let lastNamed: string | undefined;
let lastKey = "";
