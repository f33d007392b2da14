import type { ChatEvent } from "../core/events.ts";

const encoder = new TextEncoder();
const cache = new WeakMap<object, Uint8Array>();

/**
 * Encodes a frame as one line of JSON. The bytes are cached per event object,
 * so a broadcast to thousands of native clients serialises the message once.
 * The returned bytes are shared: never modify them.
 */
export function encodeFrame(event: ChatEvent | Record<string, unknown>): Uint8Array {
  let bytes = cache.get(event);
  if (!bytes) {
    bytes = encoder.encode(JSON.stringify(event) + "\n");
    cache.set(event, bytes);
  }
  return bytes;
}
