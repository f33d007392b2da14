/**
 * UTF-8 for the per-message path, with a fast path for short ASCII text:
 * in Deno every new `Uint8Array` is a backing store of its own (~0.5 µs, no
 * small arrays on V8's heap) and `TextEncoder`/`TextDecoder` are calls into
 * Rust, which together were most of what encoding and decoding one chat
 * line cost (docs/performance.md). Anything else goes through the standard
 * encoder and decoder, so the bytes and strings are always the same.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The bytes that short ASCII texts are carved from, one slab after another. */
const SLAB_BYTES = 2048;
/** The longest text carved from a slab (a longer one costs its own buffer anyway). */
const CARVED_MAX = 256;
/** The longest line decoded without the standard decoder. */
const DECODED_MAX = 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/**
 * `text` as UTF-8, exactly as `TextEncoder.encode` gives it. Short ASCII
 * text is written into a part of a shared slab that nothing else is
 * written to ever after: the bytes are for sharing and sending, never to be
 * modified (as every codec's output). A slab is kept alive by any of its
 * parts, so it is small: at most SLAB_BYTES per part still queued.
 */
export function utf8Bytes(text: string): Uint8Array {
  const length = text.length;
  if (length > CARVED_MAX) return encoder.encode(text);
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const start = used;
  const into = slab;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    // Not ASCII: the part written so far is simply never handed out.
    if (code > 0x7f) return encoder.encode(text);
    into[start + i] = code;
  }
  used = start + length;
  return into.subarray(start, used);
}

/**
 * `parts.join("")` as utf8Bytes() gives it, without making the string:
 * short ASCII parts are written one after another into one part of the slab
 * (a line built of a nick, a room and a message is never concatenated,
 * flattened and copied again). Anything else as utf8Bytes().
 */
export function utf8Joined(parts: readonly string[]): Uint8Array {
  let length = 0;
  for (let p = 0; p < parts.length; p++) length += parts[p].length;
  if (length > CARVED_MAX) return encoder.encode(parts.join(""));
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const start = used;
  const into = slab;
  let at = start;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    for (let i = 0; i < part.length; i++) {
      const code = part.charCodeAt(i);
      // Not ASCII: as in utf8Bytes, the part written so far is never handed out.
      if (code > 0x7f) return encoder.encode(parts.join(""));
      into[at++] = code;
    }
  }
  used = at;
  return into.subarray(start, at);
}

/**
 * `bytes` decoded as UTF-8, exactly as a fatal `TextDecoder` decodes them:
 * throws a `TypeError` when they are not UTF-8.
 */
export function utf8Text(bytes: Uint8Array): string {
  const length = bytes.length;
  if (length > DECODED_MAX) return decoder.decode(bytes);
  for (let i = 0; i < length; i++) if (bytes[i] > 0x7f) return decoder.decode(bytes);
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
