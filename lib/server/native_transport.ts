import type { ByeEvent, ChatEvent } from "../core/events.ts";
import type { Member } from "../core/member.ts";
import { ProtocolError } from "../errors.ts";
import { type ClientFrame, parseClientFrame } from "../protocol/client_frames.ts";
import { decodeLines } from "../protocol/decode_lines.ts";
import { encodeFrame } from "../protocol/native_codec.ts";
import type { Connection } from "./connection.ts";
import type { Transport } from "./transport.ts";

/** The native protocol: newline-delimited JSON frames (docs/protocol.md). */
export class NativeTransport implements Transport {
  readonly kind = "native";
  member: Member | undefined;

  constructor(
    readonly connection: Connection,
    readonly chunks: AsyncIterable<Uint8Array>,
    readonly maxLineBytes: number,
  ) {}

  async *frames(): AsyncGenerator<ClientFrame | ProtocolError, void, void> {
    for await (const line of decodeLines(this.chunks, this.maxLineBytes)) {
      if (line instanceof ProtocolError) yield line;
      else if (line.trim() === "") continue;
      else {
        try {
          yield parseClientFrame(line);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          yield error;
        }
      }
    }
  }

  deliver(event: ChatEvent): void {
    this.connection.send(encodeFrame(event));
  }

  end(event: ByeEvent): void {
    void this.connection.end(encodeFrame(event));
  }
}
