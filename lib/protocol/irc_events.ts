/**
 * The core's events as one IRC reader's lines, for {@linkcode IrcCodec}:
 * room events (shared bytes, once per broadcast and variant), the welcome,
 * JOIN and PART of the reader, DMs, topics and away, the answers to its
 * queries. What is rendered depends on what this reader saw before (the
 * rooms it is in, the QUIT just shown), so one instance serves one
 * connection. Errors are not here: the codec turns them into numerics (they
 * need its own lines and the requests' targets).
 *
 * @module
 */

import { foldNick } from "../core/nick.ts";
import { foldRoom } from "../core/room_name.ts";
import type { Capability } from "./irc_batch.ts";
import { IrcChathistory } from "./irc_chathistory.ts";
import type { IrcLocalLines } from "./irc_local.ts";
import type { DecodedFrame } from "./codec.ts";
import { formatIrcLine } from "./irc_line.ts";
import {
  IRC_SERVER,
  type IrcReader,
  type IrcServerInfo,
  joinedLines,
  namesLines,
  privmsgLines,
  replyLines,
  timeTag,
  userSource,
  welcomeLines,
  whoLines,
} from "./irc_render.ts";
import { ALONE, type IrcDirectory } from "./irc_queries.ts";
import { roomCapabilityBits, roomEventBytes } from "./irc_room_lines.ts";
import { IrcStatus } from "./irc_status.ts";
import { type EventEncoder, RunCache } from "./run_cache.ts";

/** The last run of messages as IRC lines, by capability bits (irc_room_lines.ts). */
const runs = new RunCache();
import type { MessageEvent } from "../core/events.ts";
import type { ErrorFrame, ServerFrame } from "./wire_frames.ts";

const encoder = new TextEncoder();
const NOTHING = new Uint8Array(0);
/** No rooms yet: shared; the rooms array is replaced on a change, never changed in place. */
const NO_ROOMS: readonly string[] = Object.freeze([]);

/** A room event: the same bytes for every reader of a variant. */
type RoomEvent = Extract<ServerFrame, { type: "msg" | "join" | "leave" }>;
/** What {@linkcode IrcEventLines.reply} renders. */
type ReplyEvent = Exclude<ServerFrame, RoomEvent | ErrorFrame>;

/**
 * One reader's rendering state; see the module doc. Most connections are
 * idle: what only some use is made when first used (see
 * docs/performance.md, "Memory per idle IRC client").
 */
export class IrcEventLines {
  /** The server's name and MOTD, from the welcome. */
  server = IRC_SERVER;
  motd: string | undefined;
  /** `CHATHISTORY` requests and their answers (irc_chathistory.ts). */
  readonly chathistory = new IrcChathistory();
  /** Whether each pending /who answers WHO (352) or NAMES (353); see expectWho. */
  #whoKinds: { kind: "who" | "names" }[] | undefined;
  #batches = 0;
  /**
   * Rooms the reader is in (folded), so a repeated JOIN is not shown twice:
   * an array of exactly their number (one, usually), replaced on a change.
   */
  #rooms: readonly string[] = NO_ROOMS;
  /** The rooms (folded) a LIST named, while its answer is due: only they are listed. */
  listOnly: ReadonlySet<string> | undefined;
  /** The nick of the QUIT just shown: a member leaving is one leave a room, one QUIT here. */
  #lastQuit = "";
  #status: IrcStatus | undefined;

  #caps: ReadonlySet<Capability>;
  /** What the capabilities change in room events (roomCapabilityBits), kept with them. */
  #capBits: number;

  /**
   * The reader's capabilities (the codec replaces the set on its first
   * CAP REQ) and its server's version.
   */
  constructor(
    caps: ReadonlySet<Capability>,
    readonly info: IrcServerInfo & { readonly directory?: IrcDirectory },
  ) {
    this.#caps = caps;
    this.#capBits = roomCapabilityBits(caps);
  }

  /** The reader's capabilities; after changing the set in place, call capsChanged(). */
  get caps(): ReadonlySet<Capability> {
    return this.#caps;
  }

  set caps(caps: ReadonlySet<Capability>) {
    this.#caps = caps;
    this.#capBits = roomCapabilityBits(caps);
  }

  /** The capabilities' set was changed in place (a CAP REQ): room events follow it from now on. */
  capsChanged(): void {
    this.#capBits = roomCapabilityBits(this.#caps);
  }

  /** The reader's topics and away (irc_status.ts), made when first needed. */
  get status(): IrcStatus {
    return this.#status ??= new IrcStatus();
  }

  /** Any event but an error, for the reader `me`. */
  encode(event: Exclude<ServerFrame, ErrorFrame>, me: string): Uint8Array {
    if (event.type !== "leave" || event.reason === "part") this.#lastQuit = "";
    if (event.type === "msg" || event.type === "join" || event.type === "leave") {
      return this.#roomEvent(event);
    }
    return encoder.encode(this.reply(event, me));
  }

