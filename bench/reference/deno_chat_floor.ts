/**
 * Deno's floor for a chat server's own work (docs/performance.md, "Ninth round"): `deno_relay.ts
 * --share-joins --hello` (the same reads, line blocks, writer and V8 flags) plus only what every
 * message of a chat must go through before it is relayed, done the cheapest way found:
 *
 * - the first line is the client's nick: checked (ASCII letters, digits, `_-.`, at most 32) and
 *   unique (a `Map` by its lower case), refused with an error line (the next line is tried) or
 *   greeted ("ok") and in, as `deno-relay-hello` greets at the first line;
 * - each line is decoded as UTF-8 into a string (a fatal decoder: bytes that are not UTF-8 are
 *   refused), and one with a control character is refused (an error line to its sender);
 * - each message is an object (id, time, nick, text) kept in the room's history, the last 10,000
 *   in a ring: what lanchat keeps in memory without a database (`--no-persist`, as the bench
 *   runs it);
 * - the read's messages are rendered as lanchat's text lines (`[HH:MM] <nick> text`, the stamp
 *   made once a minute), joined and encoded once, and that one block goes to every other client.
 *
 * Nothing else: no rooms but one, no limits, no commands, no sessions or codecs. What lanchat
 * spends beyond this is the price of its design; what this spends beyond `deno-relay-shared` is
 * the price of being a chat at all, in Deno.
 *
 *   deno task bench --only flood --against relay,deno-relay-shared,deno-chat --generator c --pin
 *   deno run -A bench/reference/deno_chat_floor.ts <port> [writes in flight]
 *
 * @module
 */

import { blockSplitter, readAll } from "./_relay_lines.ts";
import { RelayWriter, writeLimit } from "./_relay_writer.ts";

const port = Number(Deno.args[0]);
const limit = Number(Deno.args[1] ?? 128);
if (!Number.isInteger(port) || !Number.isInteger(limit) || limit < 1) {
  console.error("usage: deno_chat_floor.ts <port> [writes in flight]");
  Deno.exit(2);
}
writeLimit.writesInFlight = limit;
writeLimit.shareJoins = true;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const replacing = new TextDecoder();
const GREETING = encoder.encode("ok\n");
const NOT_UTF8 = encoder.encode("! Not UTF-8\r\n");
const CONTROL_CHARACTER = encoder.encode("! Control characters are not allowed\r\n");
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
const HISTORY = 10_000;
const NICK = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const BAD_NICK = encoder.encode("! Nick may only contain letters, digits, _ - and .\r\n");
const NICK_TAKEN = encoder.encode("! Nick taken\r\n");
/** ASCII lines up to this long are decoded in JavaScript; longer ones by the decoder (an op). */
const DECODED_MAX = 24;
const SLAB_BYTES = 64 * 1024;

interface Message {
  id: number;
  ts: number;
  from: string;
  text: string;
}

/** The room's history: a ring of the last HISTORY messages. */
const history: (Message | undefined)[] = new Array(HISTORY).fill(undefined);
let lastId = 0;

let stampMinute = NaN;
let stampBytes = new Uint8Array(0);

/** `[HH:MM] ` of `ts` as bytes, made once a minute. */
function stamp(ts: number): Uint8Array {
  const minute = Math.floor(ts / 60_000);
  if (minute !== stampMinute) {
    const date = new Date(ts);
    const pad = (n: number) => String(n).padStart(2, "0");
    stampMinute = minute;
    stampBytes = encoder.encode(`[${pad(date.getHours())}:${pad(date.getMinutes())}] `);
  }
  return stampBytes;
}

/**
 * The text of a line's bytes, or the refusal to send back when they are not UTF-8 or hold a
 * control character
 * (short ASCII checked and decoded in JavaScript; the rest by the replacing decoder, and by the
 * fatal one only when that gave U+FFFD).
 */
