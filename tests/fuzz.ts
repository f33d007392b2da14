/**
 * A seeded protocol fuzzer for the chat server. Each case opens a fresh TCP
 * connection and sends random bytes or mutated native frames; the fuzzer
 * predicts which lines are not valid frames (from docs/protocol.md) and
 * checks that each of them got its `error` frame, in order, while two healthy
 * native clients keep chatting through the whole run.
 *
 * The same seed and case number always build the same bytes, so a failure
 * replays alone: `deno task fuzz --seed S --case N`.
 *
 * @module
 */

import type { ChatServer, ChatServerOptions } from "../lib/server/chat_server.ts";
import { delay, NativeClient, startServer } from "./test_util.ts";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Server settings the fuzzer is built for: a small line cap so huge lines are
 * cheap, no rate limit (cases are bursts), room for many connections from
 * 127.0.0.1, and a handshake timeout short enough that silent cases end.
 */
export const FUZZ_SERVER_OPTIONS = {
  maxLineBytes: 4096,
  handshakeTimeoutMs: 1000,
  textPromptDelayMs: 100,
  rateLimit: false,
  maxPerIp: 1000,
  maxClients: 1000,
} as const satisfies ChatServerOptions;

/** What the fuzzer can see of a server running in the same process. */
export interface FuzzTarget {
  stats(): { connections: number; members: number };
  /** Error records the server logged (an exception in a connection task). */
  readonly errors: readonly string[];
}

/** A {@linkcode ChatServer} with {@linkcode FUZZ_SERVER_OPTIONS} that records logged errors. */
export class FuzzServer implements FuzzTarget, AsyncDisposable {
  readonly errors: string[] = [];
  #server: ChatServer | undefined;

  /** Starts the server on 127.0.0.1, port 0. */
  static async start(options: ChatServerOptions = {}): Promise<FuzzServer> {
    const fuzz = new FuzzServer();
    fuzz.#server = await startServer({
      ...FUZZ_SERVER_OPTIONS,
      ...options,
      log: (record) => {
        if (record.level === "error") fuzz.errors.push(JSON.stringify(record));
        options.log?.(record);
      },
    });
    return fuzz;
  }

  /** The port the server listens on. */
  get port(): number {
    return this.#server!.addr.port;
  }

  stats(): { connections: number; members: number } {
    return this.#server!.stats();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server?.shutdown();
  }
}

/** Settings of one fuzz run. */
export interface FuzzOptions {
  seed: number;
  /** How many cases to run. */
  cases: number;
  /** Port of the server under test, on 127.0.0.1. */
  port: number;
  /** The first case number (to replay one case: `first: N, cases: 1`). */
  first?: number;
  /** Cases in flight at once. */
  concurrency?: number;
  /** The server's line cap (default: {@linkcode FUZZ_SERVER_OPTIONS}). */
  maxLineBytes?: number;
  /** The server's handshake timeout (default: {@linkcode FUZZ_SERVER_OPTIONS}). */
  handshakeTimeoutMs?: number;
  /** How often the healthy clients prove they still chat. */
  healthEveryMs?: number;
  /** Lets the fuzzer also check the server's own counters and error log. */
  target?: FuzzTarget;
}

/** What a fuzz run did and found. */
export interface FuzzSummary {
  seed: number;
  first: number;
  cases: number;
  /** Each failure names the seed and case number, and how to replay it. */
  failures: string[];
  /** All failures, including those past the ones kept in `failures`. */
  failureCount: number;
  /** Cases per generator. */
  kinds: Record<string, number>;
  /** Cases per mode the server should pick. */
  modes: Record<CaseMode, number>;
  /** Lines that were not valid frames and were answered with an `error`. */
  badLines: number;
  /** Cases in which the fuzzed connection joined the chat. */
  welcomes: number;
  /** Times the healthy clients proved they still chat. */
  healthChecks: number;
  durationMs: number;
}

/** mulberry32: a tiny 32-bit PRNG; the same seed gives the same stream everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Convenience draws over {@linkcode mulberry32}. */
class Random {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** An integer in [low, high]. */
  range(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): number[] {
    return Array.from({ length: n }, () => this.int(256));
  }
}

/** Each case draws from its own stream, so any case replays without the ones before it. */
function caseSeed(seed: number, index: number): number {
  return Math.floor(mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0)() * 2 ** 32);
}

// ---------------------------------------------------------------------------
// Case generation

/** How the server should treat the connection, from its first byte (or silence). */
export type CaseMode = "native" | "text" | "silent";

/** What the peer does after its writes. */
type CaseEnding =
  /** Half-closes and reads until the server closes; then checks every answer. */
  | "eof"
  /** Closes abruptly without reading (a crash, a pulled cable). */
  | "abort"
  /** Says nothing, waits for the greeting, then half-closes. */
  | "greeting"
  /** Says nothing until the server gives up on the handshake. */
  | "timeout";