  /**
   * A `/who` asked as WHO or NAMES. Its answer is a `who` event or an error
   * (a bad room, the rate limit): the returned function, run when the
   * request's turn has passed (a marker after it), forgets the kind if no
   * `who` took it, so an error never shifts the kind of the next `/who`.
   */
  expectWho(kind: "who" | "names"): () => void {
    const entry = { kind };
    const kinds = this.#whoKinds ??= [];
    kinds.push(entry);
    return () => {
      const at = kinds.indexOf(entry);
      if (at !== -1) kinds.splice(at, 1);
      if (kinds.length === 0 && this.#whoKinds === kinds) this.#whoKinds = undefined;
    };
  }

  /** A `CHATHISTORY` line's frames (irc_chathistory.ts), for the reader `me`. */
  askHistory(
    params: readonly string[],
    local: IrcLocalLines,
    me: string,
    charged: boolean,
  ): DecodedFrame[] {
    return this.chathistory.command(params, local, () => this.reader(me), charged);
  }

  /** The reader's view (its nick, and what its capabilities add to lines). */
  reader(me: string): IrcReader {
    return {
      me,
      serverTime: this.caps.has("server-time"),
      messageTags: this.caps.has("message-tags"),
      ...(this.caps.has("batch") ? { batch: () => `h${++this.#batches}` } : {}),
      ...(this.caps.has("draft/chathistory") ? { chathistory: true } : {}),
    };
  }

  #enter(folded: string): void {
    if (!this.#rooms.includes(folded)) this.#rooms = [...this.#rooms, folded];
  }

  #leave(folded: string): void {
    const rooms = this.#rooms.filter((room) => room !== folded);
    this.#rooms = rooms.length === 0 ? NO_ROOMS : rooms;
  }

  /** A room message: its bytes made once per broadcast and variant (the flood's one call). */
  message(event: MessageEvent): Uint8Array {
    this.#lastQuit = "";
    return roomEventBytes(event, this.#capBits);
  }

  /** A run of messages (see RunCache), rendered event by event by `codec` the first time for its variant. */
  messageRun(events: readonly ServerFrame[], codec: EventEncoder): Uint8Array | undefined {
    this.#lastQuit = "";
    return runs.bytes(events, this.#capBits, codec);
  }

  /** A room event: made once per broadcast and variant. */
  #roomEvent(event: RoomEvent): Uint8Array {
    if (event.type === "leave" && event.reason !== "part") {
      // One QUIT per member leaving, however many rooms the reader shares with
      // it: the core sends its leaves one room after another, with nothing
      // between them for this reader (their times may differ by a tick).
      if (event.nick === this.#lastQuit) return NOTHING;
      this.#lastQuit = event.nick;
    }
    return roomEventBytes(event, this.#capBits);
  }

  /** An event for this reader alone, as lines. */
  reply(event: ReplyEvent, me: string): string {
    const reader = this.reader(me);
    switch (event.type) {
      case "welcome":
        this.server = event.server;
        this.motd = event.motd;
        this.#enter(foldRoom(event.room));
        return welcomeLines(
          event,
          { ...reader, me: event.nick },
          this.info,
          this.info.directory?.census() ?? ALONE,
        );
      case "joined": {
        const folded = foldRoom(event.room);
        if (this.#rooms.includes(folded)) return "";
        this.#enter(folded);
        return joinedLines(event, reader);
      }
      case "parted":
        this.#leave(foldRoom(event.room));
        // With the reason the reader gave, as the others see it.
        return formatIrcLine(
          userSource(me),
          "PART",
          event.message !== undefined ? [event.room, event.message] : [event.room],
          { trailing: event.message !== undefined },
        );
      case "nick":
        return formatIrcLine(userSource(event.old), "NICK", [event.new], { trailing: true });
      case "dm": {
        const self = foldNick(event.from) === foldNick(me) && foldNick(event.to) !== foldNick(me);
        if (self && !this.caps.has("echo-message")) return "";
        const tags = reader.serverTime ? timeTag(event.ts) : undefined;
        return privmsgLines(event.from, event.to, event.text, event.kind, tags);
      }
      case "topic":
      case "room_topic":
      case "away":
        return this.status.render(event, reader, this.caps.has("away-notify"));
      case "who":
        return this.#whoKinds?.shift()?.kind === "who"
          ? whoLines(me, event.room, event.members, event.away)
          : namesLines(me, event.room, event.members);
      case "history":
        return this.chathistory.render(event, reader) ?? replyLines(event, reader);
      case "rooms": {
        const only = this.listOnly;
        const rooms = only ? event.rooms.filter((r) => only.has(foldRoom(r.room))) : event.rooms;
        return replyLines({ ...event, rooms }, reader);
      }
      case "whois":
      case "help":
      case "notice":
      case "bans":
        return replyLines(event, reader);
      case "ping":
        return formatIrcLine(undefined, "PING", [event.token], { trailing: true });
      case "pong":
        return formatIrcLine(IRC_SERVER, "PONG", [IRC_SERVER, event.token ?? ""], {
          trailing: true,
        });
      case "challenge":
        return "";
      case "bye":
        return formatIrcLine(undefined, "ERROR", [event.message], { trailing: true });
    }
  }
}
