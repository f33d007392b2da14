/**
 * The native protocol's codec: newline-delimited JSON frames
 * (docs/protocol.md), bytes in and frames out, events in and bytes out.
 *
 * @module
 */

import type { ByeFrame, ServerFrame } from "./wire_frames.ts";
import { ProtocolError } from "./protocol_error.ts";
import { type ClientFrame, parseClientFrame } from "./client_frames.ts";
import type { Codec, CodecCapabilities, Decoded } from "./codec.ts";
import { LineDecoder } from "./decode_lines.ts";
import { utf8Bytes } from "./utf8.ts";
import { RunCache } from "./run_cache.ts";

/** The last run of messages as native lines (the same for every reader). */
const runs = new RunCache();

// The hub hands one event to every member of a room in one synchronous loop,
// so remembering the last event encoded is enough to serialise a broadcast
// once. A cache per event object (a WeakMap) kept every encoding alive for as
// long as the event stayed in a room's replay history: 12 KB of JSON beside
// each 4,000-character CJK message, half of what 1,000 full rooms cost.
let cachedEvent: object | undefined;
let cachedBytes: Uint8Array | undefined;
let jsonEvent: object | undefined;
let cachedJson = "";

/**
 * The event's JSON, the last event's kept: native and WebSocket recipients
 * of one broadcast share one `JSON.stringify` (each codec frames it its way).
 */
export function eventJson(event: ServerFrame | Record<string, unknown>): string {
  if (event !== jsonEvent) {
    cachedJson = JSON.stringify(event);
    jsonEvent = event;
  }
  return cachedJson;
}

/**
 * Encodes a frame as one line of JSON. The bytes of the last event are kept,
 * so a broadcast to thousands of native clients serialises the message once.
 * The returned bytes are shared: never modify them.
 */
export function encodeFrame(event: ServerFrame | Record<string, unknown>): Uint8Array {
  if (event !== cachedEvent || !cachedBytes) {
    cachedBytes = utf8Bytes(eventJson(event), true);
    cachedEvent = event;
  }
  return cachedBytes;
}

/** What the native protocol does: a program at the other end, which wants its echoes and pings. */
const NATIVE: CodecCapabilities = Object.freeze({
  name: "native",
  echo: true,
  keepalive: true,
  promptsForNick: false,
  uploads: true,
});

/**
 * The native protocol of one connection: each line is a JSON frame
 * (validated by `parseClientFrame`; a bad line becomes its error, and the
 * connection goes on), each event one line of JSON, encoded once per
 * broadcast.
 *
 * @example
 * ```ts
 * const codec = new NativeCodec(1024);
 * const { frames } = codec.decode(new TextEncoder().encode('{"type":"ping"}\n'));
 * // frames: [{ type: "ping" }]
 * ```
 */
export class NativeCodec implements Codec {
  /** Echo and keepalive; no nick prompt. */
  readonly capabilities: CodecCapabilities = NATIVE;
  readonly #lines: LineDecoder;

  /**
   * A codec for one connection.
   * @param maxLineBytes the longest line accepted; a longer one is a fatal `line_too_long`
   */
  constructor(maxLineBytes: number) {
    this.#lines = new LineDecoder(maxLineBytes);
  }

  /** Blank lines are skipped; every other line is a frame or its error. */
  decode(chunk: Uint8Array): Decoded {
    const frames: (ClientFrame | ProtocolError)[] = [];
    for (const line of this.#lines.decode(chunk)) {
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
    return { frames };
  }

  /** One line of JSON, shared by every recipient of the same event. */
  encode(event: ServerFrame): Uint8Array {
    return encodeFrame(event);
  }

  /** A run of messages as lines, shared by every native reader. */
  encodeRun(events: readonly ServerFrame[]): Uint8Array | undefined {
    return runs.bytes(events, 0, this);
  }

  /** The goodbye, always said. */
  encodeEnd(event: ByeFrame): Uint8Array {
    return encodeFrame(event);
  }

  /** Nothing to do: JSON does not depend on who reads it. */
  admitted(): void {}
}
