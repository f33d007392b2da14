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
import { applyCapRequest, type Capability, capLsLines, MultilineIntake } from "./irc_batch.ts";
import { type IrcDirectory, QUERY_COMMANDS, queryCommand } from "./irc_queries.ts";
import {
  errorNumeric,
  IRC_SERVER,
  type IrcReader,
  type IrcServerInfo,
  joinedLines,
  namesLines,
  privmsgLines,
  replyLines,
  roomEventBytes,
  serverLine,
  timeTag,
  userSource,
  welcomeLines,
  whoLines,
} from "./irc_render.ts";
import { IrcSasl } from "./irc_sasl.ts";
import { IrcStatus } from "./irc_status.ts";
import { ProtocolError } from "./protocol_error.ts";
import type { ByeFrame, ServerFrame } from "./wire_frames.ts";

const encoder = new TextEncoder();
const NOTHING = new Uint8Array(0);

const WITH_ECHO: CodecCapabilities = Object.freeze({
  name: "irc",
  echo: true,
  keepalive: true,
  promptsForNick: false,
});
const WITHOUT_ECHO: CodecCapabilities = Object.freeze({ ...WITH_ECHO, echo: false });

/** Multi-line limits when no directory is given (the core's defaults). */
const DEFAULT_LIMITS = { maxMessageLength: 4000, maxMessageLines: 20 };

/** Settings of an {@linkcode IrcCodec}. */
export interface IrcCodecOptions extends IrcServerInfo {
  /**
   * The longest line of the server's other formats: a line that never ends
   * is fatal past the smaller of this and IRC's own bound (tags and body).
   */
  maxLineBytes: number;
  /** The server's members and limits, for LUSERS, ISON, USERHOST and `draft/multiline`. */
  directory?: IrcDirectory;
}

/** See the module doc. */
export class IrcCodec implements Codec {
  readonly #lines: LineDecoder;
  readonly #info: IrcServerInfo;
  readonly #caps = new Set<Capability>();
  readonly #directory: IrcDirectory | undefined;
  /** The server's name and MOTD, from the welcome. */
  #server = IRC_SERVER;
  #motd: string | undefined;
  #batches = 0;
  /** Incoming draft/multiline batches. */
  readonly #intake: MultilineIntake;
  #member: Member | undefined;
  #negotiating = false;
  #nick: string | undefined;
  #user = false;
  #password: string | undefined;
  /** A hello was sent and not refused yet. */
  #registering = false;
  /**
   * The target of the request being answered (for the numeric of its
   * error): set when its turn comes (see #aim), not when it was read, since
   * one write may carry many requests (`PRIVMSG #a,#b`, pipelined lines).
   */
  #target: string | undefined;
  /** The target the last #aim marker read set (repeats need no new marker). */
  #aimed: string | undefined;
  /** Lines this codec answers itself, in order with the core's answers (see #local). */
  readonly #local: { key: string; line: string | (() => string) }[] = [];
  #lazy = 0;
  /** Whether each pending /who answers WHO (352) or NAMES (353). */
  readonly #whoKinds: ("who" | "names")[] = [];
  /** Rooms the reader is in (folded), so a repeated JOIN is not shown twice. */
  readonly #rooms = new Set<string>();
  /** The nick of the QUIT just shown: a member leaving is one leave a room, one QUIT here. */
  #lastQuit = "";
  /** TOPIC and AWAY (irc_status.ts). */
  readonly #status = new IrcStatus();
  /** QUIT before registration: the goodbye, and nothing after it. */
  #bye: ByeFrame | undefined;
  /** The SASL exchange (`AUTHENTICATE`, irc_sasl.ts). */
  readonly #sasl = new IrcSasl();

