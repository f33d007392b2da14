/**
 * The native protocol inside WebSocket messages, framed here rather than by
 * the WebSocket library: `encode` returns a whole WebSocket text frame
 * (RFC 6455: FIN, opcode 1, unmasked as a server's frames are, the length,
 * then one line of JSON), so that a broadcast frames its event once and
 * every WebSocket recipient shares the bytes, as every native recipient
 * shares the line. Decoding is the native codec's: the pipe hands each
 * message the library has unmasked and reassembled, as one line.
 *
 * permessage-deflate is not offered: it would compress every message once
 * per recipient (its window is per connection), undoing the sharing.
 *
 * @module
 */

import type { ByeFrame, ServerFrame } from "./wire_frames.ts";
import { eventJson, NativeCodec } from "./native_codec.ts";
import { utf8Bytes, utf8BytesAfter } from "./utf8.ts";
import { RunCache } from "./run_cache.ts";

/** The last run of messages as frames (the same for every WebSocket reader). */
const frameRuns = new RunCache();

const FIN_TEXT = 0x81;

// As for the native line: a broadcast encodes the same event for every
// recipient in a row, so the last frame is all that needs remembering.
let cachedEvent: object | undefined;
let cachedFrame: Uint8Array | undefined;

/** The header bytes of a frame whose payload is `length` bytes long. */
function headerBytes(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** Writes a text frame's header for a `length`-byte payload at the start of `frame`. */
function writeHeader(frame: Uint8Array, length: number): void {
  frame[0] = FIN_TEXT;
  if (length < 126) frame[1] = length;
  else if (length < 0x10000) {
    frame[1] = 126;
    frame[2] = length >>> 8;
    frame[3] = length & 0xff;
  } else {
    frame[1] = 127;
    // Lengths here stay far below 2^32: the high four bytes are zero.
    new DataView(frame.buffer, frame.byteOffset).setUint32(6, length);
  }
}

/**
 * A WebSocket text frame (server to client, unmasked) whose payload is
 * `payload`.
 */
export function webSocketTextFrame(payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const header = headerBytes(length);
  const frame = new Uint8Array(header + length);
  writeHeader(frame, length);
  frame.set(payload, header);
  return frame;
}

/**
 * A text frame of `json`: short ASCII JSON written once, straight after its
 * header, into a part of the shared slab (`utf8BytesAfter`: no buffer of
 * its own, no copy, each of which cost more than the rest of the frame);
 * other JSON encoded, then framed.
 */
function jsonFrame(json: string): Uint8Array {
  const frame = utf8BytesAfter(headerBytes(json.length), json);
  if (!frame) return webSocketTextFrame(utf8Bytes(json));
  writeHeader(frame, json.length);
  return frame;
}

/** The event as a WebSocket text frame of one line of JSON (no line end), shared by a broadcast. */
function encodeWebSocketFrame(event: ServerFrame): Uint8Array {
  if (event !== cachedEvent || !cachedFrame) {
    cachedFrame = jsonFrame(eventJson(event));
    cachedEvent = event;
  }
  return cachedFrame;
}

/** See the module doc. */
export class WebSocketCodec extends NativeCodec {
  /** A WebSocket text frame, shared by every WebSocket recipient of the same event. */
  override encode(event: ServerFrame): Uint8Array {
    return encodeWebSocketFrame(event);
  }

  /** A run of messages as frames, one after another, shared by every WebSocket reader. */
  override encodeRun(events: readonly ServerFrame[]): Uint8Array | undefined {
    return frameRuns.bytes(events, 0, this);
  }

  /** The goodbye, as a WebSocket text frame. */
  override encodeEnd(event: ByeFrame): Uint8Array {
    return encodeWebSocketFrame(event);
  }
}
