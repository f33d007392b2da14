/**
 * The last session, remembered in the config directory
 * (`last_session.json`): the server joined, the nick and the rooms. A
 * `chat-client` started without saying where goes back there, and a client
 * that connects to that server again rejoins the rooms.
 *
 * @module
 */

import { writeAtomically } from "../atomic_write.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { foldRoom } from "../core/room_name.ts";
import type { RoomsChange } from "./session_events.ts";

/** The remembered session's file name in the config directory. */
export const SESSION_FILE = "last_session.json";

/** Rooms kept at most (a file edited by hand cannot make the client join thousands). */
const MAX_ROOMS = 100;

/** The rooms a user is in, and the one in use. */
export interface RoomsInUse {
  /** The rooms, in join order (display names). */
  rooms: readonly string[];
  /** The room in use, one of `rooms` (none when the user left every room). */
  current?: string;
}

/** The last session: where, as whom, in which rooms. */
export interface RememberedSession extends RoomsInUse {
  /** The server's address, as the client connected to it. */
  host: string;
  /** The server's port. */
  port: number;
  /** TLS, or plain TCP (`--plain`). */
  tls: boolean;
  /** The nick the server knew last (after any `/nick`). */
  nick: string;
  /** The server's own name (its welcome's), for finding it again on the LAN. */
  server?: string;
  /** Every node of the cluster it was (`--host a,b,c`, or a cluster found on the LAN). */
  hosts?: { host: string; port: number }[];
}

/** The file in `configDir`. */
export function sessionPath(configDir: string): string {
  return `${configDir.replace(/[\\/]+$/, "")}/${SESSION_FILE}`;
}

/**
 * The session remembered in `configDir`, or undefined when there is none
 * (or the file is not one we wrote: it is then ignored, and overwritten by
 * the next session).
 */
export function readRememberedSession(configDir: string): RememberedSession | undefined {
  let data: unknown;
  try {
    data = JSON.parse(Deno.readTextFileSync(sessionPath(configDir)));
  } catch {
    return undefined;
  }
  return asRememberedSession(data);
}

/** `data` as a remembered session, or undefined when it is not one. */
export function asRememberedSession(data: unknown): RememberedSession | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const text = (v: unknown): v is string => typeof v === "string" && v !== "" && v.length <= 256;
  if (!text(d.host) || !text(d.nick) || typeof d.tls !== "boolean") return undefined;
  if (typeof d.port !== "number" || !Number.isInteger(d.port) || d.port < 1 || d.port > 65535) {
    return undefined;
  }
  if (!Array.isArray(d.rooms) || !d.rooms.every(text)) return undefined;
  const rooms = (d.rooms as string[]).slice(0, MAX_ROOMS);
  const current = text(d.current) && rooms.includes(d.current) ? d.current : undefined;
  return {
    host: d.host,
    port: d.port,
    tls: d.tls,
    nick: d.nick,
    ...(text(d.server) ? { server: d.server } : {}),
    ...hostsOf(d.hosts),
    rooms,
    ...(current === undefined ? {} : { current }),
  };
}

/**
 * Writes the session to `configDir` atomically (a temporary file renamed
 * over the old one), so a client killed while writing leaves the old
 * session or the new one, never half of one.
 *
 * @throws {Deno.errors.PermissionDenied} and other file errors
 */
export function writeRememberedSession(configDir: string, session: RememberedSession): void {
  Deno.mkdirSync(configDir, { recursive: true, mode: 0o700 });
  writeAtomically(sessionPath(configDir), JSON.stringify(session, null, 2) + "\n", 0o600);
}

/**
 * The frames that put a new connection, which the server placed in
 * `lobby`, in the remembered rooms: joins of the others, the current one
 * joined last (so it is current again), and a part of the lobby when the
 * user had left it. Pure.
 */
export function restoreFrames(remembered: RoomsInUse, lobby: string): ClientFrame[] {
  const foldedLobby = foldRoom(lobby);
  const current = remembered.current === undefined ? undefined : foldRoom(remembered.current);
  const frames: ClientFrame[] = [];
  const join = (room: string) => frames.push({ type: "cmd", name: "join", args: room });
  const seen = new Set<string>([foldedLobby]);
  for (const room of remembered.rooms) {
    const folded = foldRoom(room);
    if (seen.has(folded) || folded === current) continue;
    seen.add(folded);
    join(room);
  }
  if (remembered.rooms.length > 0 && !remembered.rooms.some((r) => foldRoom(r) === foldedLobby)) {
    frames.push({ type: "cmd", name: "part", args: lobby });
  }
  // The current room joined last is current again (the lobby too, after other joins).
  if (remembered.current !== undefined && (current !== foldedLobby || frames.length > 0)) {
    join(remembered.current);
  }
  return frames;
}

/**
 * Keeps the remembered session up to date while the client runs: each
 * change of nick or rooms is written (only when something changed).
 * Writing is best effort: a config directory that cannot be written costs
 * the memory, not the chat; the first failure is reported once.
 */
export class SessionMemory {
  #last = "";
  #failed = false;

  /**
   * Remembers sessions with `server` in `configDir`.
   *
   * @param configDir the config directory
   * @param server where the client connected
   * @param onError told once when the file cannot be written
   */
  constructor(
    readonly configDir: string,
    readonly server: Pick<RememberedSession, "host" | "port" | "tls" | "hosts">,
    readonly onError: (message: string) => void = () => {},
  ) {}

  /** Writes the nick and rooms now in use, when they changed. */
  update(change: RoomsChange): void {
    const session: RememberedSession = {
      ...this.server,
      nick: change.nick,
      ...(change.server ? { server: change.server } : {}),
      rooms: [...change.rooms],
      ...(change.current === undefined ? {} : { current: change.current }),
    };
    const text = JSON.stringify(session);
    if (text === this.#last) return;
    try {
      writeRememberedSession(this.configDir, session);
      this.#last = text;
    } catch (error) {
      if (this.#failed) return;
      this.#failed = true;
      this.onError(
        `cannot remember this session in ${sessionPath(this.configDir)}: ${
          (error as Error).message
        }`,
      );
    }
  }
}

/** At most 16 `{host, port}` entries from a remembered file, or nothing. */
function hostsOf(value: unknown): { hosts?: { host: string; port: number }[] } {
  if (!Array.isArray(value)) return {};
  const hosts = value.slice(0, 16).filter((h): h is { host: string; port: number } =>
    typeof h === "object" && h !== null && typeof h.host === "string" && h.host !== "" &&
    h.host.length <= 256 && Number.isInteger(h.port) && h.port >= 1 && h.port <= 65535
  ).map(({ host, port }) => ({ host, port }));
  return hosts.length > 1 ? { hosts } : {};
}
