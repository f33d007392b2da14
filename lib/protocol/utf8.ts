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
/**
 * The longest text carved from a slab (a longer one costs its own buffer
 * anyway): a text welcome with its twenty names is ~300 bytes.
 */
const CARVED_MAX = 512;
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
 * `lines`, each ended by CRLF, as UTF-8 carved from the slab as
 * {@linkcode utf8Bytes} carves short ASCII text, without joining them into
 * one string first; undefined when they are not short ASCII (the caller
 * then joins and encodes them).
 */
export function utf8Lines(lines: readonly string[]): Uint8Array | undefined {
  let length = 0;
  for (let i = 0; i < lines.length; i++) length += lines[i].length + 2;
  if (length > CARVED_MAX) return undefined;
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const start = used;
  const into = slab;
  let at = start;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    for (let j = 0; j < line.length; j++) {
      const code = line.charCodeAt(j);
      // Not ASCII: the part written so far is simply never handed out.
      if (code > 0x7f) return undefined;
      into[at++] = code;
    }
    into[at++] = 0x0d;
    into[at++] = 0x0a;
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
