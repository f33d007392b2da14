/**
 * The IRC codec: an IRC client (irssi, weechat, a bot) on lanchat's port. Registration (`PASS`,
 * `NICK`, `USER`, `CAP LS 302`/`REQ`/`END`) becomes one `hello`; `JOIN`, `PART`, `PRIVMSG`,
 * `NOTICE`, `NAMES`, `WHO`, `LIST`, `WHOIS`, `QUIT` become the commands and messages of the core;
 * `PING` and `PONG` are the keepalive frames. The core's events go out as IRC lines
 * (irc_events.ts, irc_render.ts). IRC formatting codes are stripped before text reaches the
 * core. Registration and CAP are irc_registration.ts; the lines before it irc_held.ts; JOIN,
 * PART, PRIVMSG, NOTICE and BATCH irc_targets.ts; the codec's own answers keep their turn among
 * the core's through irc_local.ts, and the core's errors become numerics in irc_errors.ts. See
 * docs/irc_progress.md for what is mapped and what is not yet.
 *
 * @module
 */

import type { Member } from "../core/member.ts";
import { foldRoom } from "../core/room_name.ts";
import type { ClientFrame, HelloFrame } from "./client_frames.ts";
import type { Codec, CodecCapabilities, Decoded, DecodedFrame } from "./codec.ts";
import { LineDecoder } from "./decode_lines.ts";
import {
  formatIrcLine,
  type IrcMessage,
  isName,
  parseIrcLine,
  stripFormatting,
} from "./irc_line.ts";
import { type Capability, MultilineIntake, NO_CAPS } from "./irc_batch.ts";
import { IrcEventLines } from "./irc_events.ts";
import { IrcLocalLines } from "./irc_local.ts";
import { type IrcDirectory, QUERY_COMMANDS, queryCommand } from "./irc_queries.ts";
import { ADMITTED, IrcRegistration } from "./irc_registration.ts";
import { errorLines } from "./irc_errors.ts";
import { IrcHeldLines } from "./irc_held.ts";
import { type IrcServerInfo, serverLine, userSource } from "./irc_render.ts";
import { IrcSasl } from "./irc_sasl.ts";
import { joinOrPart, multilineBatch, privmsg } from "./irc_targets.ts";
import { ProtocolError } from "./protocol_error.ts";
import type { ByeFrame, ErrorFrame, ServerFrame } from "./wire_frames.ts";

const encoder = new TextEncoder();
const NOTHING = new Uint8Array(0);

const WITH_ECHO: CodecCapabilities = Object.freeze({
  name: "irc",
  echo: true,
  keepalive: true,
  promptsForNick: false,
  uploads: false,
});
const WITHOUT_ECHO: CodecCapabilities = Object.freeze({ ...WITH_ECHO, echo: false });

/** Multi-line limits when no directory is given (the core's defaults). */
const DEFAULT_LIMITS = { maxMessageLength: 4000, maxMessageLines: 20 };

/** Settings of an {@linkcode IrcCodec}. */
export interface IrcCodecOptions extends IrcServerInfo {
  /**
   * The longest line of the server's formats (`--max-frame-bytes`): a line that never ends is
   * fatal past it; one that ends sooner but past IRC's bound (512 of body, 4094 of tags) gets 417.
   */
  maxLineBytes: number;
  /** The server's members and limits, for LUSERS, ISON, USERHOST and `draft/multiline`. */
  directory?: IrcDirectory;
}

/**
 * See the module doc. Most connections are idle: what few use is made when
 * first used, the registration let go once admitted (docs/performance.md).
 */
export class IrcCodec implements Codec {
  readonly #lines: LineDecoder;
  #caps: Set<Capability> = NO_CAPS;
  readonly #directory: IrcDirectory | undefined;
  /** Incoming draft/multiline batches, from the first BATCH. */
  #intake: MultilineIntake | undefined;
  #member: Member | undefined;
  /** PASS, NICK, USER and CAP before the member joined (irc_registration.ts). */
  #registration = new IrcRegistration();
  /**
   * The budget before registration and the lines read while the hello was on
   * its way, handled once it is answered (as the member's, or refused 451 like
   * any command before registration); irc_held.ts. Let go once admitted.
   */
  #held: IrcHeldLines | undefined;
  /** The codec's own lines, in order with the core's answers (irc_local.ts). */
  readonly #local = new IrcLocalLines();
  /** The events as this reader's lines (irc_events.ts); its `status` is TOPIC and AWAY. */
  readonly #events: IrcEventLines;
  /** QUIT before registration: the goodbye, and nothing after it. */
  #bye: ByeFrame | undefined;
  /** The SASL exchange (`AUTHENTICATE`, irc_sasl.ts), from the first AUTHENTICATE. */
  #sasl: IrcSasl | undefined;