/** One fuzz case: the bytes, how they are cut into writes, and how the peer ends. */
export interface FuzzCase {
  index: number;
  kind: string;
  mode: CaseMode;
  ending: CaseEnding;
  /** Everything sent, in order. */
  payload: Uint8Array;
  /** `payload` cut into the writes that send it. */
  writes: Uint8Array[];
  /** Pause between writes, so the server reads them apart. */
  pauseMs: number;
}

/** A last frame that must still be answered after whatever came before it. */
const SENTINEL = '{"type":"ping","token":"fuzz-end"}\n';

// Bytes that matter to JSON, UTF-8, line splitting or telnet.
const SPECIAL_BYTES = [
  ...[0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x20, 0x22, 0x2c, 0x3a, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d, 0x7f],
  ...[0x80, 0xbf, 0xc0, 0xc1, 0xc3, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xf8, 0xfe, 0xff],
];
const ODD_SEQUENCES = [
  [0xff], // never valid UTF-8; telnet IAC
  [0xc0, 0xaf], // overlong "/"
  [0xed, 0xa0, 0x80], // encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xe2, 0x82], // truncated sequence
  [0x80], // lone continuation byte
  [0xef, 0xbb, 0xbf], // byte-order mark (valid)
  [0x00],
  [0x0d, 0x00], // telnet CR NUL
  [0xff, 0xfb, 0x1f], // IAC WILL NAWS
  [0xff, 0xfd, 0x01], // IAC DO ECHO
  [0xff, 0xfa, 0x18, 0x00, 0x78, 0x74, 0x65, 0x72, 0x6d, 0xff, 0xf0], // terminal-type subnegotiation
  [0xff, 0xff], // escaped IAC
  [0x0d], // lone CR
];
const TEXT_PIECES = [
  "hi",
  "hello world",
  "é",
  "日本語",
  "😀",
  "\u0000",
  "\x07",
  "\x1b[31mred\x1b[0m",
  "\x1b]0;title\x07",
  "\x1b[2J",
  "\u009b31m",
  "\u202eevil",
  "\u200b",
  "\t",
  "\r\n",
  "\n",
  "\r",
  "\ud800",
  "\udc00",
  "   ",
  "//etc",
  "\\",
  '"',
  "{}",
  "#lobby",
];
const NICKS = ["ana", "bo", "Ana", "ＡＮＡ", "admin", "a b", "", " ", "-x", "é", "x".repeat(30)];
const ROOMS = [
  "#lobby",
  "lobby",
  "#LOBBY",
  "#fz",
  "fz2",
  "#bad/room",
  "",
  "#",
  "#" + "r".repeat(40),
];
const COMMAND_NAMES = [
  "join",
  "part",
  "leave",
  "who",
  "names",
  "rooms",
  "help",
  "me",
  "msg",
  "dm",
  "nick",
  "dance",
  "",
  "/join",
  "HELP",
];
const QUIT_NAMES = ["quit", "EXIT", "bye"];
const WRONG_VALUES: unknown[] = [
  0,
  1,
  -1,
  1.5,
  1e300,
  null,
  true,
  false,
  [],
  {},
  ["x"],
  { a: 1 },
  "",
];
const FRAME_TYPES = ["hello", "msg", "cmd", "input", "ping", "pong"];

function randomText(r: Random, pieces: number): string {
  let text = "";
  for (let i = 0; i < pieces; i++) {
    text += r.chance(0.2) ? "w".repeat(r.range(1, 60)) : r.pick(TEXT_PIECES);
  }
  return text;
}

function randomNick(r: Random): string {
  return r.chance(0.6) ? `fz${r.int(5000)}` : r.pick(NICKS);
}

function maybeRoom(r: Random): { room?: string } {
  return r.chance(0.7) ? {} : { room: r.pick(ROOMS) };
}

/** A frame that passes validation (what the server then does with it varies). */
function validFrame(r: Random): Record<string, unknown> {
  switch (r.pick(FRAME_TYPES)) {
    case "hello":
      return {
        type: "hello",
        protocol: r.chance(0.95) ? 1 : r.pick([0, 2, 1.5, -1, 1e300]),
        nick: randomNick(r),
        client: r.chance(0.9) ? "fuzz" : "c".repeat(r.range(60, 200)),
      };
    case "msg":
      return { type: "msg", text: randomText(r, r.range(0, 6)), ...maybeRoom(r) };
    case "cmd": {
      const name = r.chance(0.02) ? r.pick(QUIT_NAMES) : r.pick(COMMAND_NAMES);
      const args = r.pick([undefined, "", "#fz", "#lobby", randomNick(r), randomText(r, 2)]);
      return { type: "cmd", name, ...(args === undefined ? {} : { args }), ...maybeRoom(r) };
    }
    case "input": {
      const line = r.chance(0.02)
        ? `/${r.pick(QUIT_NAMES)} done`
        : `${r.pick(["", "/", "//", "/join ", "/who ", "/me ", "/msg ", "/nick "])}${
          randomText(r, r.range(0, 3))
        }`;
      return { type: "input", line, ...maybeRoom(r) };
    }
    case "ping":
      return r.chance(0.5) ? { type: "ping" } : { type: "ping", token: randomText(r, 1) };
    default:
      return r.chance(0.5) ? { type: "pong" } : { type: "pong", token: "t" };
  }
}

