/**
 * The IRC codec: an IRC client (irssi, weechat, a bot) on lanchat's port.
 * Registration (`PASS`, `NICK`, `USER`, `CAP LS 302`/`REQ`/`END`) becomes one
 * `hello`; `JOIN`, `PART`, `PRIVMSG`, `NOTICE`, `NAMES`, `WHO`, `LIST`,
 * `WHOIS`, `QUIT` become the commands and messages of the core; `PING` and
 * `PONG` are the keepalive frames. The core's events go out as IRC lines
 * (irc_render.ts). IRC formatting codes are stripped before text reaches the
 * core. See docs/irc_progress.md for what is mapped and what is not yet.
 *
 * @module
 */

import type { Member } from "../core/member.ts";
import { foldNick } from "../core/nick.ts";
import { foldRoom } from "../core/room_name.ts";
import type { ClientFrame } from "./client_frames.ts";
import type { Codec, CodecCapabilities, Decoded, DecodedFrame } from "./codec.ts";
import { LineDecoder } from "./decode_lines.ts";
import {
  ctcpAction,
  formatIrcLine,
  type IrcMessage,
  isOtherCtcp,
  MAX_CLIENT_TAG_BYTES,
  MAX_LINE_BYTES,
  parseIrcLine,
  stripFormatting,
} from "./irc_line.ts";
import {
  errorNumeric,
  IRC_SERVER,
  type IrcReader,
  type IrcServerInfo,
  joinedLines,
  namesLines,
  privmsgLines,
  replyLines,
  roomEventLines,
  serverLine,
  timeTag,
  userSource,
  welcomeLines,
  whoLines,
} from "./irc_render.ts";
import { ProtocolError } from "./protocol_error.ts";
import type { ByeFrame, ServerFrame } from "./wire_frames.ts";

const encoder = new TextEncoder();
const NOTHING = new Uint8Array(0);
/** The capabilities offered (`CAP LS`). */
const OFFERED = ["echo-message", "server-time"] as const;
type Cap = typeof OFFERED[number];

const WITH_ECHO: CodecCapabilities = Object.freeze({
  name: "irc",
  echo: true,
  keepalive: true,
  promptsForNick: false,
});
const WITHOUT_ECHO: CodecCapabilities = Object.freeze({ ...WITH_ECHO, echo: false });

/**
 * The capabilities of a client that asked for none (most: bots, the bench):
 * one shared empty set, replaced by a set of its own on the first CAP REQ,
 * so an idle connection holds no set. Adding to it is a bug, and throws.
 */
class NoCaps extends Set<Cap> {
  override add(): this {
    throw new TypeError("NO_CAPS is shared: give the codec a set of its own first");
  }
}
const NO_CAPS: Set<Cap> = new NoCaps();
/** No rooms: shared, like NO_CAPS; the rooms array is replaced, never changed in place. */
const NO_ROOMS: readonly string[] = Object.freeze([]);

// A broadcast hands the same event to every member in one loop: its lines
// are made once per variant (with or without server-time) and shared.
let cachedEvent: ServerFrame | undefined;
let cachedPlain: Uint8Array | undefined;
let cachedTimed: Uint8Array | undefined;

/** Settings of an {@linkcode IrcCodec}. */
export interface IrcCodecOptions extends IrcServerInfo {
  /**
   * The longest line of the server's other formats: a line that never ends
   * is fatal past the smaller of this and IRC's own bound (tags and body).
   */
  maxLineBytes: number;
}

/** See the module doc. */
export class IrcCodec implements Codec {
  readonly #lines: LineDecoder;
  readonly #info: IrcServerInfo;
  #caps: Set<Cap> = NO_CAPS;
  #member: Member | undefined;
  #negotiating = false;
  #nick: string | undefined;
  #user = false;
  #password: string | undefined;
  /** A hello was sent and not refused yet. */
  #registering = false;
  /** The target of the last request (for the numeric of its error). */
  #target: string | undefined;
  // Idle connections are most connections: what only some use is made when
  // first used (see docs/performance.md, "Memory per idle IRC client").
  /** Lines this codec answers itself, in order with the core's answers (see #local). */
  #local: string[] | undefined;
  /** Whether each pending /who answers WHO (352) or NAMES (353). */
  #whoKinds: ("who" | "names")[] | undefined;
  /**
   * Rooms the reader is in (folded), so a repeated JOIN is not shown twice:
   * an array of exactly their number (one, usually), copied on a change.
   */
  #rooms: readonly string[] = NO_ROOMS;
  /** The last QUIT shown (nick and time): a member leaving is one leave a room, one QUIT here. */
  #lastQuit = "";
  /** QUIT before registration: the goodbye, and nothing after it. */
  #bye: ByeFrame | undefined;

