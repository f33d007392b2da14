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
const replacing = new TextDecoder("utf-8");

/** The bytes that short ASCII texts are carved from, one slab after another. */
const SLAB_BYTES = 2048;
/** The longest text carved from a slab (a longer one costs its own buffer anyway). */
const CARVED_MAX = 256;
/** The longest line decoded without the standard decoder (past it, the decoder is faster). */
const DECODED_MAX = 24;

const NEWLINE = 0x0a;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/**
 * `text` as UTF-8, exactly as `TextEncoder.encode` gives it, and with
 * `newline` a line end after it (the bytes of `text + "\n"`, without making
 * that string: a concatenation is a rope, whose characters read several
 * times slower). Short ASCII text is written into a part of a shared slab
 * that nothing else is written to ever after: the bytes are for sharing and
 * sending, never to be modified (as every codec's output). A slab is kept
 * alive by any of its parts, so it is small: at most SLAB_BYTES per part
 * still queued.
 */
export function utf8Bytes(text: string, newline = false): Uint8Array {
  const length = text.length;
  const size = newline ? length + 1 : length;
  if (size > CARVED_MAX) return encoder.encode(newline ? text + "\n" : text);
  if (used + size > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const start = used;
  const into = slab;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    // Not ASCII: the part written so far is simply never handed out.
    if (code > 0x7f) return encoder.encode(newline ? text + "\n" : text);
    into[start + i] = code;
  }
  if (newline) into[start + length] = NEWLINE;
  used = start + size;
  return into.subarray(start, used);
}

/**
 * `bytes` decoded as UTF-8, exactly as a fatal `TextDecoder` decodes them:
 * throws a `TypeError` when they are not UTF-8. A very short ASCII line is
 * decoded in JavaScript; anything longer by the replacing decoder, whose
 * output equals the fatal one's unless it holds U+FFFD (a replaced byte, or
 * one sent as such), which only then asks the fatal decoder: in Deno the
 * fatal decoder costs two to four times the replacing one.
 */
export function utf8Text(bytes: Uint8Array): string {
  const length = bytes.length;
  if (length <= DECODED_MAX) {
    let i = 0;
    while (i < length && bytes[i] <= 0x7f) i++;
    if (i === length) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  const text = replacing.decode(bytes);
  return text.includes("\uFFFD") ? decoder.decode(bytes) : text;
}