function textOf(bytes: Uint8Array): string | Uint8Array {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte < 0x20 || byte === 0x7f) return CONTROL_CHARACTER;
    if (byte > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii && bytes.length <= DECODED_MAX) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let text = replacing.decode(bytes);
  if (text.includes("\uFFFD")) {
    try {
      text = decoder.decode(bytes);
    } catch {
      return NOT_UTF8;
    }
  }
  return ascii || !CONTROL.test(text) ? text : CONTROL_CHARACTER;
}

/** Rendered lines are written into a slab in turn: a reader's queued blocks are one run of it. */
let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

const clients = new Set<RelayWriter>();
/** Who holds each nick, by its lower case. */
const nicks = new Map<string, RelayWriter>();

/** `line` as the nick of `client` when it is free and well formed (else the client is told). */
function enter(client: RelayWriter, line: Uint8Array): string | undefined {
  const nick = replacing.decode(line).trim();
  if (!NICK.test(nick)) return void client.send(BAD_NICK);
  const key = nick.toLowerCase();
  if (nicks.has(key)) return void client.send(NICK_TAKEN);
  nicks.set(key, client);
  clients.add(client);
  client.send(GREETING);
  return nick;
}

/**
 * The read's whole lines as messages of `nick`: refusals to `client`, the rest rendered as
 * lanchat's text lines (`[HH:MM] <nick> text`) into one block, which goes to everyone else. The
 * text is written as it came (checked UTF-8 without controls: encoding it again gives the same
 * bytes).
 */
function say(client: RelayWriter, nick: string, nickBytes: Uint8Array, lines: Uint8Array): void {
  const ts = Date.now();
  const head = stamp(ts);
  let count = 0;
  for (let i = lines.indexOf(0x0a); i !== -1; i = lines.indexOf(0x0a, i + 1)) count++;
  const most = lines.length + count * (head.length + nickBytes.length + 5);
  if (used + most > SLAB_BYTES) {
    slab = new Uint8Array(Math.max(SLAB_BYTES, most));
    used = 0;
  }
  const begin = used;
  let at = used;
  let start = 0;
  while (start < lines.length) {
    const nl = lines.indexOf(0x0a, start);
    const end = nl > start && lines[nl - 1] === 0x0d ? nl - 1 : nl;
    const bytes = lines.subarray(start, end);
    start = nl + 1;
    const text = textOf(bytes);
    if (typeof text !== "string") {
      client.send(text);
      continue;
    }
    history[++lastId % HISTORY] = { id: lastId, ts, from: nick, text };
    slab.set(head, at);
    at += head.length;
    slab[at++] = 0x3c; // <
    slab.set(nickBytes, at);
    at += nickBytes.length;
    slab[at++] = 0x3e; // >
    slab[at++] = 0x20;
    slab.set(bytes, at);
    at += bytes.length;
    slab[at++] = 0x0d;
    slab[at++] = 0x0a;
  }
  used = at;
  if (at === begin) return;
  const block = slab.subarray(begin, at);
  for (const other of clients) if (other !== client) other.send(block);
}

async function serve(client: RelayWriter): Promise<void> {
  let nick: string | undefined;
  let nickBytes = new Uint8Array(0);
  const split = blockSplitter((lines) => {
    while (nick === undefined) {
      const nl = lines.indexOf(0x0a);
      nick = enter(client, lines.subarray(0, nl));
      if (nick !== undefined) nickBytes = encoder.encode(nick);
      if (nl + 1 === lines.length) return;
      lines = lines.subarray(nl + 1);
    }
    say(client, nick, nickBytes, lines);
  });
  try {
    await readAll(client.conn, split);
  } finally {
    if (nick !== undefined) nicks.delete(nick.toLowerCase());
    client.close();
  }
}

// A clean exit on the harness's SIGTERM (a --cpu-prof profile is written at exit).
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

const listener = Deno.listen({ hostname: "127.0.0.1", port });
for await (const conn of listener) {
  conn.setNoDelay(true);
  serve(new RelayWriter(conn, clients));
}
