/**
 * The text mode's codec, for `nc` and telnet: the first line is the password
 * (on a private server) and the next the nick, then every line is a message
 * or a /command; events go out as readable lines with CRLF endings and no
 * escape sequences.
 *
 * @module
 */

import type { ByeFrame, ErrorCode, ServerFrame } from "./wire_frames.ts";
import type { Member } from "../core/member.ts";
import { parseTypedLine } from "../core/typed_line.ts";
import { ProtocolError } from "./protocol_error.ts";
import type { HelloFrame } from "./client_frames.ts";
import type { Codec, CodecCapabilities, Decoded, DecodedFrame } from "./codec.ts";
import { LineDecoder } from "./decode_lines.ts";
import { TelnetFilter } from "./telnet_filter.ts";
import { formatEvent, messageLineParts } from "./text_format.ts";
import { utf8Bytes, utf8Joined, utf8Lines } from "./utf8.ts";
import { RunCache } from "./run_cache.ts";

/** The last run of messages as lines: variant 0 for readers in its room, 1 for the others. */
const runs = new RunCache();

const encoder = new TextEncoder();
const NICK_PROMPT = "Nick? ";
const PASSWORD_PROMPT = "Password? ";
const NICK_PROMPT_BYTES = encoder.encode(NICK_PROMPT);
const PASSWORD_PROMPT_BYTES = encoder.encode(PASSWORD_PROMPT);
const greetings = new Map<string, Uint8Array>();
/** Refusals after which asking for another nick makes no sense (the connection ends). */
const FINAL_CODES = new Set<ErrorCode>([
  "server_full",
  "server_busy",
  "access_denied",
  "password_required",
  "banned",
  "protocol_version",
  "handshake_timeout",
]);

/** What text mode does: a person at the other end, typing the nick at a prompt. */
const TEXT: CodecCapabilities = Object.freeze({
  name: "text",
  echo: false,
  keepalive: false,
  promptsForNick: true,
  uploads: false,
});

// Room events look the same to every text client in the same current room,
// so each is rendered once per variant and the bytes are shared. A broadcast
// hands the same event to every member in one synchronous loop, so a cache
// of the last event is enough, and it costs one comparison per recipient
// where a WeakMap lookup cost a hash probe.
let cachedEvent: ServerFrame | undefined;
/** The cached event's room, so that a recipient after the first reads nothing of the event. */
let cachedRoom: string | undefined;
let cachedHere: Uint8Array | undefined;
let cachedElsewhere: Uint8Array | undefined;

/** Settings of a {@linkcode TextCodec}. */
export interface TextCodecOptions {
  /** The longest line accepted; a longer one is a fatal `line_too_long`. */
  maxLineBytes: number;
  /**
   * The first line is the password (the greeting asked for it: a private server).
   * @default {false}
   */
  askPassword?: boolean;
  /**
   * Whether a command name (as typed, without the slash) means `/quit`, by
   * the hub's command table (aliases included): at the nick prompt it
   * leaves, where any other command is explained.
   */
  isQuit: (name: string) => boolean;
}

/**
 * Text mode for one connection. Before the hello it answers by itself (the
 * prompts, returned by {@linkcode TextCodec.decode} for the session to send);
 * the first line after the password becomes a `hello`, every later line an
 * `input` frame. Events render through `formatEvent`, room events once per
 * broadcast and variant.
 *
 * @example
 * ```ts
 * const codec = new TextCodec({ maxLineBytes: 1024, isQuit: (name) => name === "quit" });
 * const { frames } = codec.decode(new TextEncoder().encode("alice\r\n"));
 * // frames: [{ type: "hello", protocol: 1, nick: "alice", client: "text" }]
 * ```
 */
