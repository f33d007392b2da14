import { findCommand } from "../core/commands.ts";
import { parseTypedLine } from "../core/typed_line.ts";
import type { ByeEvent, ChatEvent, ErrorCode } from "../core/events.ts";
import type { Member } from "../core/member.ts";
import { ProtocolError } from "../errors.ts";
import type { ClientFrame, HelloFrame } from "../protocol/client_frames.ts";
import { LineDecoder } from "../protocol/decode_lines.ts";
import { TelnetFilter } from "../protocol/telnet_filter.ts";
import { formatEvent } from "../protocol/text_format.ts";
import type { Outbox } from "./outbox.ts";
import type { PasswordFrame, Transport } from "./transport.ts";

const encoder = new TextEncoder();
const NICK_PROMPT = "Nick? ";
const PASSWORD_PROMPT = "Password? ";
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

// Room events look the same to every text client in the same current room,
// so each is rendered once per variant and the bytes are shared. A broadcast
// hands the same event to every member in one synchronous loop, so a cache
// of the last event is enough, and it costs one comparison per recipient
// where a WeakMap lookup cost a hash probe.
let cachedEvent: ChatEvent | undefined;
let cachedHere: Uint8Array | undefined;
let cachedElsewhere: Uint8Array | undefined;

/**
 * Plain-text mode for `nc` and telnet: the first line is the password (on a
 * private server) and the next the nick, then every line is a message or a
 * /command; events arrive as readable lines with CRLF endings and no escape
 * sequences.
 */
export class TextTransport implements Transport {
  readonly kind = "text";
  member: Member | undefined;

  readonly #telnet = new TelnetFilter();
  readonly #lines: LineDecoder;
  readonly #askPassword: boolean;
  #password: string | undefined;

  /** With `askPassword`, the first line is the password (the greeting asked for it). */
  constructor(readonly connection: Outbox, maxLineBytes: number, askPassword = false) {
    this.#lines = new LineDecoder(maxLineBytes);
    this.#askPassword = askPassword;
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

  passwordAccepted(): void {
    this.connection.send(encoder.encode(`Password accepted. Pick a nick.\r\n${NICK_PROMPT}`));
  }

  retryHello(line: string): HelloFrame {
    return this.#hello(line.trim());
  }

  /** The last error line sent, so that a goodbye saying the same is not repeated. */
  #lastError: string | undefined;

  decode(chunk: Uint8Array): (ClientFrame | PasswordFrame | ProtocolError)[] {
    const frames: (ClientFrame | PasswordFrame | ProtocolError)[] = [];
    for (const line of this.#lines.push(this.#telnet.filter(chunk))) {
      if (line instanceof ProtocolError) {
        frames.push(line);
        continue;
      }
      const text = line.replace(/\0/g, "");
      if (!this.member && frames.every((f) => f instanceof ProtocolError || f.type !== "hello")) {
        if (this.#askPassword && this.#password === undefined) {
          // The password is taken as typed (spaces included) and checked at
          // once (see passwordAccepted); a blank line asks again.
          if (text === "") this.connection.send(encoder.encode(PASSWORD_PROMPT));
          else {
            this.#password = text;
            frames.push({ type: "password", password: text });
          }
        } else if (text.trim() === "") this.connection.send(encoder.encode(NICK_PROMPT));
        else if (text.trim().startsWith("/")) {
          // A command where the nick was asked for (no nick starts with "/"):
          // /quit and its aliases leave (what this read held before is moot),
          // anything else is explained, in order with what came before it.
          const typed = parseTypedLine(text.trim());
          if (typed.kind === "command" && findCommand(typed.name)?.name === "quit") {
            this.end({ type: "bye", reason: "quit", message: "Goodbye" });
            return frames;
          }
          const message = "Pick a nick first (commands work once you have joined)";
          if (frames.length === 0) this.deliver({ type: "error", code: "not_ready", message });
          else frames.push(new ProtocolError("not_ready", message));
        } else frames.push(this.#hello(text.trim()));
      } else if (text.trim() !== "") {
        frames.push({ type: "input", line: text });
      }
    }
    return frames;
  }

  deliver(event: ChatEvent): void {
    this.#lastError = event.type === "error" ? event.message : undefined;
    this.connection.send(this.#render(event));
    // A refused nick asks again (unless nothing more can be done).
    if (!this.member && event.type === "error" && !FINAL_CODES.has(event.code)) {
      this.connection.send(encoder.encode(NICK_PROMPT));
    }
  }

  #hello(nick: string): HelloFrame {
    return {
      type: "hello",
      protocol: 1,
      nick,
      client: "text",
      ...(this.#password !== undefined ? { password: this.#password } : {}),
    };
  }

  end(event: ByeEvent): void {
    // A refusal is an error line and then the goodbye: say it once.
    const said = event.message === this.#lastError;
    void this.connection.end(said ? undefined : this.#render(event));
  }

  #render(event: ChatEvent): Uint8Array {
    const current = this.member?.current?.name;
    if (event.type === "msg" || event.type === "join" || event.type === "leave") {
      if (event !== cachedEvent) {
        cachedEvent = event;
        cachedHere = cachedElsewhere = undefined;
      }
      if (event.room === current) {
        return cachedHere ??= toBytes(formatEvent(event, { currentRoom: current }));
      }
      return cachedElsewhere ??= toBytes(formatEvent(event, { currentRoom: current }));
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

function toBytes(lines: string[]): Uint8Array {
  return encoder.encode(lines.map((line) => line + "\r\n").join(""));
}
