import type { ChatEvent } from "../core/events.ts";

const encoder = new TextEncoder();

// The hub hands one event to every member of a room in one synchronous loop,
// so remembering the last event encoded is enough to serialise a broadcast
// once. A cache per event object (a WeakMap) kept every encoding alive for as
// long as the event stayed in a room's replay history: 12 KB of JSON beside
// each 4,000-character CJK message, half of what 1,000 full rooms cost.
let cachedEvent: object | undefined;
let cachedBytes: Uint8Array | undefined;

/**
 * Encodes a frame as one line of JSON. The bytes of the last event are kept,
 * so a broadcast to thousands of native clients serialises the message once.
 * The returned bytes are shared: never modify them.
 */
export function encodeFrame(event: ChatEvent | Record<string, unknown>): Uint8Array {
  if (event !== cachedEvent || !cachedBytes) {
    cachedBytes = encoder.encode(JSON.stringify(event) + "\n");
    cachedEvent = event;
  }
  return cachedBytes;
}