export class TextCodec implements Codec {
  /** A nick prompt; no echo, no keepalive. */
  readonly capabilities: CodecCapabilities = TEXT;
  /** Made at the first telnet command: most text clients never send one. */
  #telnet: TelnetFilter | undefined;
  readonly #lines: LineDecoder;
  readonly #askPassword: boolean;
  readonly #isQuit: (name: string) => boolean;
  #member: Member | undefined;
  #password: string | undefined;
  /** The last error line sent, so that a goodbye saying the same is not repeated. */
  #lastError: string | undefined;

  /** A codec for one connection. */
  constructor(options: TextCodecOptions) {
    this.#lines = new LineDecoder(options.maxLineBytes);
    this.#askPassword = options.askPassword ?? false;
    this.#isQuit = options.isQuit;
  }

  /**
   * The greeting (encoded once per server name): it asks for a nick, or
   * first for the password on a private server.
   */
  static greeting(serverName: string, askPassword = false): Uint8Array {
    const id = `${askPassword ? "p" : "n"}${serverName}`;
    let bytes = greetings.get(id);
    if (!bytes) {
      bytes = encoder.encode(
        askPassword
          ? `${welcomeTo(serverName)} This server is private.\r\n` +
            `Type its password (it shows on your screen as you type).\r\n${PASSWORD_PROMPT}`
          : `${welcomeTo(serverName)} Pick a nick.\r\n${NICK_PROMPT}`,
      );
      greetings.set(id, bytes);
    }
    return bytes;
  }

  /** The password was right: ask for the nick. */
  passwordAccepted(): Uint8Array {
    return encoder.encode(`Password accepted. Pick a nick.\r\n${NICK_PROMPT}`);
  }

  /** A line that came after a refused nick is the next nick to try. */
  retryHello(line: string): HelloFrame {
    return this.#hello(line.trim());
  }

  /** Events now render for `member` (a message to its current room has no `#room` prefix). */
  admitted(member: Member): void {
    this.#member = member;
  }

  /**
   * The frames the bytes complete (telnet commands filtered out, NULs
   * dropped), with the prompts to send at once: a blank line at a prompt
   * asks again, a command at the nick prompt is explained, `/quit` leaves.
   */
  decode(chunk: Uint8Array): Decoded {
    const frames: DecodedFrame[] = [];
    let replies: Uint8Array[] | undefined;
    // Whether this read already held the hello: the lines after it are input.
    let greeted = this.#member !== undefined;
    if (!this.#telnet && TelnetFilter.startsIn(chunk)) this.#telnet = new TelnetFilter();
    const lines = this.#lines.decode(this.#telnet ? this.#telnet.filter(chunk) : chunk);
    // Indexed, not for-of: every read of every text client comes here (no iterator each).
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line instanceof ProtocolError) {
        frames.push(line);
        continue;
      }
      const text = line.includes("\0") ? line.replaceAll("\0", "") : line;
      if (!greeted) {
        const trimmed = text.trim();
        if (this.#askPassword && this.#password === undefined) {
          // The password is taken as typed (spaces included) and checked at
          // once (see passwordAccepted); a blank line asks again.
          if (text === "") (replies ??= []).push(PASSWORD_PROMPT_BYTES);
          else {
            this.#password = text;
            frames.push({ type: "password", password: text });
          }
        } else if (trimmed === "") (replies ??= []).push(NICK_PROMPT_BYTES);
        else if (trimmed.startsWith("/")) {
          // A command where the nick was asked for (no nick starts with "/"):
          // /quit and its aliases leave (what this read held before is moot),
          // anything else is explained, in order with what came before it.
          const typed = parseTypedLine(trimmed);
          if (typed.kind === "command" && this.#isQuit(typed.name)) {
            return { frames, replies, bye: { type: "bye", reason: "quit", message: "Goodbye" } };
          }
          const message = "Pick a nick first (commands work once you have joined)";
          if (frames.length === 0) {
            (replies ??= []).push(this.encode({ type: "error", code: "not_ready", message }));
          } else frames.push(new ProtocolError("not_ready", message));
        } else {
          frames.push(this.#hello(trimmed));
          greeted = true;
        }
      } else if (text.trim() !== "") {
        frames.push({ type: "input", line: text });
      }
    }
    return { frames, replies };
  }

