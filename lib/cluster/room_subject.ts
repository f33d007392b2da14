/**
 * Room names as NATS subjects. A folded room name may hold characters a
 * subject token may not (`.`, `*`, `>`, spaces, anything non-ASCII), so the
 * token is the name's UTF-8 bytes in unpadded base64url, which uses only
 * `A-Z a-z 0-9 - _`. One subject per room under one prefix lets one stream
 * hold every room and a consumer filter on `prefix.>`.
 *
 * @module
 */

/** The subject prefix of the room log's stream. @default {"lanchat.room"} */
export const ROOM_SUBJECT_PREFIX = "lanchat.room";

/** Thrown for a subject that is not a room's under the prefix. */
export class RoomSubjectError extends Error {
  /** Names the error. */
  constructor(message: string) {
    super(message);
    this.name = "RoomSubjectError";
  }
}

/**
 * Names converted lately, both ways: every event of a room converts the
 * same name (measured: ~9% of a node's CPU per event read, uncached).
 */
const subjects = new Map<string, string>();
const rooms = new Map<string, string>();
/** The most names remembered each way (then forgotten all at once). */
const REMEMBERED = 4_096;

function remember(cache: Map<string, string>, key: string, value: string): string {
  if (cache.size >= REMEMBERED) cache.clear();
  cache.set(key, value);
  return value;
}

/** The subject of a room, from its folded name. */
export function roomSubject(folded: string, prefix: string = ROOM_SUBJECT_PREFIX): string {
  const key = `${prefix}\u0000${folded}`;
  return subjects.get(key) ??
    remember(subjects, key, `${prefix}.${toBase64Url(new TextEncoder().encode(folded))}`);
}

/** The folded room name a subject stands for; throws {@linkcode RoomSubjectError} otherwise. */
export function roomOfSubject(subject: string, prefix: string = ROOM_SUBJECT_PREFIX): string {
  const key = `${prefix}\u0000${subject}`;
  return rooms.get(key) ?? remember(rooms, key, decodeRoom(subject, prefix));
}

function decodeRoom(subject: string, prefix: string): string {
  const token = subject.startsWith(`${prefix}.`) ? subject.slice(prefix.length + 1) : "";
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new RoomSubjectError(`Subject "${subject}" is not a room under "${prefix}"`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(token));
  } catch {
    throw new RoomSubjectError(`Subject "${subject}" does not name a room in UTF-8`);
  }
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(token: string): Uint8Array {
  const base64 = token.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(base64 + "=".repeat((4 - base64.length % 4) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