  /** A codec for one connection. */
  constructor(options: IrcCodecOptions) {
    // A line within the server's frame limit is refused the IRC way (417) and the client stays.
    this.#lines = new LineDecoder(options.maxLineBytes);
    this.#events = new IrcEventLines(this.#caps, options); // Shared settings, not a copy.
    this.#directory = options.directory;
  }

  /** Echo once `echo-message` was negotiated; keepalive (IRC clients answer PING). */
  get capabilities(): CodecCapabilities {
    return this.#caps.has("echo-message") ? WITH_ECHO : WITHOUT_ECHO;
  }

  /** Registered: events now render for `member`. */
  admitted(member: Member): void {
    this.#member = member;
    this.#registration = ADMITTED;
    if (!this.#held?.waiting) this.#held = undefined;
  }

  /** The frames the bytes complete; CAP answers go out at once. */
  decode(chunk: Uint8Array): Decoded {
    const frames: DecodedFrame[] = [];
    const replies: Uint8Array[] = [];
    this.#drain(frames, replies);
    for (const line of this.#lines.decode(chunk)) {
      // A line that is not UTF-8 keeps its turn and counts like any line (as its bytes).
      if (line instanceof ProtocolError && !line.bytes) {
        frames.push(line);
        continue;
      }
      const next = line instanceof ProtocolError ? line.bytes! : line;
      if (this.#bye || this.#hold(next)) continue;
      this.#line(next, frames, replies);
    }
    return this.#decoded(frames, replies);
  }

  /**
   * The lines held behind a hello, now that it was answered (the session
   * asks after handling each batch of frames); undefined when none waits.
   */
  release(): Decoded | undefined {
    if (!this.#held?.waiting || this.#registration.pending) return undefined;
    const frames: DecodedFrame[] = [];
    const replies: Uint8Array[] = [];
    this.#drain(frames, replies);
    return this.#decoded(frames, replies);
  }

  /**
   * Holds `line` while a hello is on its way (NICK, USER and JOIN in one
   * write), within a small budget; past it, the connection ends (a flood).
   */
  #hold(line: string | Uint8Array): boolean {
    if (!this.#registration.pending && !this.#held?.waiting) return false;
    const flood = (this.#held ??= new IrcHeldLines()).hold(line);
    if (flood) this.#bye = { type: "bye", reason: "dropped", message: flood };
    return true;
  }

  /** Handles the held lines, in order, until one sends a hello again. */
  #drain(frames: DecodedFrame[], replies: Uint8Array[]): void {
    while (this.#held?.waiting && !this.#registration.pending && !this.#bye) {
      this.#line(this.#held.next()!, frames, replies);
    }
    if (this.#member && !this.#held?.waiting) this.#held = undefined;
  }

  #decoded(frames: DecodedFrame[], replies: Uint8Array[]): Decoded {
    const decoded: Decoded = { frames };
    if (replies.length) decoded.replies = replies;
    if (this.#bye) decoded.bye = this.#bye;
    return decoded;
  }

  /** UTF8ONLY: a line that is not UTF-8 is refused with `FAIL <command> INVALID_UTF8` (IRCv3). */
  #notUtf8(bytes: Uint8Array): ProtocolError {
    const message = parseIrcLine(new TextDecoder().decode(bytes));
    const command = typeof message === "string" ? "*" : message.command;
    const line = serverLine("FAIL", [command, "INVALID_UTF8", "Line is not valid UTF-8"]);
    return this.#local.line(line, { request: this.#charged });
  }

  /** One line; its bytes when they are not UTF-8. */
  #line(line: string | Uint8Array, frames: DecodedFrame[], replies: Uint8Array[]): void {
    // NUL has no place in an IRC line (it would come back in a 421 or 410).
    if (typeof line === "string" && line.includes("\0")) line = line.replaceAll("\0", "");
    if (typeof line === "string" && line.trim() === "") return;
    const flood = this.#member ? undefined : (this.#held ??= new IrcHeldLines()).count();
    if (flood) {
      this.#bye ??= { type: "bye", reason: "dropped", message: flood };
      return;
    }
    if (typeof line !== "string") {
      frames.push(this.#notUtf8(line));
      return;
    }
    const message = parseIrcLine(line);
    if (message === "empty") return;
    if (message === "too_long" || message === "tags_too_long") {
      frames.push(this.#reply("417", ["Input line was too long"]));
      return;
    }
    if (this.#intake?.take(message)) return;
    this.#command(message, frames, replies);
  }

  /** One command. */
  #command(message: IrcMessage, frames: DecodedFrame[], replies: Uint8Array[]): void {
    const { command, params } = message;
    const registered = this.#member !== undefined;
    // A member's message (a flood is made of them): straight to irc_targets.ts.
    if (command === "PRIVMSG" && registered) {
      return privmsg(frames, this.#local, this.#me, command, params);
    }
    // An empty parameter is a missing one (USER's `:` real name too, as Modern IRC says).
    const need = (count: number): boolean => {
      if (params.length >= count && params.slice(0, count).every((p) => p !== "")) return true;
      frames.push(this.#reply("461", [command, "Not enough parameters"]));
      return false;
    };
    switch (command) {
      case "CAP":
        return this.#cap(params, frames, replies);
      case "PASS":
        if (registered) frames.push(this.#reply("462", ["You may not reregister"]));
        // irssi sends a password after the port as is: `PASS correct horse battery`.
        else if (need(1)) this.#registration.pass(params.join(" "));
        return;
      case "USER":
        if (registered) frames.push(this.#reply("462", ["You may not reregister"]));
        else if (need(4)) this.#hello(this.#registration.user(), frames);
        return;
      case "NICK":
        if (params.length === 0 || params[0] === "") {
          frames.push(this.#reply("431", ["No nickname given"]));
          return;
        }
        if (registered) frames.push(...this.#local.aim(params[0]), this.#cmd("nick", params[0]));
        else this.#hello(this.#registration.nickname(params[0]), frames);
        return;
      case "AUTHENTICATE": {
        const step = this.#saslState.authenticate(params, registered, this.#me);
        for (const line of step.lines) frames.push(this.#local.line(line));
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
    if (!registered) {
      frames.push(this.#reply("451", ["You have not registered"]));
      return;
    }
    switch (command) {
      case "JOIN": // JOIN to BATCH: irc_targets.ts
      case "PART":
        if (need(1)) joinOrPart(frames, this.#local, this.#me, command, params);
        return;
      case "PRIVMSG":
      case "NOTICE":
        return privmsg(frames, this.#local, this.#me, command, params);
      case "NAMES":
      case "WHO": {
        if (command === "WHO" && params[0] && !params[0].startsWith("#")) {
          return this.#query(command, params, frames); // a nick: one 352 or none, then 315
        }
        const done = this.#events.expectWho(command === "WHO" ? "who" : "names");
        frames.push(...this.#local.aim(params[0], command));
        frames.push(this.#cmd("who", params[0]?.split(",")[0] ?? ""), this.#local.mark(done));
        return;
      }
      case "LIST": {
        // `LIST #a,#b` lists those that exist; other filters (ELIST) are not offered: all rooms.
        const names = params[0]?.split(",");
        const only = names?.every((n) => n.startsWith("#"))
          ? new Set(names.map(foldRoom))
          : undefined;
        const list = (rooms: typeof only) => this.#local.mark(() => this.#events.listOnly = rooms);
        frames.push(list(only), this.#cmd("rooms", ""), list(undefined));
        return;
      }
      case "WHOIS":
        // RFC 2812 names 431 (no nickname given) for WHOIS, empty or missing.
        if (params.length === 0 || !isName(params.at(-1)!)) {
          frames.push(this.#reply("431", ["No nickname given"]));
          return;
        }
        frames.push(
          ...this.#local.aim(params.at(-1)!, command),
          this.#cmd("whois", params.at(-1)!),
        );
        return;
      case "BATCH": {
        const intake = this.#intake ??= new MultilineIntake(this.#directory ?? DEFAULT_LIMITS);
        const negotiated = this.#caps.has("draft/multiline");
        return multilineBatch(frames, this.#local, this.#me, intake, params, negotiated);
      }
      case "CHATHISTORY": // irc_chathistory.ts
        frames.push(...this.#events.askHistory(params, this.#local, this.#me, this.#charged));
        return;
      case "SEND": // `/send` or `/get` typed in a client that passes them on: the server's hint
      case "GET":
        frames.push(this.#cmd(command.toLowerCase(), params.join(" ")));
        return;
      case "REGISTER": // lanchat's /register (the nick to the key SASL EXTERNAL proved)
      case "UNREGISTER":
        frames.push(
          ...this.#local.aim(params[0] ?? this.#me),
          this.#cmd(command.toLowerCase(), params[0] ?? ""),
        );
        return;
      default: {
        if (QUERY_COMMANDS.has(command)) return this.#query(command, params, frames);
        // TOPIC's room is set in its turn, by a marker before it, like every target.
        const aimed: DecodedFrame[] = [];
        const status = this.#events.status.command(command, params, {
          reply: (numeric, words) => this.#reply(numeric, words),
          target: (name) => aimed.push(...this.#local.aim(name)),
        });
        frames.push(...aimed, ...(status ?? [this.#reply("421", [command, "Unknown command"])]));
      }
    }
  }

  /** Commands of irc_queries.ts. */
  #query(command: string, params: string[], frames: DecodedFrame[]): void {
    queryCommand(command, params, {
      me: this.#me,
      server: this.#events.server,
      motd: this.#events.motd,
      version: this.#events.info.version,
      directory: this.#directory,
      reply: (numeric, p) => frames.push(this.#reply(numeric, p)),
      later: (make) => frames.push(this.#local.later(make, this.#charged)),
      command: (name, args, target) => {
        frames.push(...this.#local.aim(target, command), this.#cmd(name, args));
      },
    });
  }

  /** CAP LS, LIST, REQ, END (irc_registration.ts); the hello after CAP END. */
  #cap(params: string[], frames: DecodedFrame[], replies: Uint8Array[]): void {
    const me = this.#member ? this.#me : (this.#registration.nick ?? "*");
    if (params[0]?.toUpperCase() === "REQ" && this.#caps === NO_CAPS) {
      this.#caps = this.#events.caps = new Set(); // Its own set, from the first REQ.
    }
    const limits = this.#directory ?? DEFAULT_LIMITS;
    const answer = this.#registration.cap(params, me, this.#caps, limits);
    this.#events.capsChanged();
    if (answer.say) replies.push(encoder.encode(answer.say));
    if (answer.invalid) {
      // `CAP` alone has no subcommand to name: 461, not a 410 with an empty parameter.
      frames.push(
        params[0]
          ? this.#reply("410", [params[0], "Invalid CAP command"])
          : this.#reply("461", ["CAP", "Not enough parameters"]),
      );
    }
    if (answer.missing) frames.push(this.#reply("461", ["CAP", "Not enough parameters"]));
    this.#hello(answer.hello, frames);
  }

  /** The hello registration made (if any), after the marker that names its nick for 433. */
  #hello(hello: HelloFrame | undefined, frames: DecodedFrame[]): void {
    if (hello) frames.push(...this.#local.aim(hello.nick), hello);
  }

  /** SASL PLAIN's password was right (or the server needs none): 903. */
  passwordAccepted(): Uint8Array {
    return encoder.encode(this.#saslState.accepted(this.#me, this.#source).join(""));
  }

  /** SASL EXTERNAL took the TLS certificate's key: 900 and 903. */
  externalAccepted(fingerprint: string): Uint8Array {
    const lines = this.#saslState.accepted(this.#me, this.#source, fingerprint);
    return encoder.encode(lines.join(""));
  }

  get #saslState(): IrcSasl {
    return this.#sasl ??= new IrcSasl();
  }

  /** `nick!nick@lanchat` of the reader, its nick so far before registration. */
  get #source(): string {
    return userSource(this.#member?.nick ?? this.#registration.nick ?? "*");
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
    return this.#local.line(line, { unknown: numeric === "421", request: this.#charged });
  }

  /** Once registered, what the codec answers itself costs the rate limit like a command. */
  get #charged(): boolean {
    return this.#member !== undefined;
  }

  /** The event as IRC lines (a room message: the bytes all readers of its variant share). */
  encode(event: ServerFrame): Uint8Array {
    if (event.type === "msg") return this.#events.message(event);
    if (event.type === "error") return encoder.encode(this.#error(event));
    // No automatic reply to a NOTICE (RFC 2812 3.3.2), not even 301.
    if (event.type === "away" && event.dm && this.#local.command === "NOTICE") return NOTHING;
    return this.#events.encode(event, this.#me);
  }

  /** A run of one room's messages, shared by every reader with the same capabilities. */
  encodeRun(events: readonly ServerFrame[]): Uint8Array | undefined {
    return this.#events.messageRun(events, this);
  }

  /** `ERROR :<why>`, the last line before the server closes. */
  encodeEnd(event: ByeFrame): Uint8Array {
    return encoder.encode(formatIrcLine(undefined, "ERROR", [event.message], { trailing: true }));
  }

  /** An error: one of this codec's own lines (or markers) in its turn, or the core's as a numeric. */
  #error(event: ErrorFrame): string {
    const local = this.#local.take(event.message) ?? this.#events.chathistory.fail(event);
    if (local !== undefined) return local;
    // Before the member joined, an error of the core's refuses the hello.
    if (!this.#member) this.#registration.refused();
    if (
      event.code === "external_failed" ||
      (event.code === "access_denied" && this.#sasl?.checking)
    ) {
      return this.#saslState.refused(this.#me, event.message).join("");
    }
    return errorLines(event, this.#me, this.#local.target, this.#local.command);
  }
}
