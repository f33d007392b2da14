/**
 * The line splitting the two Deno reference relays share (`deno_relay.ts`,
 * `deno_tls_relay.ts`): whole lines of each read, each with its newline,
 * a line cut by a read joined with its rest, and a line longer than
 * LINE_BYTES cut there (the rest dropped, as the C relay does).
 */

const NEWLINE = 0x0a;
/** The longest line kept; the rest of a longer one is dropped (as the C relay does). */
const LINE_BYTES = 8192;

/** A splitter for one connection: feed it each read; it calls `line` with each whole line. */
export function lineSplitter(line: (bytes: Uint8Array) => void): (read: Uint8Array) => void {
  let partial: Uint8Array | undefined;
  return (read) => {
    let start = 0;
    let nl = read.indexOf(NEWLINE);
    while (nl !== -1) {
      let bytes: Uint8Array = read.slice(start, nl + 1);
      if (partial) {
        bytes = concat(partial, bytes);
        partial = undefined;
      }
      line(bytes);
      start = nl + 1;
      nl = read.indexOf(NEWLINE, start);
    }
    if (start < read.length) {
      const rest = read.slice(start);
      if (!partial) partial = rest;
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