  /** The event as CRLF lines; before the hello, a refused nick is followed by the prompt. */
  encode(event: ServerFrame): Uint8Array {
    if (event === cachedEvent) {
      // The next recipient of a broadcast (a msg, join or leave, already
      // rendered): the event's fields are not read again. Every kind of frame
      // goes through here, so reading them costs a lookup by shape each time.
      const bytes = this.#member?.current?.name === cachedRoom ? cachedHere : cachedElsewhere;
      if (bytes !== undefined) {
        this.#lastError = undefined;
        return bytes;
      }
    }
    this.#lastError = event.type === "error" ? event.message : undefined;
    const bytes = this.#render(event);
    // A refused nick asks again (unless nothing more can be done).
    if (!this.#member && event.type === "error" && !FINAL_CODES.has(event.code)) {
      const out = new Uint8Array(bytes.length + NICK_PROMPT_BYTES.length);
      out.set(bytes);
      out.set(NICK_PROMPT_BYTES, bytes.length);
      return out;
    }
    return bytes;
  }

  /** A run of one room's messages, shared by every reader with the same current room or not. */
  encodeRun(events: readonly ServerFrame[]): Uint8Array | undefined {
    const first = events[0];
    if (first.type !== "msg") return undefined;
    this.#lastError = undefined;
    return runs.bytes(events, first.room === this.#member?.current?.name ? 0 : 1, this);
  }

  /** The goodbye, unless the error line just sent said the same (a refusal is said once). */
  encodeEnd(event: ByeFrame): Uint8Array | undefined {
    return event.message === this.#lastError ? undefined : this.#render(event);
  }

  #hello(nick: string): HelloFrame {
    const password = this.#password;
    return password === undefined
      ? { type: "hello", protocol: 1, nick, client: "text" }
      : { type: "hello", protocol: 1, nick, client: "text", password };
  }

  /** A room event's bytes: a message of one line written from its parts, anything else as lines. */
  #roomLine(event: ServerFrame, current: string | undefined): Uint8Array {
    const parts = event.type === "msg" ? messageLineParts(event, current) : undefined;
    return parts ? utf8Joined(parts) : toBytes(formatEvent(event, { currentRoom: current }));
  }

  #render(event: ServerFrame): Uint8Array {
    const current = this.#member?.current?.name;
    if (event.type === "msg" || event.type === "join" || event.type === "leave") {
      if (event !== cachedEvent) {
        cachedEvent = event;
        cachedRoom = event.room;
        cachedHere = cachedElsewhere = undefined;
      }
      if (event.room === current) return cachedHere ??= this.#roomLine(event, current);
      return cachedElsewhere ??= this.#roomLine(event, current);
    }
    return toBytes(formatEvent(event, { currentRoom: current }));
  }
}

/**
 * The greeting's first sentence: "Welcome to lanchat." for a server under
 * the default name, "Welcome to office, a lanchat server." for one named.
 */
export function welcomeTo(serverName: string): string {
  return serverName.toLowerCase() === "lanchat"
    ? `Welcome to ${serverName}.`
    : `Welcome to ${serverName}, a lanchat server.`;
}

/** A line said to a peer outside any codec (before its first byte chose one, or refused at the door). */
export function plainLine(message: string): Uint8Array {
  return encoder.encode(`! ${message}\r\n`);
}

/**
 * The lines (formatEvent's own array, extended here) as CRLF-ended bytes:
 * short ASCII ones written straight into utf8's slab (no joined string);
 * others joined with the last line end as an empty last line, not
 * appended, so that encode gets one flat string rather than a rope it must
 * copy first.
 */
function toBytes(lines: string[]): Uint8Array {
  // Nothing to say is still one (empty) line.
  if (lines.length === 0) lines.push("");
  const carved = utf8Lines(lines);
  if (carved) return carved;
  lines.push("");
  return utf8Bytes(lines.join("\r\n"));
}
