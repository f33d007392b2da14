import type { ByeEvent, ChatEvent } from "../core/events.ts";
import type { Member } from "../core/member.ts";
import { ProtocolError } from "../errors.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { LineDecoder } from "../protocol/decode_lines.ts";
import { TelnetFilter } from "../protocol/telnet_filter.ts";
import { formatEvent } from "../protocol/text_format.ts";
import type { Connection } from "./connection.ts";
import type { Transport } from "./transport.ts";

const encoder = new TextEncoder();
const NICK_PROMPT = "Nick? ";
const greetings = new Map<string, Uint8Array>();

// Room events look the same to every text client in the same current room,
// so each is rendered once per variant and the bytes are shared. A broadcast
// hands the same event to every member in one synchronous loop, so a cache
// of the last event is enough, and it costs one comparison per recipient
// where a WeakMap lookup cost a hash probe.
let cachedEvent: ChatEvent | undefined;
let cachedHere: Uint8Array | undefined;
let cachedElsewhere: Uint8Array | undefined;

/**
 * Plain-text mode for `nc` and telnet: the first line is the nick, then
 * every line is a message or a /command; events arrive as readable lines
 * with CRLF endings and no escape sequences.
 */
export class TextTransport implements Transport {
  readonly kind = "text";
  member: Member | undefined;

  readonly #telnet = new TelnetFilter();
  readonly #lines: LineDecoder;

  constructor(readonly connection: Connection, maxLineBytes: number) {
    this.#lines = new LineDecoder(maxLineBytes);
  }

  /** The greeting that asks for a nick (encoded once per server name). */
  static greeting(serverName: string): Uint8Array {
    let bytes = greetings.get(serverName);
    if (!bytes) {
      bytes = encoder.encode(`Welcome to ${serverName} (lanchat). Pick a nick.\r\n${NICK_PROMPT}`);
      greetings.set(serverName, bytes);
    }
    return bytes;
  }

  decode(chunk: Uint8Array): (ClientFrame | ProtocolError)[] {
    const frames: (ClientFrame | ProtocolError)[] = [];
    for (const line of this.#lines.push(this.#telnet.filter(chunk))) {
      if (line instanceof ProtocolError) {
        frames.push(line);
        continue;
      }
      const text = line.replace(/\0/g, "");
      if (!this.member && frames.every((f) => f instanceof ProtocolError || f.type !== "hello")) {
        if (text.trim() === "") this.connection.send(encoder.encode(NICK_PROMPT));
        else frames.push({ type: "hello", protocol: 1, nick: text.trim(), client: "text" });
      } else if (text.trim() !== "") {
        frames.push({ type: "input", line: text });
      }
    }
    return frames;
  }

  deliver(event: ChatEvent): void {
    this.connection.send(this.#render(event));
    // A refused nick asks again (unless nothing more can be done).
    if (!this.member && event.type === "error" && event.code !== "server_full") {
      this.connection.send(encoder.encode(NICK_PROMPT));
    }
  }

  end(event: ByeEvent): void {
    void this.connection.end(this.#render(event));
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

function toBytes(lines: string[]): Uint8Array {
  return encoder.encode(lines.map((line) => line + "\r\n").join(""));
}