  /** A codec for one connection. */
  constructor(options: IrcCodecOptions) {
    this.#lines = new LineDecoder(
      Math.min(options.maxLineBytes, MAX_LINE_BYTES + MAX_CLIENT_TAG_BYTES),
    );
    this.#info = options;
  }

  /** Echo once `echo-message` was negotiated; keepalive (IRC clients answer PING). */
  get capabilities(): CodecCapabilities {
    return this.#caps.has("echo-message") ? WITH_ECHO : WITHOUT_ECHO;
  }

  /** Registered: events now render for `member`. */
  admitted(member: Member): void {
    this.#member = member;
    this.#registering = false;
  }

  /** The frames the bytes complete; CAP answers go out at once. */
  decode(chunk: Uint8Array): Decoded {
    const frames: DecodedFrame[] = [];
    const replies: Uint8Array[] = [];
    for (const line of this.#lines.push(chunk)) {
      if (line instanceof ProtocolError) {
        frames.push(line);
        continue;
      }
      if (line.trim() === "") continue;
      const message = parseIrcLine(line);
      if (message === "empty") continue;
      if (message === "too_long" || message === "tags_too_long") {
        frames.push(this.#reply("417", ["Input line was too long"]));
        continue;
      }
      this.#command(message, frames, replies);
      if (this.#bye) return { frames, replies, bye: this.#bye };
    }
    return { frames, ...(replies.length ? { replies } : {}) };
  }

  /** One command. */
  #command(message: IrcMessage, frames: DecodedFrame[], replies: Uint8Array[]): void {
    const { command, params } = message;
    const registered = this.#member !== undefined;
    const need = (count: number): boolean => {
      if (params.length >= count) return true;
      frames.push(this.#reply("461", [command, "Not enough parameters"]));
      return false;
    };
    switch (command) {
      case "CAP":
        return this.#cap(params, frames, replies);
      case "PASS":
        if (registered) frames.push(this.#reply("462", ["You may not reregister"]));
        else if (need(1)) this.#password = params[0];
        return;
      case "USER":
        if (registered) frames.push(this.#reply("462", ["You may not reregister"]));
        else if (need(4)) {
          this.#user = true;
          this.#register(frames);
        }
        return;
      case "NICK":
        if (params.length === 0) {
          frames.push(this.#reply("431", ["No nickname given"]));
          return;
        }
        this.#target = params[0];
        if (registered) frames.push(this.#cmd("nick", params[0]));
        else {
          this.#nick = params[0];
          this.#registering = false;
          this.#register(frames);
        }
        return;
      case "PING":
        if (params.length === 0) frames.push(this.#reply("409", ["No origin specified"]));
        else frames.push({ type: "ping", token: params[0] });
        return;
      case "PONG":
        frames.push({ type: "pong", ...(params[0] !== undefined ? { token: params.at(-1) } : {}) });
        return;
      case "QUIT":
        if (registered) frames.push(this.#cmd("quit", stripFormatting(params[0] ?? "")));
        else this.#bye = { type: "bye", reason: "quit", message: "Goodbye" };
        return;
    }
    if (!registered) {
      frames.push(this.#reply("451", ["You have not registered"]));
      return;
    }
    switch (command) {
      case "JOIN":
        if (!need(1)) return;
        if (params[0] === "0") {
          frames.push(this.#notice("JOIN 0 is not supported: a lanchat member stays in a room"));
          return;
        }
        for (const room of params[0].split(",")) {
          this.#target = room;
          frames.push(this.#cmd("join", room));
        }
        return;
      case "PART":
        if (!need(1)) return;
        for (const room of params[0].split(",")) {
          this.#target = room;
          frames.push(this.#cmd("part", `${room} ${stripFormatting(params[1] ?? "")}`.trimEnd()));
        }
        return;
      case "PRIVMSG":
      case "NOTICE":
        return this.#privmsg(command, params, frames);
      case "NAMES":
      case "WHO":
        (this.#whoKinds ??= []).push(command === "WHO" ? "who" : "names");
        this.#target = params[0];
        frames.push(this.#cmd("who", params[0]?.split(",")[0] ?? ""));
        return;
      case "LIST":
        frames.push(this.#cmd("rooms", ""));
        return;
      case "WHOIS":
        if (!need(1)) return;
        this.#target = params.at(-1)!;
        frames.push(this.#cmd("whois", params.at(-1)!));
        return;
      case "MODE":
        return this.#mode(params, frames);
      default:
        frames.push(this.#reply("421", [command, "Unknown command"]));
    }
  }

  /** PRIVMSG and NOTICE, to rooms and nicks; CTCP ACTION is /me. */
  #privmsg(command: string, params: string[], frames: DecodedFrame[]): void {
    if (params.length === 0) {
      frames.push(this.#reply("411", [`No recipient given (${command})`]));
      return;
    }
    if (params.length < 2 || params[1] === "") {
      frames.push(this.#reply("412", ["No text to send"]));
      return;
    }
    const raw = params[1];
    // Other CTCP (VERSION, PING, ...) is not passed on: lanchat clients would show the bytes.
    if (isOtherCtcp(raw)) return;
    const action = ctcpAction(raw);
    const text = stripFormatting(action ?? raw);
    for (const target of params[0].split(",")) {
      this.#target = target;
      if (target.startsWith("#")) {
        frames.push(
          action !== undefined
            ? { type: "cmd", name: "me", args: text, room: target }
            : { type: "msg", text, room: target },
        );
      } else if (action !== undefined) {
        frames.push(this.#notice("An action (/me) to a nick is not supported yet"));
      } else frames.push(this.#cmd("msg", `${target} ${text}`));
    }
  }

  /** MODE: lanchat rooms have no modes but `n`; a member has none. */
  #mode(params: string[], frames: DecodedFrame[]): void {
    const me = this.#me;
    const target = params[0];
    if (target === undefined) frames.push(this.#reply("461", ["MODE", "Not enough parameters"]));
    else if (!target.startsWith("#")) {
      if (foldNick(target) !== foldNick(me)) {
        frames.push(this.#reply("502", ["Cannot change mode for other users"]));
      } else frames.push(this.#reply("221", ["+"]));
    } else if (params.length === 1) frames.push(this.#reply("324", [target, "+n"]));
    else if (/^[+-]?b$/.test(params[1]) && params.length === 2) {
      frames.push(this.#reply("368", [target, "End of channel ban list"]));
    } else frames.push(this.#reply("482", [target, "lanchat rooms have no modes to change"]));
  }

  /** CAP LS, LIST, REQ, END; registration waits while negotiating. */
  #cap(params: string[], frames: DecodedFrame[], replies: Uint8Array[]): void {
    const sub = params[0]?.toUpperCase();
    const me = this.#member ? this.#me : (this.#nick ?? "*");
    const say = (line: string) => replies.push(encoder.encode(line));
    if (sub === "LS") {
      if (!this.#member) this.#negotiating = true;
      say(serverLine("CAP", [me, "LS", OFFERED.join(" ")]));
    } else if (sub === "LIST") say(serverLine("CAP", [me, "LIST", [...this.#caps].join(" ")]));
    else if (sub === "REQ") {
      if (!this.#member) this.#negotiating = true;
      const asked = (params[1] ?? "").split(" ").filter((cap) => cap !== "");
      // echo-message is decided when the member joins: not after.
      const ok = asked.every((cap) => {
        const name = cap.replace(/^-/, "");
        return (OFFERED as readonly string[]).includes(name) &&
          !(this.#member && name === "echo-message");
      });
      if (ok) {
        if (this.#caps === NO_CAPS) this.#caps = new Set();
        for (const cap of asked) {
          if (cap.startsWith("-")) this.#caps.delete(cap.slice(1) as Cap);
          else this.#caps.add(cap as Cap);
        }
      }
      say(formatIrcLine(IRC_SERVER, "CAP", [me, ok ? "ACK" : "NAK", asked.join(" ")], {
        trailing: true,
      }));
    } else if (sub === "END") {
      this.#negotiating = false;
      this.#register(frames);
    } else frames.push(this.#reply("410", [params[0] ?? "", "Invalid CAP command"]));
  }

  /** NICK and USER given, CAP finished: the hello. */
  #register(frames: DecodedFrame[]): void {
    if (this.#member || this.#registering || this.#negotiating) return;
    if (this.#nick === undefined || !this.#user) return;
    this.#registering = true;
    this.#target = this.#nick;
    frames.push({
      type: "hello",
      protocol: 1,
      nick: this.#nick,
      client: "irc",
      ...(this.#password !== undefined ? { password: this.#password } : {}),
    });
  }

  /** The reader's nick (`*` before registration). */
  get #me(): string {
    return this.#member?.nick ?? "*";
  }

  /** A command frame. */
  #cmd(name: string, args: string): ClientFrame {
    return { type: "cmd", name, args };
  }

  /**
   * A line this codec answers itself, as a (non-fatal) error frame: the
   * session delivers it in order with the core's answers, and
   * {@linkcode IrcCodec.encode} writes the line in its place.
   */
  #reply(numeric: string, params: string[]): ProtocolError {
    const line = serverLine(numeric, [this.#me, ...params]);
    (this.#local ??= []).push(line);
    return new ProtocolError(numeric === "421" ? "unknown_command" : "bad_frame", line);
  }

  /** A server NOTICE to the reader, in order like {@linkcode IrcCodec.#reply}. */
  #notice(text: string): ProtocolError {
    const line = serverLine("NOTICE", [this.#me, text]);
    (this.#local ??= []).push(line);
    return new ProtocolError("bad_frame", line);
  }

  /** The event as IRC lines. */
  encode(event: ServerFrame): Uint8Array {
    if (event.type === "msg" || event.type === "join" || event.type === "leave") {
      return this.#roomEvent(event);
    }
    return encoder.encode(this.#render(event));
  }

  /** `ERROR :<why>`, the last line before the server closes. */
  encodeEnd(event: ByeFrame): Uint8Array {
    return encoder.encode(formatIrcLine(undefined, "ERROR", [event.message], { trailing: true }));
  }

  /** A room event: made once per broadcast and variant. */
  #roomEvent(event: Extract<ServerFrame, { type: "msg" | "join" | "leave" }>): Uint8Array {
    if (event.type === "leave" && event.reason !== "part") {
      // One QUIT per member leaving, however many rooms the reader shares with it.
      const key = `${event.nick}\n${event.ts}`;
      if (key === this.#lastQuit) return NOTHING;
      this.#lastQuit = key;
    }
    if (event !== cachedEvent) {
      cachedEvent = event;
      cachedPlain = cachedTimed = undefined;
    }
    if (this.#caps.has("server-time")) {
      return cachedTimed ??= encoder.encode(roomEventLines(event, timeTag(event.ts)));
    }
    return cachedPlain ??= encoder.encode(roomEventLines(event, undefined));
  }

  #render(event: Exclude<ServerFrame, { type: "msg" | "join" | "leave" }>): string {
    const reader: IrcReader = { me: this.#me, serverTime: this.#caps.has("server-time") };
    const me = reader.me;
    switch (event.type) {
      case "welcome":
        this.#rooms = [...this.#rooms, foldRoom(event.room)];
        return welcomeLines(event, { ...reader, me: event.nick }, this.#info);
      case "joined": {
        const folded = foldRoom(event.room);
        if (this.#rooms.includes(folded)) return "";
        this.#rooms = [...this.#rooms, folded];
        return joinedLines(event, reader);
      }
      case "parted":
        this.#rooms = this.#rooms.filter((room) => room !== foldRoom(event.room));
        return formatIrcLine(userSource(me), "PART", [event.room]);
      case "nick":
        return formatIrcLine(userSource(event.old), "NICK", [event.new], { trailing: true });
      case "dm": {
        const self = foldNick(event.from) === foldNick(me) && foldNick(event.to) !== foldNick(me);
        if (self && !this.#caps.has("echo-message")) return "";
        const tags = reader.serverTime ? timeTag(event.ts) : undefined;
        return privmsgLines(event.from, event.to, event.text, event.kind, tags);
      }
      case "who":
        return this.#whoKinds?.shift() === "who"
          ? whoLines(me, event.room, event.members)
          : namesLines(me, event.room, event.members);
      case "rooms":
      case "whois":
      case "history":
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
      case "error": {
        // A line of this codec's own: those before it were never delivered (the pipe ended).
        const local = this.#local?.indexOf(event.message) ?? -1;
        if (local !== -1) return this.#local!.splice(0, local + 1).at(-1)!;
        if (!this.#member) this.#registering = false;
        if (event.code === "bad_room" || event.code === "not_in_room") this.#whoKinds?.shift();
        const numeric = errorNumeric(event.code, me, this.#target);
        return numeric
          ? serverLine(numeric[0], [...numeric[1], event.message])
          : serverLine("NOTICE", [me, event.message]);
      }
    }
  }
}
