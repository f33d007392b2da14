/**
 * The line splitting the two Deno reference relays share (`deno_relay.ts`,
 * `deno_tls_relay.ts`): the whole lines of each read, as one block (each
 * line with its newline), a line cut by reads joined with its rest, kept to
 * its first LINE_BYTES when that rest is long (a long line within one read
 * goes out whole; the C relay drops one: the bench sends no such line). One block a read is what the C relay (floor_relay.c) writes to each
 * recipient: one write for all the whole lines one read brought.
 */

const NEWLINE = 0x0a;
/** The longest line kept when it is cut by reads; the rest is dropped. */
const LINE_BYTES = 8192;

/**
 * A splitter for one connection: feed it each read (its buffer may be
 * reused after the call); it calls `lines` with the whole lines the read
 * completes, as one block of their own.
 */
export function blockSplitter(lines: (bytes: Uint8Array) => void): (read: Uint8Array) => void {
  let partial: Uint8Array | undefined;
  return (read) => {
    const end = read.lastIndexOf(NEWLINE) + 1;
    if (end > 0) {
      let block: Uint8Array;
      if (!partial) block = read.slice(0, end);
      else {
        const nl = read.indexOf(NEWLINE);
        // A line past LINE_BYTES keeps only its first LINE_BYTES (and its newline).
        const head = partial.length < LINE_BYTES ? concat(partial, read.subarray(0, nl)) : partial;
        block = concat(head.subarray(0, LINE_BYTES), read.subarray(nl, end));
        partial = undefined;
      }
      lines(block);
    }
    if (end < read.length) {
      const rest = read.subarray(end);
      if (!partial) partial = rest.slice();
      else if (partial.length < LINE_BYTES) partial = concat(partial, rest);
    }
  };
}

function concat(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head);
  joined.set(tail, head.length);
  return joined;
}

/** The first read buffer's size, and the size a buffer shrinks back to. */
export const READ_BYTES = 256;

/**
 * The buffer for the next read after one of `n` bytes into `buffer`: twice
 * as large while reads fill it (up to 64 KiB), back to READ_BYTES after a
 * small read (as lanchat's connections size theirs).
 */
export function nextReadBuffer(
  buffer: Uint8Array<ArrayBuffer>,
  n: number,
): Uint8Array<ArrayBuffer> {
  if (n === buffer.length && buffer.length < 64 * 1024) return new Uint8Array(buffer.length * 2);
  if (n < READ_BYTES && buffer.length > READ_BYTES) return new Uint8Array(READ_BYTES);
  return buffer;
}

/**
 * Reads `conn` until it ends (or is reset), handing each read to `split` (a
 * {@linkcode blockSplitter}), in a buffer sized as lanchat's: what the line
 * relays (`deno_relay.ts`, `deno_chat_floor.ts`) do with each client.
 */
export async function readAll(conn: Deno.Conn, split: (read: Uint8Array) => void): Promise<void> {
  let buffer = new Uint8Array(READ_BYTES);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      split(buffer.subarray(0, n));
      buffer = nextReadBuffer(buffer, n);
    }
  } catch {
    // Reset by the peer.
  }
}