/** JSON that parses but is not a valid frame, or barely is (deep, large, odd). */
function oddFrameLine(r: Random, budget: number): string {
  switch (r.int(11)) {
    case 0: { // A field of the wrong type.
      const frame = validFrame(r);
      const fields = Object.keys(frame).filter((key) => key !== "type");
      frame[fields.length && r.chance(0.8) ? r.pick(fields) : "token"] = r.pick(WRONG_VALUES);
      return JSON.stringify(frame);
    }
    case 1: { // A required field missing.
      const frame = validFrame(r);
      const fields = Object.keys(frame).filter((key) => key !== "type");
      if (fields.length) delete frame[r.pick(fields)];
      return JSON.stringify(frame);
    }
    case 2: { // An unknown type, or a type that is not a string.
      const type = r.pick<unknown>([
        "shout",
        "HELLO",
        "",
        "__proto__",
        "constructor",
        "toString",
        "hasOwnProperty",
        "ping ",
        "x".repeat(200),
        1,
        null,
        ["ping"],
        { type: "ping" },
      ]);
      return JSON.stringify({ ...validFrame(r), type });
    }
    case 3: // Valid JSON, but not an object.
      return r.pick(['["ping"]', "42", '"ping"', "null", "true", "[]", "{}", '{"type":}']);
    case 4: { // Deep nesting in an extra field (the frame is still valid).
      const depth = r.range(1, Math.floor((budget - 40) / 2));
      return `{"type":"ping","deep":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    }
    case 5: { // Deep nesting, unbalanced or as the whole line.
      const depth = r.range(1, Math.floor((budget - 40) / 6));
      return r.chance(0.5)
        ? `{"type":"ping","deep":${'{"a":'.repeat(depth)}1${"}".repeat(depth - 1)}}`
        : `${"[".repeat(depth)}${"]".repeat(r.int(depth + 2))}`;
    }
    case 6: { // Many keys.
      const keys = r.range(1, Math.floor((budget - 40) / 12));
      const frame: Record<string, unknown> = { type: r.pick(["ping", "msg", "pong"]) };
      for (let i = 0; i < keys; i++) frame[`k${i}`] = r.pick([0, "v", null, []]);
      if (r.chance(0.5)) frame.text = "many";
      return JSON.stringify(frame);
    }
    case 7: // Duplicate keys: the last one wins.
      return r.pick([
        '{"type":"ping","type":"msg"}',
        '{"type":"msg","type":"ping"}',
        '{"type":"msg","text":1,"text":"ok"}',
        '{"type":"msg","text":"ok","text":1}',
        '{"type":"hello","protocol":1,"nick":"fz1","client":"f","protocol":"1"}',
      ]);
    case 8: // Escapes: lone surrogates, NUL, a long text near the limits.
      return r.pick([
        '{"type":"msg","text":"\\ud800"}',
        '{"type":"msg","text":"\\u0000\\u001b[2J"}',
        '{"type":"ping","token":"\\udfff\\ud800"}',
        '{"type":"p\\u0069ng"}',
        '{"type":"ping\\u0000"}',
        `{"type":"msg","text":"${"\\u00e9".repeat(Math.floor((budget - 30) / 6))}"}`,
        `{"type":"msg","text":"${"y".repeat(Math.min(4100, budget - 30))}"}`,
      ]);
    case 9: // Trailing garbage, two objects on a line, a truncated object.
      return r.pick([
        '{"type":"ping"} x',
        '{"type":"ping"}{"type":"ping"}',
        '{"type":"ping"',
        '{"type":"ping",}',
        "{'type':'ping'}",
        '{"type":"ping"}\u00a0',
        '\u00a0{"type":"ping"}',
        ' {"type":"ping"} ',
      ]);
    default: // Numbers JSON cannot hold exactly.
      return r.pick([
        '{"type":"hello","protocol":1e999,"nick":"fz2","client":"f"}',
        '{"type":"hello","protocol":1.0,"nick":"fz3","client":"f"}',
        '{"type":"hello","protocol":-0,"nick":"fz4","client":"f"}',
        '{"type":"hello","protocol":10e-1,"nick":"fz5","client":"f"}',
      ]);
  }
}

/** Applies `count` byte-level mutations: flips, odd bytes, deletions, duplications. */
function mutate(r: Random, input: Uint8Array, count: number): Uint8Array {
  const bytes = [...input];
  for (let i = 0; i < count; i++) {
    const at = r.int(bytes.length + 1);
    switch (r.int(6)) {
      case 0:
        if (at < bytes.length) bytes[at] ^= 1 << r.int(8);
        break;
      case 1:
        if (at < bytes.length) bytes[at] = r.pick(SPECIAL_BYTES);
        break;
      case 2:
        bytes.splice(at, 0, ...r.pick(ODD_SEQUENCES));
        break;
      case 3:
        bytes.splice(at, r.range(1, 4));
        break;
      case 4: {
        const length = r.range(1, 16);
        bytes.splice(at, 0, ...bytes.slice(Math.max(0, at - length), at));
        break;
      }
      default:
        bytes.splice(at, 0, r.pick(SPECIAL_BYTES));
    }
  }
  return new Uint8Array(bytes);
}

function joinLines(r: Random, lines: (string | Uint8Array)[]): Uint8Array {
  const parts = lines.map((line) => typeof line === "string" ? encoder.encode(line) : line);
  const out: number[] = [];
  for (const part of parts) out.push(...part, ...(r.chance(0.2) ? [0x0d, 0x0a] : [0x0a]));
  return new Uint8Array(out);
}

/** Frames whose lines together stay within `budget` bytes. */
function framesWithin(r: Random, count: number, budget: number): string[] {
  const lines: string[] = [];
  let used = 0;
  for (let i = 0; i < count; i++) {
    const line = JSON.stringify(validFrame(r));
    if (used + line.length + 2 > budget) break;
    lines.push(line);
    used += line.length + 2;
  }
  return lines.length ? lines : ['{"type":"ping","token":"short"}'];
}

/** The body of a case (before any sentinel), by kind. */
function generateBody(
  r: Random,
  kind: string,
  maxLineBytes: number,
): { body: Uint8Array; ending: CaseEnding } {
  // Lines stay well under the cap unless the case is about the cap: a
  // mutation may join two lines, so whole bodies get the budget.
  const budget = maxLineBytes - 300;
  switch (kind) {
    case "bytes":
      return { body: new Uint8Array(r.bytes(r.range(1, 300))), ending: "eof" };
    case "native-bytes": {
      const bytes = [0x7b];
      const length = r.range(0, 300);
      while (bytes.length < length) {
        if (r.chance(0.1)) bytes.push(...r.pick(ODD_SEQUENCES));
        else if (r.chance(0.05)) bytes.push(0x0a, ...(r.chance(0.5) ? [0x7b] : []));
        else bytes.push(r.int(256));
      }
      return { body: new Uint8Array(bytes), ending: "eof" };
    }
    case "telnet": {
      const lines: (string | Uint8Array)[] = [];
      for (let i = r.range(1, 6); i > 0; i--) {
        const junk = r.pick(ODD_SEQUENCES);
        const text = r.pick([randomNick(r), randomText(r, 2), "/who", "/me waves", ""]);
        lines.push(new Uint8Array([...junk, ...encoder.encode(text), ...r.pick(ODD_SEQUENCES)]));
      }
      const body = joinLines(r, lines);
      if (body[0] === 0x7b) body[0] = 0x20;
      return { body, ending: "eof" };
    }
    case "huge": {
      const length = r.range(maxLineBytes + 1, maxLineBytes * 3);
      const fill = r.pick([0x61, 0x7b, 0x00, 0xff, 0xe9]);
      const bytes = new Uint8Array(length).fill(fill);
      // Lines before the huge one must still be answered, whatever the reads.
      const head = r.pick([
        '{"type":"msg","text":"',
        "{",
        "",
        "nick ",
        '{"type":"ping","token":"before"}\n{"type":"msg","text":"',
        "{bad\n{",
      ]);
      bytes.set(encoder.encode(head));
      // Terminated or not: the cap also applies to a line that has not ended.
      return {
        body: r.chance(0.5) ? new Uint8Array([...bytes, 0x0a]) : bytes,
        ending: "eof",
      };
    }
    case "mutate": {
      const lines = framesWithin(r, r.range(1, 6), budget);
      return { body: mutate(r, joinLines(r, lines), r.range(1, 8)), ending: "eof" };
    }
    case "fields": {
      const lines: string[] = [];
      let used = 0;
      for (let i = r.range(1, 5); i > 0; i--) {
        const line = oddFrameLine(r, budget);
        if (used + line.length + 2 > budget && lines.length) break;
        lines.push(line);
        used += line.length + 2;
      }
      if (!lines[0].startsWith("{")) lines.unshift('{"type":"ping","token":"first"}');
      return { body: joinLines(r, lines), ending: "eof" };
    }
    case "session": {
      // Join first, so the bad lines also meet a member, not only a handshake.
      const hello = JSON.stringify({
        type: "hello",
        protocol: 1,
        nick: `fz${r.int(5000)}`,
        client: "f",
      });
      const lines: (string | Uint8Array)[] = [hello];
      for (let i = r.range(1, 6); i > 0; i--) {
        const frame = JSON.stringify(validFrame(r));
        if (r.chance(0.4)) lines.push(oddFrameLine(r, 400));
        else if (r.chance(0.3)) lines.push(mutate(r, encoder.encode(frame), r.range(1, 3)));
        else lines.push(frame);
      }
      return { body: joinLines(r, lines), ending: "eof" };
    }
    case "abort": {
      // A partial frame, or a session cut mid-line, then the socket is gone.
      const lines = framesWithin(r, r.range(0, 3), budget);
      const whole = joinLines(r, lines);
      const cut = whole.subarray(0, r.range(1, whole.length));
      return { body: cut, ending: "abort" };
    }
    case "greeting":
      return { body: new Uint8Array(0), ending: "greeting" };
    default:
      return { body: new Uint8Array(0), ending: "timeout" };
  }
}

const KINDS: readonly [string, number][] = [
  ["bytes", 10],
  ["native-bytes", 10],
  ["telnet", 5],
  ["huge", 4],
  ["mutate", 33],
  ["fields", 20],
  ["session", 9],
  ["abort", 6],
  ["greeting", 2.7],
  ["timeout", 0.3],
];
const KIND_TOTAL = KINDS.reduce((sum, [, weight]) => sum + weight, 0);

/** Builds case `index` of the run with `seed`; the same arguments give the same bytes. */
export function generateCase(seed: number, index: number, maxLineBytes: number): FuzzCase {
  const r = new Random(caseSeed(seed, index));
  let roll = r.int(KIND_TOTAL * 10) / 10;
  let kind = KINDS[0][0];
  for (const [name, weight] of KINDS) {
    kind = name;
    if ((roll -= weight) < 0) break;
  }
  const { body, ending } = generateBody(r, kind, maxLineBytes);
  const mode: CaseMode = body.length === 0 ? "silent" : body[0] === 0x7b ? "native" : "text";
  let payload = body;
  // A huge line without its newline stays unfinished: the cap applies anyway.
  const unfinished = kind === "huge" && body.at(-1) !== 0x0a;
  if (mode === "native" && ending === "eof" && !unfinished) {
    // End the last line, then ask for a pong: the connection must still be
    // parsing after everything that came before.
    const tail = body.at(-1) === 0x0a ? "" : "\n";
    payload = new Uint8Array([...body, ...encoder.encode(tail + SENTINEL)]);
  }
  // Lines split across writes (inside UTF-8 sequences, between CR and LF).
  const writes: Uint8Array[] = [];
  let pauseMs = 0;
  if (payload.length > 1 && r.chance(0.25)) {
    pauseMs = 1;
    const cuts = new Set<number>();
    for (let i = r.range(1, Math.min(12, payload.length - 1)); i > 0; i--) {
      cuts.add(r.range(1, payload.length - 1));
    }
    let start = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      writes.push(payload.subarray(start, cut));
      start = cut;
    }
    writes.push(payload.subarray(start));
  } else if (payload.length) writes.push(payload);
  return { index, kind, mode, ending, payload, writes, pauseMs };
}

// ---------------------------------------------------------------------------
// The oracle: what the server must answer, from docs/protocol.md

/** Error codes for lines that are not frames; valid frames never cause these. */
const LINE_ERRORS = new Set(["bad_json", "bad_utf8", "bad_frame", "unknown_type", "line_too_long"]);

const FIELDS: Record<string, Record<string, "string" | "number" | "optional">> = {
  hello: { protocol: "number", nick: "string", client: "string" },
  msg: { text: "string", room: "optional" },
  cmd: { name: "string", args: "optional", room: "optional" },
  input: { line: "string", room: "optional" },
  ping: { token: "optional" },
  pong: { token: "optional" },
};

/** What a native connection must answer, as markers: `error:<code>` and `pong:<token>`. */
interface Expectation {
  markers: string[];
  /** A valid frame may end the connection early (a wrong protocol version, a quit). */
  mayEnd: boolean;
}

/** Classifies one decoded, non-blank line of the native protocol. */
function classifyLine(text: string): { code: string } | { frame: Record<string, unknown> } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { code: "bad_json" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { code: "bad_frame" };
  }
  const frame = value as Record<string, unknown>;
  if (typeof frame.type !== "string") return { code: "bad_frame" };
  const fields = Object.hasOwn(FIELDS, frame.type) ? FIELDS[frame.type] : undefined;
  if (!fields) return { code: "unknown_type" };
  for (const [field, kind] of Object.entries(fields)) {
    const actual = frame[field];
    const ok = kind === "optional"
      ? actual === undefined || typeof actual === "string"
      : kind === "string"
      ? typeof actual === "string"
      : typeof actual === "number";
    if (!ok) return { code: "bad_frame" };
  }
  return { frame };
}

/** Predicts the answers to a native payload, line by line. */
export function expectNative(payload: Uint8Array, maxLineBytes: number): Expectation {
  const result: Expectation = { markers: [], mayEnd: false };
  let start = 0;
  while (start < payload.length) {
    const newline = payload.indexOf(0x0a, start);
    const ended = newline !== -1;
    let line = payload.subarray(start, ended ? newline : payload.length);
    start = ended ? newline + 1 : payload.length;
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (line.length > maxLineBytes) {
      result.markers.push("error:line_too_long");
      break;
    }
    // An unfinished last line is dropped when the peer goes.
    if (!ended) break;
    let text: string;
    try {
      text = strictDecoder.decode(line);
    } catch {
      result.markers.push("error:bad_utf8");
      continue;
    }
    if (text.trim() === "") continue;
    const verdict = classifyLine(text);
    if ("code" in verdict) {
      result.markers.push(`error:${verdict.code}`);
      continue;
    }
    const frame = verdict.frame;
    if (frame.type === "ping") result.markers.push(`pong:${frame.token ?? ""}`);
    if (frame.type === "hello" && frame.protocol !== 1) result.mayEnd = true;
    const said = String(frame.name ?? frame.line ?? "").toLowerCase();
    if ((frame.type === "cmd" || frame.type === "input") && /quit|exit|bye/.test(said)) {
      result.mayEnd = true;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// Running a case

const GREETING = /^Welcome to .* \(lanchat\)\. Pick a nick\.\r\nNick\? /;
// What text mode must never send: C0 controls (but CR LF), DEL, C1, bidi overrides.
const UNSAFE_TEXT =
  /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Reads a connection to its end in the background, keeping every byte. */
class Inbox {
  readonly chunks: Uint8Array[] = [];
  readonly done: Promise<void>;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(conn: Deno.TcpConn) {
    this.done = this.#read(conn);
  }

  get ended(): boolean {
    return this.#ended;
  }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** Waits until `probe` holds; false if the stream ends or `ms` pass first. */
  async until(probe: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!probe()) {
      const left = deadline - performance.now();
      if (left <= 0 || this.#ended) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return true;
  }

  async #read(conn: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        this.chunks.push(buffer.slice(0, n));
        this.#wake?.();
      }
    } catch {
      // Reset by the server, or closed by us: the stream ended either way.
    } finally {
      this.#ended = true;
      this.#wake?.();
    }
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/** Shows bytes as printable ASCII with `\xHH` escapes, cut to `max` characters. */
function show(bytes: Uint8Array, max = 400): string {
  let out = "";
  for (const byte of bytes) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c
      ? String.fromCharCode(byte)
      : `\\x${byte.toString(16).padStart(2, "0")}`;
    if (out.length > max) return out.slice(0, max) + `… (${bytes.length} bytes)`;
  }
  return out;
}

interface CaseReport {
  problem?: string;
  badLines: number;
  welcome: boolean;
}

/** Runs one case on a fresh connection and checks what came back. */
async function runCase(
  port: number,
  fc: FuzzCase,
  options: { maxLineBytes: number; handshakeTimeoutMs: number },
): Promise<CaseReport> {
  const report: CaseReport = { badLines: 0, welcome: false };
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch (error) {
    return { ...report, problem: `cannot connect: ${error}` };
  }
  conn.setNoDelay(true);
  const inbox = new Inbox(conn);
  // Bounds every wait below, writes included: closing fails a pending write.
  const limitMs = options.handshakeTimeoutMs + 5000;
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    close(conn);
  }, limitMs);
  try {
    if (fc.ending === "greeting") {
      const text = () => new TextDecoder().decode(inbox.bytes);
      if (!await inbox.until(() => GREETING.test(text()), limitMs)) {
        return { ...report, problem: `no greeting for a silent peer; got ${show(inbox.bytes)}` };
      }
      try {
        conn.closeWrite();
      } catch {
        // Already closed by the server.
      }
    } else if (fc.ending !== "timeout") {
      for (const [i, chunk] of fc.writes.entries()) {
        if (i > 0 && fc.pauseMs) await delay(fc.pauseMs);
        try {
          await writeAll(conn, chunk);
        } catch {
          break; // The server already closed (a fatal line); what it said is checked below.
        }
      }
      if (fc.ending === "abort") return report;
      try {
        conn.closeWrite();
      } catch {
        // Already reset by the server.
      }
    }
    await inbox.until(() => inbox.ended, limitMs);
    if (timedOut || !inbox.ended) {
      return {
        ...report,
        problem: `server did not close within ${limitMs} ms; got ${show(inbox.bytes)}`,
      };
    }
    const received = inbox.bytes;
    if (fc.mode === "native") return checkNative(fc, received, options.maxLineBytes);
    const problem = checkText(received, fc.ending === "timeout");
    return { ...report, problem };
  } finally {
    clearTimeout(watchdog);
    close(conn);
    await inbox.done;
  }
}

function close(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Checks a native connection's answers against the oracle. */
function checkNative(fc: FuzzCase, received: Uint8Array, maxLineBytes: number): CaseReport {
  const expected = expectNative(fc.payload, maxLineBytes);
  const report: CaseReport = { badLines: 0, welcome: false };
  const fail = (problem: string): CaseReport => ({
    ...report,
    problem: `${problem}\n  sent: ${show(fc.payload)}\n  got: ${show(received, 1200)}`,
  });
  let text: string;
  try {
    text = strictDecoder.decode(received);
  } catch {
    return fail("the server sent invalid UTF-8");
  }
  const lines = text.split("\n");
  if (lines.pop() !== "") return fail("the server's last frame is incomplete");
  const markers: string[] = [];
  let bye: Record<string, unknown> | undefined;
  let versionError = false;
  let preamble = true;
  for (const line of lines) {
    // A slow first byte may have drawn the text greeting; skip it (protocol.md 3.1).
    if (preamble && !line.startsWith("{")) {
      if (/^(Welcome to .*\. Pick a nick\.|(Nick\? )+)\r$/.test(line)) continue;
      return fail(`a non-JSON line in native mode: ${JSON.stringify(line)}`);
    }
    preamble = false;
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(line);
    } catch {
      return fail(`a line that is not JSON: ${JSON.stringify(line)}`);
    }
    if (typeof frame !== "object" || frame === null || typeof frame.type !== "string") {
      return fail(`a frame without a type: ${line}`);
    }
    if (bye) return fail(`a frame after bye: ${line}`);
    if (frame.type === "welcome") report.welcome = true;
    if (frame.type === "bye") bye = frame;
    if (frame.type === "pong") markers.push(`pong:${frame.token ?? ""}`);
    if (frame.type === "error") {
      if (typeof frame.code !== "string" || typeof frame.message !== "string") {
        return fail(`an error without code or message: ${line}`);
      }
      if (LINE_ERRORS.has(frame.code)) markers.push(`error:${frame.code}`);
      if (frame.code === "protocol_version") versionError = true;
    }
  }
  const want = expected.markers;
  const describe = () => `expected ${JSON.stringify(want)}, got ${JSON.stringify(markers)}`;
  if (!bye) {
    if (markers.join("\n") !== want.join("\n")) return fail(`wrong answers: ${describe()}`);
  } else {
    // An early end is fine if it was announced and explained; what came
    // before it must still be answered in order.
    if (markers.join("\n") !== want.slice(0, markers.length).join("\n")) {
      return fail(`wrong answers before bye: ${describe()}`);
    }
    const lastMarker = markers.at(-1);
    const explained = (bye.reason === "protocol" &&
      (lastMarker === "error:line_too_long" || versionError)) ||
      (bye.reason === "quit" && expected.mayEnd) ||
      (bye.reason === "timeout" && bye.code === "handshake_timeout");
    if (!explained) return fail(`unexplained bye ${JSON.stringify(bye)}: ${describe()}`);
    if (lastMarker === "error:line_too_long" && markers.length !== want.length) {
      return fail(`lines before the oversized one were not answered: ${describe()}`);
    }
  }
  report.badLines = markers.filter((marker) => marker.startsWith("error:")).length;
  return report;
}

/** Checks a text connection: a greeting, then only safe, CRLF-ended text. */
function checkText(received: Uint8Array, timeout: boolean): string | undefined {
  let text: string;
  try {
    text = strictDecoder.decode(received);
  } catch {
    return `the server sent invalid UTF-8 in text mode: ${show(received)}`;
  }
  if (!GREETING.test(text)) return `no greeting in text mode; got ${JSON.stringify(text)}`;
  const unsafe = text.match(UNSAFE_TEXT);
  if (unsafe) {
    return `text mode sent an unsafe character ${JSON.stringify(unsafe[0])}: ${
      JSON.stringify(text)
    }`;
  }
  if (/[\r\n]/.test(text.replace(/\r\n/g, ""))) {
    return `text mode sent a bare CR or LF: ${JSON.stringify(text)}`;
  }
  if (timeout && !text.includes("No hello within")) {
    return `a silent peer was closed without the handshake timeout notice: ${JSON.stringify(text)}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Healthy clients

/**
 * Two native members connected for the whole run. Each check, one says
 * something the other must receive (and pings); between checks, their room
 * events must arrive in id order, with no error and no goodbye.
 */
class HealthWatch implements AsyncDisposable {
  readonly #clients: NativeClient[];
  readonly #lastId = [0, 0];
  #checks = 0;

  private constructor(clients: NativeClient[]) {
    this.#clients = clients;
  }

  static async connect(port: number, seed: number): Promise<HealthWatch> {
    const tag = (seed >>> 0).toString(36);
    const a = await NativeClient.connect(port, `healthy-a-${tag}`);
    try {
      const b = await NativeClient.connect(port, `healthy-b-${tag}`);
      return new HealthWatch([a, b]);
    } catch (error) {
      await a[Symbol.asyncDispose]();
      throw error;
    }
  }

  get checks(): number {
    return this.#checks;
  }

  /** Returns a problem, or undefined when both clients still chat. */
  async check(): Promise<string | undefined> {
    const n = this.#checks++;
    const from = n % 2;
    const sender = this.#clients[from];
    const receiver = this.#clients[1 - from];
    for (const [i, client] of this.#clients.entries()) {
      const problem = await this.#review(client, i);
      if (problem) return problem;
    }
    const token = `health-${n}`;
    const isMine = (line: string) => {
      if (!line.includes(token)) return false;
      const event = JSON.parse(line);
      return event.type === "msg" && event.text === token;
    };
    try {
      await sender.send({ type: "msg", text: token });
      await sender.send({ type: "ping", token });
      await receiver.waitLine(isMine, 0, 3000);
      await sender.waitLine(isMine, 0, 3000);
      await sender.waitLine((line) => line === JSON.stringify({ type: "pong", token }), 0, 3000);
    } catch (error) {
      return `healthy client ${from} stopped chatting: ${(error as Error).message.slice(0, 500)}`;
    }
    return undefined;
  }

  /** Checks the lines received since the last review, then forgets them. */
  async #review(client: NativeClient, i: number): Promise<string | undefined> {
    if (client.ended) return `healthy client ${i} was disconnected: ${client.lines.slice(-3)}`;
    const lines = client.lines.splice(0);
    for (const line of lines) {
      if (!line.startsWith("{")) {
        // A hello that came late drew the text greeting first (protocol.md 3.1).
        if (/^(Welcome to .*\. Pick a nick\.|(Nick\? )+)$/.test(line)) continue;
        return `healthy client ${i} got a non-JSON line ${JSON.stringify(line)}`;
      }
      const event = JSON.parse(line);
      if (event.type === "ping") await client.send({ type: "pong", token: event.token });
      if (event.type === "bye" || event.type === "error") {
        return `healthy client ${i} got ${line}`;
      }
      if (event.room === "#lobby" && typeof event.id === "number") {
        if (event.id <= this.#lastId[i]) {
          return `healthy client ${i} got #lobby id ${event.id} after ${this.#lastId[i]}`;
        }
        this.#lastId[i] = event.id;
      }
    }
    return undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const client of this.#clients) await client[Symbol.asyncDispose]();
  }
}

// ---------------------------------------------------------------------------
// The run

/**
 * Runs `cases` fuzz cases against the server on 127.0.0.1:`port` and returns
 * what happened; it does not throw for a failing case, it lists it in
 * `failures` with its seed and case number.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = performance.now();
  const seed = options.seed >>> 0;
  const first = options.first ?? 0;
  const end = first + options.cases;
  const maxLineBytes = options.maxLineBytes ?? FUZZ_SERVER_OPTIONS.maxLineBytes;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ??
    FUZZ_SERVER_OPTIONS.handshakeTimeoutMs;
  const summary: FuzzSummary = {
    seed,
    first,
    cases: options.cases,
    failures: [],
    failureCount: 0,
    kinds: {},
    modes: { native: 0, text: 0, silent: 0 },
    badLines: 0,
    welcomes: 0,
    healthChecks: 0,
    durationMs: 0,
  };
  const fail = (where: string, problem: string) => {
    summary.failureCount++;
    if (summary.failures.length < 50) summary.failures.push(`seed=${seed} ${where}: ${problem}`);
  };
  const lineFlag = maxLineBytes === FUZZ_SERVER_OPTIONS.maxLineBytes
    ? ""
    : ` --max-line-bytes ${maxLineBytes}`;
  const replay = (index: number) =>
    `(replay: deno task fuzz --seed ${seed} --case ${index}${lineFlag})`;

  await using health = await HealthWatch.connect(options.port, seed);
  const baseline = options.target?.stats();
  let next = first;
  let loggedErrors = 0;
  let running = true;
  const watching = (async () => {
    while (running) {
      await delay(options.healthEveryMs ?? 100);
      const problem = await health.check();
      if (problem) fail(`around case ${next}`, problem);
    }
  })();

  const worker = async () => {
    while (next < end) {
      const index = next++;
      const fc = generateCase(seed, index, maxLineBytes);
      summary.kinds[fc.kind] = (summary.kinds[fc.kind] ?? 0) + 1;
      summary.modes[fc.mode]++;
      try {
        const report = await runCase(options.port, fc, { maxLineBytes, handshakeTimeoutMs });
        summary.badLines += report.badLines;
        if (report.welcome) summary.welcomes++;
        if (report.problem) {
          fail(`case=${index} (${fc.kind})`, `${report.problem}\n  ${replay(index)}`);
        }
      } catch (error) {
        fail(`case=${index} (${fc.kind})`, `the case threw ${error} ${replay(index)}`);
      }
      const errors = options.target?.errors ?? [];
      if (errors.length > loggedErrors) {
        const fresh = errors.slice(loggedErrors).join("; ");
        loggedErrors = errors.length;
        fail(`around case=${index} (${fc.kind})`, `the server logged ${fresh} ${replay(index)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  } finally {
    running = false;
    await watching;
  }
  const problem = await health.check();
  if (problem) fail("after the last case", problem);

  if (options.target && baseline) {
    // Every fuzzed connection is gone; only the two healthy members remain.
    const deadline = performance.now() + 3000;
    let stats = options.target.stats();
    while (
      (stats.connections !== baseline.connections || stats.members !== baseline.members) &&
      performance.now() < deadline
    ) {
      await delay(20);
      stats = options.target.stats();
    }
    if (stats.connections !== baseline.connections || stats.members !== baseline.members) {
      fail(
        "after the last case",
        `the server still has ${stats.connections} connections and ${stats.members} members; ` +
          `expected ${baseline.connections} and ${baseline.members} (the healthy clients)`,
      );
    }
  }
  summary.healthChecks = health.checks;
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}
