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

/**
 * The bytes that short ASCII texts are carved from, one slab after another.
 * Large, so that what a busy room's members queue between two writes (the
 * room's lines, carved in turn) is one run of one slab, or a few: on Deno's
 * own TCP a send queue writes a long run as it is (send_queue.ts), and each
 * new slab is one backing store more (a 2 KiB slab made a flood's queues
 * dozens of runs each, joined at every write).
 */
const SLAB_BYTES = 64 * 1024;
/**
 * The longest text carved from a slab (a longer one costs its own buffer
 * anyway): a text welcome with its twenty names is ~300 bytes.
 */
const CARVED_MAX = 512;
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
 * alive by any of its parts: the server's sweep copies the parts that wait
 * behind a stalled write into buffers of their own (`SendQueue.consolidate`).
 */
export function utf8Bytes(text: string, newline = false): Uint8Array {
  return carve(0, text, newline) ?? encoder.encode(newline ? text + "\n" : text);
}

/**
 * `text` as UTF-8 after `headroom` bytes that the caller fills (a frame's
 * header), as one part of the slab, when `text` is short ASCII (at most
 * CARVED_MAX characters); otherwise undefined. The same rule as
 * {@linkcode utf8Bytes}: the part is the caller's to fill once, then only to
 * share and send.
 */
export function utf8BytesAfter(headroom: number, text: string): Uint8Array | undefined {
  return carve(headroom, text, false);
}

/**
 * `parts.join("")` as utf8Bytes() gives it, without making the string:
 * short ASCII parts are written one after another into one part of the slab
 * (a line built of a nick, a room and a message is never concatenated,
 * flattened and copied again). Anything else as utf8Bytes().
 */
export function utf8Joined(parts: readonly string[]): Uint8Array {
  return carveParts(parts, false) ?? encoder.encode(parts.join(""));
}

/**
 * `lines`, each ended by CRLF, as UTF-8 carved from the slab as
 * {@linkcode utf8Bytes} carves short ASCII text, without joining them into
 * one string first; undefined when they are not short ASCII (the caller
 * then joins and encodes them).
 */
export function utf8Lines(lines: readonly string[]): Uint8Array | undefined {
  return carveParts(lines, true);
}

/** Where `size` bytes start in the slab: a fresh slab when the current one has no room. */
function reserve(size: number): number {
  if (used + size > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  return used;
}

/** `headroom` bytes, short ASCII `text` and maybe a line end, as a part of the slab; or undefined. */
function carve(headroom: number, text: string, newline: boolean): Uint8Array | undefined {
  const length = text.length;
  const size = headroom + length + (newline ? 1 : 0);
  if (size - headroom > CARVED_MAX) return undefined;
  const start = reserve(size);
  const into = slab;
  const at = start + headroom;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    // Not ASCII: the part written so far is simply never handed out.
    if (code > 0x7f) return undefined;
    into[at + i] = code;
  }
  if (newline) into[at + length] = NEWLINE;
  used = start + size;
  return into.subarray(start, used);
}

/** Short ASCII `parts` one after another, each with CRLF after it when `crlf`, as a part of the slab; or undefined. */
function carveParts(parts: readonly string[], crlf: boolean): Uint8Array | undefined {
  let size = 0;
  for (let p = 0; p < parts.length; p++) size += parts[p].length;
  if (crlf) size += 2 * parts.length;
  if (size > CARVED_MAX) return undefined;
  const start = reserve(size);
  const into = slab;
  let at = start;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    for (let i = 0; i < part.length; i++) {
      const code = part.charCodeAt(i);
      // Not ASCII: the part written so far is simply never handed out.
      if (code > 0x7f) return undefined;
      into[at++] = code;
    }
    if (crlf) {
      into[at++] = 0x0d;
      into[at++] = NEWLINE;
    }
  }
  used = at;
  return into.subarray(start, at);
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
