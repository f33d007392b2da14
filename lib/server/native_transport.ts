import type { ByeEvent, ChatEvent } from "../core/events.ts";
import type { Member } from "../core/member.ts";
import { ProtocolError } from "../errors.ts";
import { type ClientFrame, parseClientFrame } from "../protocol/client_frames.ts";
import { LineDecoder } from "../protocol/decode_lines.ts";
import { encodeFrame } from "../protocol/native_codec.ts";
import type { Outbox } from "./outbox.ts";
import type { Transport } from "./transport.ts";

/** The native protocol: newline-delimited JSON frames (docs/protocol.md). */
export class NativeTransport implements Transport {
  readonly kind = "native";
  member: Member | undefined;
  readonly #lines: LineDecoder;

  constructor(readonly connection: Outbox, maxLineBytes: number) {
    this.#lines = new LineDecoder(maxLineBytes);
  }

  decode(chunk: Uint8Array): (ClientFrame | ProtocolError)[] {
    const frames: (ClientFrame | ProtocolError)[] = [];
    for (const line of this.#lines.push(chunk)) {
      if (line instanceof ProtocolError) frames.push(line);
      else if (line.trim() !== "") {
        try {
          frames.push(parseClientFrame(line));
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          frames.push(error);
        }
      }
    }
    return frames;
  }

  deliver(event: ChatEvent): void {
    this.connection.send(encodeFrame(event));
  }

  end(event: ByeEvent): void {
    void this.connection.end(encodeFrame(event));
  }
}