  /** A codec for one connection. */
  constructor(options: IrcCodecOptions) {
    this.#lines = new LineDecoder(
      Math.min(options.maxLineBytes, MAX_LINE_BYTES + MAX_CLIENT_TAG_BYTES),
    );
    this.#info = { version: options.version };
    this.#directory = options.directory;
    this.#intake = new MultilineIntake(options.directory ?? DEFAULT_LIMITS);
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
      if (this.#intake.take(message)) continue;
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
        frames.push(...this.#aim(params[0]));
        if (registered) frames.push(this.#cmd("nick", params[0]));
        else {
          this.#nick = params[0];
          this.#registering = false;
          this.#register(frames);
        }
        return;
      case "AUTHENTICATE": {
        const step = this.#sasl.authenticate(params, registered, this.#me);
        for (const line of step.lines) frames.push(this.#localLine(line));
        if (step.frame) frames.push(step.frame);
        return;
      }
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
    // Behind a hello on its way (NICK and USER in one write, then JOIN), a
    // command waits its turn: the session handles frames in order, so the
    // member has joined by then, or the refused hello makes it a 451.
    if (!registered && !this.#registering) {
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
          frames.push(...this.#aim(room), this.#cmd("join", room));
        }
        return;
      case "PART":
        if (!need(1)) return;
        for (const room of params[0].split(",")) {
          frames.push(...this.#aim(room));
          frames.push(this.#cmd("part", `${room} ${stripFormatting(params[1] ?? "")}`.trimEnd()));
        }
        return;
      case "PRIVMSG":
      case "NOTICE":
        return this.#privmsg(command, params, frames);
      case "NAMES":
      case "WHO":
        this.#whoKinds.push(command === "WHO" ? "who" : "names");
        frames.push(...this.#aim(params[0]));
        frames.push(this.#cmd("who", params[0]?.split(",")[0] ?? ""));
        return;
      case "LIST":
        frames.push(this.#cmd("rooms", ""));
        return;
      case "WHOIS":
        if (!need(1)) return;
        frames.push(...this.#aim(params.at(-1)!), this.#cmd("whois", params.at(-1)!));
        return;
      case "BATCH":
        return this.#batch(params, frames);
      case "REGISTER": // lanchat's /register (the nick to the key SASL EXTERNAL proved)
      case "UNREGISTER":
        frames.push(this.#cmd(command.toLowerCase(), params[0] ?? ""));
        return;
      default: {
        if (QUERY_COMMANDS.has(command)) return this.#query(command, params, frames);
        const status = this.#status.command(command, params, {
          reply: (numeric, words) => this.#reply(numeric, words),
          target: (name) => this.#target = name,
        });
        frames.push(...(status ?? [this.#reply("421", [command, "Unknown command"])]));
      }
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
      frames.push(...this.#aim(target));
      if (target.startsWith("#")) {
        frames.push(
          action !== undefined
            ? { type: "cmd", name: "me", args: text, room: target }
            : { type: "msg", text, room: target },
        );
      } else frames.push(this.#cmd(action !== undefined ? "describe" : "msg", `${target} ${text}`));
    }
  }

  /** Commands of irc_queries.ts. */
  #query(command: string, params: string[], frames: DecodedFrame[]): void {
    queryCommand(command, params, {
      me: this.#me,
      server: this.#server,
      motd: this.#motd,
      version: this.#info.version,
      directory: this.#directory,
      reply: (numeric, p) => frames.push(this.#reply(numeric, p)),
      later: (make) => frames.push(this.#later(make)),
      command: (name, args, target) => {
        frames.push(...this.#aim(target), this.#cmd(name, args));
      },
    });
  }

  /** `BATCH +ref draft/multiline target` opens a multi-line message; `BATCH -ref` sends it. */
  #batch(params: string[], frames: DecodedFrame[]): void {
    const result = this.#intake.command(params, this.#caps.has("draft/multiline"));
    if (result === "missing") frames.push(this.#reply("461", ["BATCH", "Not enough parameters"]));
    else if (result.kind === "message") {
      this.#privmsg(result.command, [result.target, result.text], frames);
    } else if (result.kind === "fail") {
      const line = serverLine("FAIL", [
        "BATCH",
        result.code,
        ...result.context,
        result.description,
      ]);
      frames.push(this.#raw(line));
    }
  }

  /** CAP LS, LIST, REQ, END; registration waits while negotiating. */
  #cap(params: string[], frames: DecodedFrame[], replies: Uint8Array[]): void {
    const sub = params[0]?.toUpperCase();
    const me = this.#member ? this.#me : (this.#nick ?? "*");
    const say = (line: string) => replies.push(encoder.encode(line));
    if (sub === "LS") {
      if (!this.#member) this.#negotiating = true;
      const v302 = Number(params[1]) >= 302;
      say(capLsLines(IRC_SERVER, me, v302, this.#directory ?? DEFAULT_LIMITS));
    } else if (sub === "LIST") say(serverLine("CAP", [me, "LIST", [...this.#caps].join(" ")]));
    else if (sub === "REQ") {
      if (!this.#member) this.#negotiating = true;
      const asked = (params[1] ?? "").split(" ").filter((cap) => cap !== "");
      const ok = applyCapRequest(asked, this.#caps, this.#member !== undefined);
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
    frames.push(...this.#aim(this.#nick));
    frames.push({
      type: "hello",
      protocol: 1,
      nick: this.#nick,
      client: "irc",
      ...(this.#password !== undefined ? { password: this.#password } : {}),
    });
  }

  /** SASL PLAIN's password was right (or the server needs none): 903. */
  passwordAccepted(): Uint8Array {
    return encoder.encode(this.#sasl.accepted(this.#me, this.#source).join(""));
  }

  /** SASL EXTERNAL took the TLS certificate's key: 900 and 903. */
  externalAccepted(fingerprint: string): Uint8Array {
    return encoder.encode(this.#sasl.accepted(this.#me, this.#source, fingerprint).join(""));
  }

  /** `nick!nick@lanchat` of the reader, its nick so far before registration. */
  get #source(): string {
    return userSource(this.#member?.nick ?? this.#nick ?? "*");
  }

  /** The reader's nick (`*` before registration). */
  get #me(): string {
    return this.#member?.nick ?? "*";
  }

  /**
   * A marker before the requests about `target`: delivered in order with
   * the core's answers, it sets the target their numerics name. None when
   * the marker before already named it.
   */
  #aim(target: string | undefined): ProtocolError[] {
    if (target === this.#aimed) return [];
    this.#aimed = target;
    const key = `\u0000irc-aim ${++this.#lazy}`;
    this.#local.push({
      key,
      line: () => {
        this.#target = target;
        return "";
      },
    });
    return [new ProtocolError("bad_frame", key)];
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
    return this.#localLine(serverLine(numeric, [this.#me, ...params]), numeric === "421");
  }

  /** A finished line, in order like {@linkcode IrcCodec.#reply}. */
  #localLine(line: string, unknown = false): ProtocolError {
    this.#local.push({ key: line, line });
    return new ProtocolError(unknown ? "unknown_command" : "bad_frame", line, this.#charged);
  }

  /** Once registered, what the codec answers itself costs the rate limit like a command. */
  get #charged(): { request: boolean } {
    return { request: this.#member !== undefined };
  }

  /** A line of this codec's own, as it is (`FAIL ...`), in order like {@linkcode IrcCodec.#reply}. */
  #raw(line: string): ProtocolError {
    this.#local.push({ key: line, line });
    return new ProtocolError("bad_frame", line);
  }

  /** Lines made when their turn comes: after the core handled the frames before them. */
  #later(make: () => string): ProtocolError {
    const key = `\u0000irc-query ${++this.#lazy}`;
    this.#local.push({ key, line: make });
    return new ProtocolError("bad_frame", key, this.#charged);
  }

  /** A server NOTICE to the reader, in order like {@linkcode IrcCodec.#reply}. */
  #notice(text: string): ProtocolError {
    return this.#localLine(serverLine("NOTICE", [this.#me, text]));
  }

  /** The event as IRC lines. */
  encode(event: ServerFrame): Uint8Array {
    if (event.type !== "leave" || event.reason === "part") this.#lastQuit = "";
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
      // One QUIT per member leaving, however many rooms the reader shares with
      // it: the core sends its leaves one room after another, with nothing
      // between them for this reader (their times may differ by a tick).
      if (event.nick === this.#lastQuit) return NOTHING;
      this.#lastQuit = event.nick;
    }
    return roomEventBytes(event, this.#caps);
  }

  #render(event: Exclude<ServerFrame, { type: "msg" | "join" | "leave" }>): string {
    const reader: IrcReader = {
      me: this.#me,
      serverTime: this.#caps.has("server-time"),
      messageTags: this.#caps.has("message-tags"),
      ...(this.#caps.has("batch") ? { batch: () => `h${++this.#batches}` } : {}),
    };
    const me = reader.me;
    switch (event.type) {
      case "welcome":
        this.#server = event.server;
        this.#motd = event.motd;
        this.#rooms.add(foldRoom(event.room));
        return welcomeLines(event, { ...reader, me: event.nick }, this.#info);
      case "joined": {
        const folded = foldRoom(event.room);
        if (this.#rooms.has(folded)) return "";
        this.#rooms.add(folded);
        return joinedLines(event, reader);
      }
      case "parted":
        this.#rooms.delete(foldRoom(event.room));
        return formatIrcLine(userSource(me), "PART", [event.room]);
      case "nick":
        return formatIrcLine(userSource(event.old), "NICK", [event.new], { trailing: true });
      case "dm": {
        const self = foldNick(event.from) === foldNick(me) && foldNick(event.to) !== foldNick(me);
        if (self && !this.#caps.has("echo-message")) return "";
        const tags = reader.serverTime ? timeTag(event.ts) : undefined;
        return privmsgLines(event.from, event.to, event.text, event.kind, tags);
      }
      case "topic":
      case "room_topic":
      case "away":
        return this.#status.render(event, reader, this.#caps.has("away-notify"));
      case "who":
        return this.#whoKinds.shift() === "who"
          ? whoLines(me, event.room, event.members, event.away)
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
        const local = this.#local.findIndex((entry) => entry.key === event.message);
        if (local !== -1) {
          const { line } = this.#local.splice(0, local + 1).at(-1)!;
          return typeof line === "string" ? line : line();
        }
        if (!this.#member) this.#registering = false;
        if (
          event.code === "external_failed" ||
          (event.code === "access_denied" && this.#sasl.checking)
        ) {
          return this.#sasl.refused(me, event.message).join("");
        }
        if (event.code === "bad_room" || event.code === "not_in_room") this.#whoKinds.shift();
        const numeric = errorNumeric(event.code, me, this.#target);
        return numeric
          ? serverLine(numeric[0], [...numeric[1], event.message])
          : serverLine("NOTICE", [me, event.message]);
      }
    }
  }
}
