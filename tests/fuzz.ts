/**
 * A seeded protocol fuzzer for the chat server. Each case opens a fresh TCP
 * connection and sends random bytes or mutated native frames; the fuzzer
 * predicts which lines are not valid frames (from docs/protocol.md) and
 * checks that each of them got its `error` frame, in order, while two healthy
 * native clients keep chatting through the whole run.
 *
 * The handshake is fuzzed too: `auth` frames before a hello, during a
 * challenge and after joining; hellos with malformed keys and passwords; key
 * proofs signed right and wrong (the one part of a case that depends on the
 * server: the signature covers its nonce); and a second, private server whose
 * hellos carry right, wrong and missing passwords.
 *
 * Hostile text goes through every field, client to server: "hostile" cases
 * send the corpus of lib/core/_hostile_text.ts in every field of every
 * frame type (a hello's nick and client name, messages, command names and
 * arguments, rooms, tokens), "hostile-text" cases type it into a text
 * connection, and every receiver must get nothing a terminal would act on:
 * the case itself, the two healthy native clients, and a text (nc)
 * bystander in #lobby that asks /whois of each hostile member it sees join.
 *
 * The same seed and case number always build the same bytes (but for a
 * signature over the server's nonce), so a failure replays alone:
 * `deno task fuzz --seed S --case N`.
 *
 * @module
 */

import { createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import type { ChatServer, ChatServerOptions } from "../lib/server/chat_server.ts";
import { HOSTILE_TEXT, unsafeInEvent, unsafeInText } from "../lib/core/_hostile_text.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { delay } from "./_waiting.ts";
import {
  frameTemplates,
  HOSTILE_CORPUS,
  HostileServer,
  poisoned,
  stringPaths,
} from "./hostile_server.ts";
import type { ServerFrame } from "../lib/protocol/wire_frames.ts";
import { ChatSession, type InvalidFrameEvent } from "../lib/client/chat_session.ts";
import { EventPrinter } from "../lib/client/line_mode.ts";
import { ChatView } from "../lib/client/tui/chat_view.ts";
import { LineEditor } from "../lib/client/tui/line_editor.ts";
import { renderScreen } from "../lib/client/tui/render_screen.ts";
import { ScreenWriter } from "../lib/client/tui/terminal.ts";
import { FakeTerminal } from "../lib/client/tui/_fake_terminal.ts";

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
  // Text cases that never give a nick end as soon as the others.
  promptTimeoutMs: 1000,
  textPromptDelayMs: 100,
  rateLimit: false,
  maxPerIp: 1000,
  maxPending: 1000,
  maxClients: 1000,
} as const satisfies ChatServerOptions;

/** The password of the private fuzz server (not ASCII, so NFC and NFD spellings differ). */
export const FUZZ_PASSWORD = "fuzz pässwörd";

/**
 * The private fuzz server: {@linkcode FUZZ_SERVER_OPTIONS} with a password,
 * and password delays of milliseconds, not seconds (every case comes from
 * 127.0.0.1, so each wrong guess delays every other case's answer).
 */
export const FUZZ_PRIVATE_OPTIONS = {
  ...FUZZ_SERVER_OPTIONS,
  password: FUZZ_PASSWORD,
  passwordGate: { baseDelayMs: 1, maxDelayMs: 4 },
} as const satisfies ChatServerOptions;

/** What the fuzzer can see of a server running in the same process. */
export interface FuzzTarget {
  stats(): { connections: number; members: number };
  /** Error records the server logged (an exception in a connection task). */
  readonly errors: readonly string[];
}

/**
 * Two {@linkcode ChatServer}s that record logged errors: an open one with
 * {@linkcode FUZZ_SERVER_OPTIONS}, and a private one with
 * {@linkcode FUZZ_PRIVATE_OPTIONS} for the password cases.
 */
export class FuzzServer implements FuzzTarget, AsyncDisposable {
  readonly errors: string[] = [];
  #server: ChatServer | undefined;
  #private: ChatServer | undefined;

  /** Starts both servers on 127.0.0.1, port 0; `options` apply to both. */
  static async start(options: ChatServerOptions = {}): Promise<FuzzServer> {
    const fuzz = new FuzzServer();
    const log = (record: Parameters<NonNullable<ChatServerOptions["log"]>>[0]) => {
      if (record.level === "error") fuzz.errors.push(JSON.stringify(record));
      options.log?.(record);
    };
    fuzz.#server = await startServer({ ...FUZZ_SERVER_OPTIONS, ...options, log });
    fuzz.#private = await startServer({ ...FUZZ_PRIVATE_OPTIONS, ...options, log });
    return fuzz;
  }

  /** The port the open server listens on. */
  get port(): number {
    return this.#server!.addr.port;
  }

  /** The private server, for {@linkcode FuzzOptions.privateServer}. */
  get privateServer(): { port: number; password: string } {
    return { port: this.#private!.addr.port, password: FUZZ_PRIVATE_OPTIONS.password };
  }

  /** Both servers together. */
  stats(): { connections: number; members: number } {
    const open = this.#server!.stats();
    const closed = this.#private!.stats();
    return {
      connections: open.connections + closed.connections,
      members: open.members + closed.members,
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([this.#server?.shutdown(), this.#private?.shutdown()]);
  }
}

/** Settings of one fuzz run. */
export interface FuzzOptions {
  seed: number;
  /** How many cases to run. */
  cases: number;
  /** Port of the server under test, on 127.0.0.1. */
  port: number;
  /** A server with a password, on 127.0.0.1, for the "private" cases (skipped without it). */
  privateServer?: { port: number; password: string };
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

/** What any fuzz run did and found, whichever direction. */
export interface FuzzRun {
  seed: number;
  first: number;
  cases: number;
  /** Each failure names the seed and case number, and how to replay it. */
  failures: string[];
  /** All failures, including those past the ones kept in `failures`. */
  failureCount: number;
  /** Cases per generator. */
  kinds: Record<string, number>;
}

/** What a client-to-server fuzz run did and found. */
export interface FuzzSummary extends FuzzRun {
  /** Cases per mode the server should pick. */
  modes: Record<CaseMode, number>;
  /** Lines that were not valid frames and were answered with an `error`. */
  badLines: number;
  /** Cases in which the fuzzed connection joined the chat. */
  welcomes: number;
  /** Cases that drew a key challenge. */
  challenges: number;
  /** Cases that joined by a key proof. */
  keyWelcomes: number;
  /** Cases refused at the door (`bye` `denied`: a password or a key proof). */
  denied: number;
  /** Cases not run (a private case without a private server). */
  skipped: number;
  /** Times the healthy clients proved they still chat. */
  healthChecks: number;
  /** Hostile members the text bystander (nc) saw join. */
  textJoins: number;
  /** /whois answers about hostile members that the text bystander (nc) got. */
  textWhois: number;
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
  /** Which server the case talks to. */
  server: "open" | "private";
  /**
   * A key proof made while the case runs: after `writes`, the peer waits for
   * the pong to {@linkcode PROOF_WAIT}, answers the challenge it got with an
   * `auth` signed as `signing` says, then sends `afterAuth`.
   */
  proof?: KeyProof;
}

/** How a proof case signs its challenge; only "right" and "right-extra" verify. */
export type Signing =
  | "right"
  | "right-extra"
  | "wrong-binding"
  | "wrong-nonce"
  | "other-key"
  | "garbage";

/** The live part of a proof case. */
export interface KeyProof {
  /** The Ed25519 seed whose public key the hello names. */
  seed: Uint8Array;
  /** The seed of a key the hello did not name (for "other-key"). */
  otherSeed: Uint8Array;
  signing: Signing;
  /** The signature sent for "garbage". */
  garbage: string;
  /** What is sent after the `auth` line (the sentinel included). */
  afterAuth: Uint8Array;
}

/** The ping a proof case sends last before its `auth`; its pong means the challenge is in. */
const PROOF_WAIT = '{"type":"ping","token":"auth-next"}';

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
const FRAME_TYPES = ["hello", "auth", "msg", "cmd", "input", "ping", "pong"];
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function base64urlText(r: Random, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += BASE64URL[r.int(64)];
  return text;
}

/**
 * A `key` that is well formed: 43 base64url characters (32 bytes; whether
 * the bytes are a point on the curve is the signature check's business).
 */
function validKeyText(r: Random): string {
  return base64urlText(r, 43);
}

/** A `key` string that is not 32 bytes of base64url. */
function malformedKeyText(r: Random): string {
  const good = validKeyText(r);
  switch (r.int(9)) {
    case 0:
      return base64urlText(r, r.pick([0, 1, 42, 44, 64, 86]));
    case 1: // The standard alphabet, or a character of neither.
      return good.slice(0, 20) + r.pick(["+", "/", ".", " ", "é", "\u0000", "\n"]) +
        good.slice(21);
    case 2:
      return good + "=="; // Too much padding for 43 characters.
    case 3:
      return " " + good;
    case 4:
      return good + "\n";
    case 5:
      return "SHA256:" + good; // A fingerprint, not a key.
    case 6:
      return base64urlText(r, r.range(100, 1000));
    case 7:
      return good.slice(0, 40) + "===";
    default:
      return r.pick(["", "null", "AAAA", "=".repeat(43), "-".repeat(44)]);
  }
}

/** A `password`: mostly wrong, sometimes right, of odd lengths and spellings. */
function passwordText(r: Random): string {
  return r.pick([
    FUZZ_PASSWORD,
    FUZZ_PASSWORD,
    "",
    " ",
    FUZZ_PASSWORD + " ",
    " " + FUZZ_PASSWORD,
    FUZZ_PASSWORD.toUpperCase(),
    FUZZ_PASSWORD.normalize("NFD"),
    FUZZ_PASSWORD + "\u0000",
    "hunter2",
    "p".repeat(r.range(100, 2000)),
    randomText(r, 3),
  ]);
}

/** A `signature` string: base64url of about the right length, or not. */
function signatureText(r: Random, budget: number): string {
  switch (r.int(6)) {
    case 0:
    case 1:
      return base64urlText(r, 86); // 64 bytes, almost surely not a signature.
    case 2:
      return base64urlText(r, r.pick([0, 1, 85, 87, 88, 128]));
    case 3:
      return base64urlText(r, 86) + "==";
    case 4: // Huge.
      return "A".repeat(r.range(1000, Math.max(1000, budget - 200)));
    default:
      return r.pick(["", " ", "not base64!", "\u0000", randomText(r, 2)]);
  }
}

/** An `auth` frame that passes validation, sometimes with extra fields. */
function authFrame(r: Random, budget: number): Record<string, unknown> {
  const frame: Record<string, unknown> = { type: "auth", signature: signatureText(r, budget) };
  if (r.chance(0.2)) frame.nonce = base64urlText(r, 43);
  if (r.chance(0.1)) frame.key = validKeyText(r);
  if (r.chance(0.1)) frame.extra = r.pick(WRONG_VALUES);
  return frame;
}

/** An `auth` line that does not pass validation: no, or no string, `signature`. */
function badAuthLine(r: Random): string {
  const frame: Record<string, unknown> = { type: "auth" };
  if (r.chance(0.7)) frame.signature = r.pick(WRONG_VALUES.filter((v) => typeof v !== "string"));
  if (r.chance(0.3)) frame.sig = base64urlText(r, 86);
  return JSON.stringify(frame);
}

/** A valid hello; `fields` override the drawn ones. */
function helloFrame(r: Random, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "hello",
    protocol: 1,
    nick: randomNick(r),
    client: r.chance(0.9) ? "fuzz" : "c".repeat(r.range(60, 200)),
    ...fields,
  };
}

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
    case "hello": {
      const frame = helloFrame(r, {
        protocol: r.chance(0.95) ? 1 : r.pick([0, 2, 1.5, -1, 1e300]),
      });
      if (r.chance(0.15)) frame.password = passwordText(r);
      // A well-formed key draws a challenge, and no signature made up in
      // advance answers it: keep them rare, or few cases would go on.
      if (r.chance(0.1)) frame.key = r.chance(0.3) ? validKeyText(r) : malformedKeyText(r);
      return frame;
    }
    case "auth":
      return authFrame(r, 400);
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
  switch (r.int(12)) {
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
    case 10: // Handshake fields of the wrong type, or missing.
      return r.chance(0.4) ? badAuthLine(r) : JSON.stringify(
        helloFrame(r, { [r.pick(["key", "password"])]: r.pick(WRONG_VALUES.slice(0, -1)) }),
      );
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

/** A frame line the handshake state machine must answer: auth, hellos, requests, pings. */
function handshakeLine(r: Random, budget: number, options: { keyed?: boolean } = {}): string {
  switch (r.int(options.keyed ? 9 : 8)) {
    case 0:
    case 1:
      return JSON.stringify(authFrame(r, budget));
    case 2:
      return badAuthLine(r);
    case 3:
      return JSON.stringify(helloFrame(r, { key: malformedKeyText(r) }));
    case 4:
      return JSON.stringify(helloFrame(r, { password: passwordText(r) }));
    case 5:
      return JSON.stringify(r.pick([{ type: "ping", token: "hs" }, { type: "pong" }]));
    case 6:
      return JSON.stringify(validFrame(r));
    case 7:
      return oddFrameLine(r, budget);
    default:
      return JSON.stringify(helloFrame(r, { key: validKeyText(r) }));
  }
}

/** The body of a case (before any sentinel), by kind. */
function generateBody(
  r: Random,
  kind: string,
  maxLineBytes: number,
  index: number,
): {
  body: Uint8Array;
  ending: CaseEnding;
  proof?: Omit<KeyProof, "afterAuth"> & { after: string[] };
} {
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
    case "handshake": {
      // Requests and proofs around a hello, before it and after it: the
      // handshake's states (no hello, an open challenge, a member) each meet
      // every kind of frame. A nick of its own, so the hello mostly works.
      const lines: string[] = [];
      for (let i = r.int(4); i > 0; i--) lines.push(handshakeLine(r, 1000));
      const key = r.pick([undefined, undefined, validKeyText(r), malformedKeyText(r)]);
      lines.push(JSON.stringify(helloFrame(r, {
        nick: r.chance(0.9) ? `hs${index}` : randomNick(r),
        ...(key === undefined ? {} : { key }),
        ...(r.chance(0.3) ? { password: passwordText(r) } : {}),
      })));
      for (let i = r.range(1, 6); i > 0; i--) lines.push(handshakeLine(r, 1000, { keyed: true }));
      return { body: joinLines(r, lines), ending: "eof" };
    }
    case "proof": {
      // A hello with a real key, answered live (the nonce is the server's).
      const seed = new Uint8Array(r.bytes(32));
      const before: string[] = [];
      for (let i = r.int(3); i > 0; i--) {
        before.push(
          r.pick([
            () => JSON.stringify(authFrame(r, 1000)),
            () => badAuthLine(r),
            () => JSON.stringify(helloFrame(r, { key: malformedKeyText(r) })),
            () => JSON.stringify({ type: "msg", text: "too early" }),
            () => '{"type":"ping","token":"early"}',
          ])(),
        );
      }
      before.push(JSON.stringify(helloFrame(r, {
        nick: r.chance(0.9) ? `pk${index}` : randomNick(r),
        key: publicKeyOf(seed),
        ...(r.chance(0.2) ? { password: passwordText(r) } : {}),
      })));
      // While the challenge is open: everything but ping gets not_ready.
      for (let i = r.int(3); i > 0; i--) {
        before.push(
          r.pick([
            () => JSON.stringify(helloFrame(r)),
            () =>
              JSON.stringify(helloFrame(r, { key: r.pick([validKeyText(r), publicKeyOf(seed)]) })),
            () => JSON.stringify(helloFrame(r, { key: malformedKeyText(r) })),
            () => JSON.stringify(validFrame(r)).replace('"type":"auth"', '"type":"msg"'),
            () => badAuthLine(r),
            () => oddFrameLine(r, 1000),
          ])(),
        );
      }
      before.push(PROOF_WAIT);
      const after: string[] = [];
      for (let i = r.int(5); i > 0; i--) after.push(handshakeLine(r, 1000));
      const signing = r.pick<Signing>([
        "right",
        "right",
        "right",
        "right",
        "right-extra",
        "wrong-binding",
        "wrong-nonce",
        "other-key",
        "garbage",
      ]);
      return {
        body: joinLines(r, before),
        ending: "eof",
        proof: {
          seed,
          otherSeed: new Uint8Array(r.bytes(32)),
          signing,
          garbage: signatureText(r, 1000),
          after,
        },
      };
    }
    case "private": {
      // The private server: hellos with right, wrong, missing and odd passwords.
      const lines: string[] = [];
      for (let i = r.int(3); i > 0; i--) {
        lines.push(
          r.pick([
            () => '{"type":"ping","token":"early"}',
            () => JSON.stringify(authFrame(r, 1000)),
            () => badAuthLine(r),
            () => JSON.stringify({ type: "cmd", name: "who" }),
            () => JSON.stringify(helloFrame(r, { key: malformedKeyText(r) })),
            () => JSON.stringify(helloFrame(r, { password: r.pick(WRONG_VALUES.slice(0, -1)) })),
          ])(),
        );
      }
      for (let i = r.range(1, 3); i > 0; i--) {
        const password = r.pick([undefined, passwordText(r), FUZZ_PASSWORD, FUZZ_PASSWORD]);
        lines.push(JSON.stringify(helloFrame(r, {
          nick: r.chance(0.8) ? `pw${index}` : randomNick(r),
          ...(password === undefined ? {} : { password }),
          ...(r.chance(0.1) ? { key: r.pick([validKeyText(r), malformedKeyText(r)]) } : {}),
        })));
        for (let j = r.int(3); j > 0; j--) lines.push(handshakeLine(r, 1000));
      }
      return { body: joinLines(r, lines), ending: "eof" };
    }
    case "hostile":
      return { body: joinLines(r, hostileSession(r, index)), ending: "eof" };
    case "hostile-text":
      return { body: joinLines(r, hostileTyping(r, index)), ending: "eof" };
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
  ["handshake", 8],
  ["proof", 4],
  ["private", 4],
  ["hostile", 8],
  ["hostile-text", 3],
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
  const { body, ending, proof } = generateBody(r, kind, maxLineBytes, index);
  const mode: CaseMode = body.length === 0 ? "silent" : body[0] === 0x7b ? "native" : "text";
  const server = kind === "private" ? "private" : "open";
  if (proof) {
    // Sent whole, so the wait for the challenge is the only pause.
    const { after, ...rest } = proof;
    const afterAuth = encoder.encode([...after, SENTINEL].join("\n"));
    return {
      index,
      kind,
      mode,
      ending,
      payload: body,
      writes: [body],
      pauseMs: 0,
      server,
      proof: { ...rest, afterAuth },
    };
  }
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
  return { index, kind, mode, ending, payload, writes, pauseMs, server };
}

// ---------------------------------------------------------------------------
// Hostile text, client to server: the corpus in every field of every frame

/**
 * A piece of hostile text (lib/core/_hostile_text.ts, sometimes two run
 * together), cut to stay well within a line even when JSON escapes it six
 * times over.
 */
function hostileText(r: Random): string {
  const text = r.pick(HOSTILE_TEXT) + (r.chance(0.3) ? r.pick(HOSTILE_TEXT) : "");
  return text.slice(r.int(3), 200);
}

/** Commands whose words and text a hostile session fills (`<h>` is the hostile text). */
const HOSTILE_COMMANDS = [
  "/me <h>",
  "/msg <self> <h>",
  "/nick <h>",
  "/join <h>",
  "/who <h>",
  "/whois <h>",
  "/whois <self>",
  "/history <h> <h>",
  "/part <h>",
  "/part #lobby <h>",
  "/help <h>",
  "/unregister <h>",
  "/kick <self> <h>",
  "/mute <h>",
  "/<h>",
  "/<h> <h>",
];

/** A frame of any type with hostile text in one or more of its fields. */
function hostileFrame(r: Random, self: string): Record<string, unknown> {
  const h = () => hostileText(r);
  const maybe = (field: string) => (r.chance(0.3) ? { [field]: h() } : {});
  switch (r.pick(FRAME_TYPES)) {
    case "hello":
      return { type: "hello", protocol: 1, nick: h(), client: h(), ...maybe("password") };
    case "auth":
      return { type: "auth", signature: h() };
    case "msg":
      return { type: "msg", text: h(), ...maybe("room") };
    case "cmd":
      return r.chance(0.5)
        ? { type: "cmd", name: h(), args: h(), ...maybe("room") }
        : { type: "cmd", name: r.pick(COMMAND_NAMES), args: h(), ...maybe("room") };
    case "input": {
      const command = r.pick(HOSTILE_COMMANDS).replaceAll("<self>", self);
      const line = r.chance(0.3) ? h() : command.replace(/<h>/g, () => h());
      return { type: "input", line, ...maybe("room") };
    }
    case "ping":
      return { type: "ping", token: h() };
    default:
      return { type: "pong", token: h() };
  }
}

/**
 * A native session as a hostile peer: a hello whose nick is hostile text
 * (refused), one whose client name is, then frames carrying the corpus in
 * every field, a /whois of itself, and sometimes a /quit with a hostile
 * reason. What comes back is checked for unsafe text (checkNative), and so
 * is what the healthy clients and the text bystander see of it.
 */
function hostileSession(r: Random, index: number): string[] {
  const self = `hx${index}`;
  const lines: string[] = [];
  if (r.chance(0.5)) {
    lines.push(JSON.stringify({ type: "hello", protocol: 1, nick: hostileText(r), client: "f" }));
  }
  lines.push(JSON.stringify({ type: "hello", protocol: 1, nick: self, client: hostileText(r) }));
  lines.push(JSON.stringify({ type: "cmd", name: "whois", args: self }));
  for (let i = r.range(2, 10); i > 0; i--) lines.push(JSON.stringify(hostileFrame(r, self)));
  if (r.chance(0.3)) lines.push(JSON.stringify({ type: "input", line: `/quit ${hostileText(r)}` }));
  return lines;
}

/** A text (nc) session as a hostile peer: a hostile nick, then hostile lines and commands. */
function hostileTyping(r: Random, index: number): string[] {
  const self = `tx${index}`;
  // The first byte must not be "{", or the server takes it for a native client.
  const lines = [`n${hostileText(r)}`, self];
  for (let i = r.range(1, 6); i > 0; i--) {
    lines.push(
      r.chance(0.4)
        ? hostileText(r)
        : r.pick(HOSTILE_COMMANDS).replaceAll("<self>", self).replace(/<h>/g, () => hostileText(r)),
    );
  }
  lines.push(`/quit ${hostileText(r)}`);
  return lines;
}

/**
 * What is unsafe in a frame a native receiver got, if anything. A `pong`
 * only echoes the receiver's own token back to it, so it is not judged.
 */
function unsafeReceived(frame: Record<string, unknown>): string | undefined {
  return frame.type === "pong" ? undefined : unsafeInEvent(frame);
}

/**
 * A text (nc) member in #lobby for the whole run: it sees every join,
 * message and leave of the cases there, asks /whois of the hostile members
 * it saw join (their client names are hostile text), /who and /rooms, and
 * every byte it gets must be safe for a terminal.
 */
class TextBystander implements AsyncDisposable {
  readonly #conn: Deno.TcpConn;
  readonly #inbox: Inbox;
  readonly #asking: Promise<void>;
  #running = true;
  #asked = 0;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#inbox = new Inbox(conn);
    this.#asking = this.#ask();
  }

  static async connect(port: number, seed: number): Promise<TextBystander> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const bystander = new TextBystander(conn);
    const nick = `textwatch-${(seed >>> 0).toString(36)}`;
    await writeAll(conn, encoder.encode(`${nick}\r\n`));
    if (!await bystander.#inbox.until(() => bystander.#text().includes(`, ${nick}!`), 5000)) {
      await bystander[Symbol.asyncDispose]();
      throw new Error(`the text bystander was not welcomed: ${bystander.#text()}`);
    }
    return bystander;
  }

  /** How many hostile members the bystander saw join. */
  get joinsSeen(): number {
    return this.#text().match(/-> (hx|tx)\d+ joined/g)?.length ?? 0;
  }

  /** How many /whois answers about a hostile member came back. */
  get whoisAnswers(): number {
    return this.#text().match(/^(hx|tx)\d+: .*client /gm)?.length ?? 0;
  }

  #text(): string {
    return new TextDecoder().decode(this.#inbox.bytes);
  }

  /** Asks /whois of each hostile member as soon as its join shows (it may leave soon after). */
  async #ask(): Promise<void> {
    let seenBytes = 0;
    let carry = "";
    while (this.#running && !this.#inbox.ended) {
      await this.#inbox.until(() => !this.#running || this.#inbox.chunks.length > seenBytes, 200);
      const fresh = this.#inbox.chunks.slice(seenBytes);
      seenBytes += fresh.length;
      const text = carry + fresh.map((chunk) => new TextDecoder().decode(chunk)).join("");
      carry = text.slice(text.lastIndexOf("\n") + 1);
      const lines = [...text.matchAll(/-> ((?:hx|tx)\d+) joined/g)].map((m) => `/whois ${m[1]}`);
      if (this.#asked++ % 50 === 0) lines.push("/who", "/rooms");
      if (lines.length === 0) continue;
      try {
        await writeAll(this.#conn, encoder.encode(lines.map((line) => line + "\r\n").join("")));
      } catch {
        return; // Closed: problem() says so.
      }
    }
  }

  /** What went wrong, if anything: a disconnection or an unsafe byte. */
  problem(): string | undefined {
    if (this.#inbox.ended) {
      return `the text bystander was disconnected: ${this.#text().slice(-300)}`;
    }
    const unsafe = unsafeInText(this.#inbox.bytes);
    return unsafe ? `the text bystander (nc) got ${unsafe}` : undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#running = false;
    await this.#asking;
    close(this.#conn);
    await this.#inbox.done;
  }
}

// ---------------------------------------------------------------------------
// Keys for the proof cases (node:crypto, so a case is built synchronously)

const PKCS8_ED25519_PREFIX = Uint8Array.fromHex("302e020100300506032b657004220420");

function privateKeyOf(seed: Uint8Array): KeyObject {
  const der = new Uint8Array([...PKCS8_ED25519_PREFIX, ...seed]);
  return createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
}

/** The raw public key of an Ed25519 seed, base64url, as a hello names it. */
function publicKeyOf(seed: Uint8Array): string {
  return createPublicKey(privateKeyOf(seed)).export({ format: "jwk" }).x!;
}

/** What protocol.md says a client signs: `lanchat-auth-v2\n<binding>\n<nonce>`. */
function signProof(seed: Uint8Array, nonce: string, binding: string): string {
  const message = encoder.encode(`lanchat-auth-v2\n${binding}\n${nonce}`);
  return sign(null, message, privateKeyOf(seed)).toString("base64url");
}

/** The `auth` line a proof case sends for `nonce` (over plain TCP, so bound to "plain"). */
function proofLine(proof: KeyProof, nonce: string): string {
  const signature = {
    "right": () => signProof(proof.seed, nonce, "plain"),
    "right-extra": () => signProof(proof.seed, nonce, "plain"),
    "wrong-binding": () =>
      signProof(proof.seed, nonce, "SHA256:Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU"),
    "wrong-nonce": () => signProof(proof.seed, nonce.slice(1) + "A", "plain"),
    "other-key": () => signProof(proof.otherSeed, nonce, "plain"),
    "garbage": () => proof.garbage,
  }[proof.signing]();
  return JSON.stringify({
    type: "auth",
    signature,
    ...(proof.signing === "right-extra" ? { nonce, key: "x", n: [1, { a: null }] } : {}),
  });
}

// ---------------------------------------------------------------------------
// The oracle: what the server must answer, from docs/protocol.md

/** Error codes for lines that are not frames; valid frames never cause these (but a bad `key`). */
const LINE_ERRORS = new Set(["bad_json", "bad_utf8", "bad_frame", "unknown_type", "line_too_long"]);

/** Codes a member's `msg`, `cmd` or `input` never draws: the oracle predicts each of these. */
const PREDICTED_ERRORS = new Set([
  ...LINE_ERRORS,
  "protocol_version",
  "not_ready",
  "already_hello",
  "password_required",
  "access_denied",
  "handshake_timeout",
]);

/** Refusals of a hello that leave the connection open (protocol.md 3.1). */
const NICK_ERRORS = new Set(["bad_nick", "nick_taken", "nick_registered"]);

const FIELDS: Record<string, Record<string, "string" | "number" | "optional">> = {
  hello: {
    protocol: "number",
    nick: "string",
    client: "string",
    password: "optional",
    key: "optional",
  },
  auth: { signature: "string" },
  msg: { text: "string", room: "optional" },
  cmd: { name: "string", args: "optional", room: "optional" },
  input: { line: "string", room: "optional" },
  ping: { token: "optional" },
  pong: { token: "optional" },
};

/** A key is "32 bytes of base64url": 43 characters (one `=` of padding is still base64url). */
const KEY_TEXT = /^[A-Za-z0-9_-]{43}=?$/;

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

/** What the oracle knows about the server and the case beyond the bytes sent. */
export interface NativeContext {
  maxLineBytes: number;
  /** The server's password, when it has one. */
  password?: string;
  /** The one `auth` line (as sent, without its line break) whose signature verifies. */
  validAuth?: string;
}

/** The oracle's verdict on one native connection. */
export interface Judgement {
  /** What the server said that protocol.md does not predict, if anything. */
  problem?: string;
  /** Lines that were not valid frames, answered with their error. */
  badLines: number;
  welcome: boolean;
  challenged: boolean;
  /** Joined by a key proof. */
  keyWelcome: boolean;
  /** Refused at the door (`bye` `denied`). */
  denied: boolean;
}

/**
 * Walks the lines of a native payload through the handshake as protocol.md
 * describes it (no hello yet, an open challenge, a member), taking the
 * server's answers in order. `answers` are the server's frames reduced to
 * `pong:<token>`, `error:<code>`, `challenge`, `welcome` and `bye:<reason>`
 * (everything else is chat traffic the oracle does not judge). Where the
 * document leaves the outcome to the chat (a hello's nick may be taken, a
 * command may fail), the answer received decides which way the walk goes;
 * everything else must be exactly as predicted.
 *
 * @example
 * ```ts
 * const payload = new TextEncoder().encode('{"type":"auth","signature":""}\n{"type":"ping"}\n');
 * judgeNative(payload, ["error:not_ready", "pong:"], { maxLineBytes: 4096 }).problem; // undefined
 * ```
 */
export function judgeNative(
  payload: Uint8Array,
  answers: readonly string[],
  context: NativeContext,
): Judgement {
  const result: Judgement = {
    badLines: 0,
    welcome: false,
    challenged: false,
    keyWelcome: false,
    denied: false,
  };
  let at = 0;
  let member = false;
  let challenge = false;
  let ended = false;
  let lineNumber = 0;
  let lineText = "";
  const where = () => `line ${lineNumber} ${JSON.stringify(lineText.slice(0, 200))}`;
  // A slow case may outlive the handshake deadline while it is not a member.
  const timedOut = (): boolean => {
    if (member || answers[at] !== "error:handshake_timeout") return false;
    if (answers[at + 1] !== "bye:timeout") return false;
    at += 2;
    ended = true;
    return true;
  };
  /** Takes `wanted` in order; false (with the problem set) when the server said otherwise. */
  const take = (...wanted: string[]): boolean => {
    for (const want of wanted) {
      if (timedOut()) return true;
      if (answers[at] !== want) {
        result.problem = `${where()}: expected ${want}, got ${answers[at] ?? "nothing"}`;
        return false;
      }
      at++;
      if (want.startsWith("bye:")) ended = true;
      if (want === "bye:denied") result.denied = true;
    }
    return true;
  };
  /** A hello past its checks meets the chat: welcome, or a refusal (protocol.md 3.1). */
  const join = (byKey: boolean): boolean => {
    if (timedOut()) return true;
    const answer = answers[at];
    if (answer === "welcome") {
      at++;
      member = true;
      result.welcome = true;
      result.keyWelcome ||= byKey;
      return true;
    }
    if (answer === "error:server_full") return take(answer, "bye:full");
    if (answer === "error:banned") return take(answer, "bye:denied");
    if (answer !== undefined && NICK_ERRORS.has(answer.slice("error:".length))) {
      at++;
      return true;
    }
    result.problem = `${where()}: expected welcome or a nick error, got ${answer ?? "nothing"}`;
    return false;
  };
  const lineError = (code: string): boolean => {
    result.badLines++;
    return take(`error:${code}`);
  };
  const frameAnswered = (frame: Record<string, unknown>): boolean => {
    if (frame.type === "pong") return true;
    if (frame.type === "ping") return take(`pong:${frame.token ?? ""}`);
    if (member) {
      if (frame.type === "hello" || frame.type === "auth") return take("error:already_hello");
      // The chat's answers (a failed command's error, a /quit's bye) are not judged here.
      while (answers[at]?.startsWith("error:") && !PREDICTED_ERRORS.has(answers[at].slice(6))) {
        at++;
      }
      const said = String(frame.name ?? frame.line ?? "").toLowerCase();
      if (answers[at] === "bye:quit" && frame.type !== "msg" && /quit|exit|bye/.test(said)) {
        at++;
        ended = true;
      }
      return true;
    }
    if (frame.type === "hello") {
      // The order of #hello in lib/server/chat_server.ts, as protocol.md 3.1 tells it.
      if (frame.protocol !== 1) return take("error:protocol_version", "bye:protocol");
      if (challenge) return take("error:not_ready");
      const key = frame.key as string | undefined;
      if (key !== undefined && !KEY_TEXT.test(key)) return lineError("bad_frame");
      if (context.password !== undefined) {
        if (frame.password === undefined) return take("error:password_required", "bye:denied");
        if (frame.password !== context.password) return take("error:access_denied", "bye:denied");
      }
      if (key === undefined) return join(false);
      challenge = true;
      result.challenged = true;
      return take("challenge");
    }
    if (frame.type === "auth") {
      if (!challenge) return take("error:not_ready");
      challenge = false; // A nonce is used once, right or wrong.
      if (lineText === context.validAuth) return join(true);
      return take("error:access_denied", "bye:denied");
    }
    return take("error:not_ready");
  };

  let start = 0;
  while (start < payload.length && !ended) {
    const newline = payload.indexOf(0x0a, start);
    const complete = newline !== -1;
    let line = payload.subarray(start, complete ? newline : payload.length);
    start = complete ? newline + 1 : payload.length;
    lineNumber++;
    lineText = "";
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (line.length > context.maxLineBytes) {
      // Fatal: what came before is answered, then the goodbye.
      if (!lineError("line_too_long") || !take("bye:protocol")) return result;
      break;
    }
    // An unfinished last line is dropped when the peer goes.
    if (!complete) break;
    try {
      lineText = strictDecoder.decode(line);
    } catch {
      if (!lineError("bad_utf8")) return result;
      continue;
    }
    if (lineText.trim() === "") continue;
    const verdict = classifyLine(lineText);
    const answered = "code" in verdict ? lineError(verdict.code) : frameAnswered(verdict.frame);
    if (!answered) return result;
  }
  if (!ended) timedOut();
  if (at < answers.length) {
    result.problem = `answers no line accounts for: ${JSON.stringify(answers.slice(at))}`;
  }
  return result;
}

// ---------------------------------------------------------------------------
// Running a case

const GREETING = /^Welcome to .*\. Pick a nick\.\r\nNick\? /;
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
  challenged?: boolean;
  keyWelcome?: boolean;
  denied?: boolean;
}

/** Runs one case on a fresh connection and checks what came back. */
async function runCase(
  port: number,
  fc: FuzzCase,
  options: { maxLineBytes: number; handshakeTimeoutMs: number; password?: string },
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
  let sent = fc.payload;
  let validAuth: string | undefined;
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
    } else if (fc.proof) {
      const proof = fc.proof;
      try {
        await writeAll(conn, fc.payload);
      } catch {
        // Closed by the server; checked below.
      }
      // The pong after the hello: by then its challenge (if any) is in.
      const text = () => new TextDecoder().decode(inbox.bytes);
      await inbox.until(() => text().includes('"token":"auth-next"'), limitMs);
      const challenge = text().split("\n").filter((line) => line.startsWith('{"type":"challenge"'))
        .at(-1);
      const nonce = challenge ? String(JSON.parse(challenge).nonce) : "no-challenge";
      const auth = proofLine(proof, nonce);
      if (proof.signing === "right" || proof.signing === "right-extra") validAuth = auth;
      sent = new Uint8Array([...fc.payload, ...encoder.encode(auth + "\n"), ...proof.afterAuth]);
      try {
        await writeAll(conn, sent.subarray(fc.payload.length));
      } catch {
        // Closed by the server; checked below.
      }
      try {
        conn.closeWrite();
      } catch {
        // Already reset by the server.
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
    if (fc.mode === "native") {
      return checkNative(sent, received, {
        maxLineBytes: options.maxLineBytes,
        password: options.password,
        validAuth,
      });
    }
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
function checkNative(sent: Uint8Array, received: Uint8Array, context: NativeContext): CaseReport {
  const report: CaseReport = { badLines: 0, welcome: false };
  const fail = (problem: string): CaseReport => ({
    ...report,
    problem: `${problem}\n  sent: ${show(sent)}\n  got: ${show(received, 1200)}`,
  });
  let text: string;
  try {
    text = strictDecoder.decode(received);
  } catch {
    return fail("the server sent invalid UTF-8");
  }
  const lines = text.split("\n");
  if (lines.pop() !== "") return fail("the server's last frame is incomplete");
  const answers: string[] = [];
  let bye: Record<string, unknown> | undefined;
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
    const unsafe = unsafeReceived(frame);
    if (unsafe) return fail(`unsafe text reached a native client: ${unsafe}`);
    switch (frame.type) {
      case "welcome":
        answers.push("welcome");
        break;
      case "challenge":
        if (typeof frame.nonce !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(frame.nonce)) {
          return fail(`a challenge without a well-formed nonce: ${line}`);
        }
        answers.push("challenge");
        break;
      case "pong":
        answers.push(`pong:${frame.token ?? ""}`);
        break;
      case "error":
        if (typeof frame.code !== "string" || typeof frame.message !== "string") {
          return fail(`an error without code or message: ${line}`);
        }
        answers.push(`error:${frame.code}`);
        break;
      case "bye":
        bye = frame;
        if (typeof bye.message !== "string") return fail(`a bye without a message: ${line}`);
        // A refusal at the door names its cause twice: the error and the bye's code.
        if (bye.reason === "denied" && `error:${bye.code}` !== answers.at(-1)) {
          return fail(`a denied bye whose code is not the error before it: ${line}`);
        }
        answers.push(`bye:${bye.reason}`);
        break;
    }
  }
  const judgement = judgeNative(sent, answers, context);
  if (judgement.problem) return fail(`${judgement.problem}\n  answers: ${JSON.stringify(answers)}`);
  return {
    badLines: judgement.badLines,
    welcome: judgement.welcome,
    challenged: judgement.challenged,
    keyWelcome: judgement.keyWelcome,
    denied: judgement.denied,
  };
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
  const unsafeText = unsafeInText(received);
  if (unsafeText) return `text mode sent unsafe text: ${unsafeText}`;
  if (/[\r\n]/.test(text.replace(/\r\n/g, ""))) {
    return `text mode sent a bare CR or LF: ${JSON.stringify(text)}`;
  }
  if (timeout && !text.includes("Did not join within")) {
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
      const unsafe = unsafeReceived(event);
      if (unsafe) return `healthy client ${i} got unsafe text: ${unsafe}`;
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
    challenges: 0,
    keyWelcomes: 0,
    denied: 0,
    skipped: 0,
    healthChecks: 0,
    textJoins: 0,
    textWhois: 0,
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
  await using bystander = await TextBystander.connect(options.port, seed);
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
      const privateServer = options.privateServer;
      if (fc.server === "private" && !privateServer) {
        summary.skipped++;
        continue;
      }
      summary.kinds[fc.kind] = (summary.kinds[fc.kind] ?? 0) + 1;
      summary.modes[fc.mode]++;
      try {
        const report = fc.server === "private"
          ? await runCase(privateServer!.port, fc, {
            maxLineBytes,
            handshakeTimeoutMs,
            password: privateServer!.password,
          })
          : await runCase(options.port, fc, { maxLineBytes, handshakeTimeoutMs });
        summary.badLines += report.badLines;
        if (report.welcome) summary.welcomes++;
        if (report.challenged) summary.challenges++;
        if (report.keyWelcome) summary.keyWelcomes++;
        if (report.denied) summary.denied++;
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
  const unsafe = bystander.problem();
  if (unsafe) fail("the text bystander", unsafe);
  summary.textJoins = bystander.joinsSeen;
  summary.textWhois = bystander.whoisAnswers;
  summary.healthChecks = health.checks;
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

// ===========================================================================
// The server-to-client direction
//
// A hostile server (tests/hostile_server.ts) sends fuzzed frames to a real
// ChatSession over TCP; every event it yields goes through both renderers:
// line mode's EventPrinter and the terminal UI (ChatView, drawn on the fake
// terminal, which throws on any sequence the UI does not write itself). The
// oracle knows, from docs/protocol.md, which field of which frame is free
// text (cleaned and shown), which must be a nick, a room, a code or a number
// (a frame with anything else there is refused with one "invalid frame"
// notice), and which are optional.

/** What kind of value a field of a server frame holds (docs/protocol.md 3.3). */
type FieldKind =
  | "text"
  | "opaque"
  | "nick"
  | "room"
  | "token"
  | "enum"
  | "count"
  | "time"
  | "positive"
  | "bool"
  | "list"
  | "object"
  /** Read by nobody (a history message's own `type`): any value, or none. */
  | "ignored";

const MESSAGE_FIELDS: Record<string, FieldKind> = {
  "type?": "ignored",
  room: "room",
  id: "count",
  ts: "time",
  from: "nick",
  text: "text",
  kind: "enum",
};

/** Each field of each frame type, by path (`*` is any list index), and its kind; `?` marks optional. */
const SERVER_FIELDS: Record<string, Record<string, FieldKind>> = {
  msg: MESSAGE_FIELDS,
  join: { room: "room", id: "count", ts: "time", nick: "nick" },
  leave: {
    room: "room",
    id: "count",
    ts: "time",
    nick: "nick",
    reason: "enum",
    "message?": "text",
  },
  nick: { ts: "time", old: "nick", new: "nick", rooms: "list", "rooms.*": "room" },
  dm: { ts: "time", from: "nick", to: "nick", text: "text", kind: "enum" },
  welcome: {
    protocol: "count",
    server: "text",
    "motd?": "text",
    nick: "nick",
    room: "room",
    members: "list",
    "members.*": "nick",
    "memberCount?": "count",
    "rateLimit?": "object",
    "rateLimit.rate": "positive",
    "rateLimit.burst": "positive",
    history: "list",
    "history.*": "object",
    ...Object.fromEntries(Object.entries(MESSAGE_FIELDS).map(([k, v]) => [`history.*.${k}`, v])),
  },
  joined: {
    room: "room",
    members: "list",
    "members.*": "nick",
    "memberCount?": "count",
    history: "list",
    "history.*": "object",
    ...Object.fromEntries(Object.entries(MESSAGE_FIELDS).map(([k, v]) => [`history.*.${k}`, v])),
  },
  parted: { room: "room", current: "room" },
  who: { room: "room", members: "list", "members.*": "nick" },
  rooms: { rooms: "list", "rooms.*": "object", "rooms.*.room": "room", "rooms.*.members": "count" },
  history: {
    room: "room",
    messages: "list",
    "messages.*": "object",
    ...Object.fromEntries(Object.entries(MESSAGE_FIELDS).map(([k, v]) => [`messages.*.${k}`, v])),
    more: "bool",
  },
  help: {
    commands: "list",
    "commands.*": "object",
    "commands.*.name": "token",
    "commands.*.usage": "text",
    "commands.*.help": "text",
    "commands.*.op?": "bool",
  },
  challenge: { nonce: "opaque" },
  notice: { message: "text" },
  whois: {
    nick: "nick",
    client: "text",
    "fingerprint?": "text",
    registered: "bool",
    operator: "bool",
    "address?": "text",
    rooms: "list",
    "rooms.*": "room",
  },
  bans: {
    bans: "list",
    "bans.*": "object",
    "bans.*.kind": "enum",
    "bans.*.value": "text",
    "bans.*.nick?": "nick",
    "bans.*.reason?": "text",
    "bans.*.by": "nick",
    "bans.*.ts": "time",
  },
  pong: { "token?": "text" },
  ping: { "token?": "opaque" },
  error: { code: "token", message: "text" },
  bye: { reason: "enum", "code?": "token", message: "text" },
};

/** Free-text fields line mode prints (a second welcome prints only its history). */
const SHOWN_IN_LINE_MODE = new Set([
  "msg.text",
  "dm.text",
  "leave.message",
  "notice.message",
  "error.message",
  "whois.client",
  "whois.fingerprint",
  "whois.address",
  "bans.bans.*.value",
  "bans.bans.*.reason",
  "help.commands.*.usage",
  "help.commands.*.help",
  "history.messages.*.text",
  "joined.history.*.text",
  "welcome.history.*.text",
  "pong.token",
]);

/** A path as the field tables write it: `history.*.text`. */
function pathKey(path: (string | number)[]): string {
  return path.map((part) => (typeof part === "number" ? "*" : part)).join(".");
}

/** The kind of the field at `path` of a `type` frame, and whether it may be left out. */
function fieldOf(type: string, path: (string | number)[]): { kind: FieldKind; optional: boolean } {
  const key = pathKey(path);
  const fields = SERVER_FIELDS[type];
  if (fields[key]) return { kind: fields[key], optional: false };
  if (fields[`${key}?`]) return { kind: fields[`${key}?`], optional: true };
  throw new Error(`fuzz oracle: no field ${key} in ${type}`);
}

/** What the client must do with a fuzzed line. */
export type ServerCaseExpectation =
  /** Yield it as an event of its type (nothing for a ping, which it answers). */
  | "accepted"
  /** Yield one invalid_frame notice for it. */
  | "refused"
  /** Yield nothing: a frame type it does not know. */
  | "ignored"
  /** Either of the above (a byte-mutated line); at most one event. */
  | "either";

/** One case of the server-to-client direction: one line a server sends. */
export interface ServerFuzzCase {
  index: number;
  kind: string;
  line: string | Uint8Array;
  type: string;
  expect: ServerCaseExpectation;
  /** A tag that must show up in line mode's output, cleaned (a free-text field it prints). */
  tag?: string;
}

/** Values no field accepts (but an optional one accepts null). */
const SERVER_WRONG_VALUES: unknown[] = [null, {}, 1e308, -1, [null], "", true];
/**
 * Whether a field of `kind` takes `value` (one of {@linkcode SERVER_WRONG_VALUES}):
 * null when optional, an empty string as text, `true` as a flag; nothing else.
 */
function acceptsValue(kind: FieldKind, optional: boolean, value: unknown): boolean {
  if (kind === "ignored") return true;
  if (value === null) return optional;
  if (value === "") return kind === "text" || kind === "opaque";
  if (value === true) return kind === "bool";
  return false;
}

/** Characters a hostile string is built from (one of them is always a control). */
const HOSTILE_PIECES = [
  "\x1b[2J",
  "\x1b]0;pwned\x07",
  "\x1b]2;pwned\x1b\\",
  "\x07",
  "\r\n",
  "\r",
  "\x9b1m",
  "\x9d0;x\x9c",
  "\x85",
  "\u202e",
  "\u2066",
  "\ud800",
  "\udc00",
  "\u200d",
  "\u200b",
  "\ufeff",
  "\x00",
  "\x7f",
  "\u2028",
  "\x1bP1$r\x1b\\",
  "中文",
  "😀",
  "e\u0301",
  " ",
  "word",
  "<admin>",
  "[12:00]",
];

/** Whether a string is one the kinds "text" and "opaque" take (and a field of `kind` takes). */
function acceptsString(kind: FieldKind, text: string): boolean {
  if (kind === "text" || kind === "ignored") return true;
  if (kind === "opaque") return text.length <= 1024;
  return false; // Hostile strings are never nicks, rooms, codes or choices.
}

function hostileServerText(r: Random, tag: string): string {
  if (r.chance(0.3)) return tag + r.pick(HOSTILE_CORPUS);
  const pieces = Array.from({ length: r.range(1, 12) }, () => r.pick(HOSTILE_PIECES));
  // At least one control, so it is never a valid nick, room or code.
  return tag + pieces.join("") + r.pick(["\x1b[H", "\x07", "\x00", "\x9b"]);
}

/** Builds server-to-client case `index` of the run with `seed`. */
export function generateServerCase(seed: number, index: number): ServerFuzzCase {
  const r = new Random(caseSeed(seed ^ 0x5e4fe7, index));
  const templates = frameTemplates(1_700_000_000_000 + index).filter((f) => f.type !== "bye");
  const template = r.pick(templates);
  const type = template.type as string;
  const tag = `t${index}x`;
  const paths = stringPaths(template).filter((p) => p[0] !== "type");
  const roll = r.int(100);
  if (roll < 10) {
    return { index, kind: "clean", line: JSON.stringify(template), type, expect: "accepted" };
  }
  if (roll < 45 && paths.length > 0) {
    // A string field poisoned with hostile text.
    const path = r.pick(paths);
    const text = hostileServerText(r, tag);
    const { kind } = fieldOf(type, path);
    const expect = acceptsString(kind, text) ? "accepted" : "refused";
    const shown = SHOWN_IN_LINE_MODE.has(`${type}.${pathKey(path)}`);
    return {
      index,
      kind: `string:${kind}`,
      line: JSON.stringify(poisoned(template, path, text)),
      type,
      expect,
      ...(expect === "accepted" && shown ? { tag } : {}),
    };
  }
  if (roll < 75) {
    // Any field (a string, a number, a list, an object) given a value of the wrong kind, or removed.
    const all = valuePaths(template).filter((p) => p[0] !== "type");
    const path = r.pick(all);
    const { kind, optional } = fieldOf(type, path);
    const remove = typeof path.at(-1) === "string" && r.chance(0.25);
    const value = r.pick(SERVER_WRONG_VALUES);
    const frame = remove ? without(template, path) : poisonedValue(template, path, value);
    const expect = (remove ? optional : acceptsValue(kind, optional, value))
      ? "accepted"
      : "refused";
    return {
      index,
      kind: remove ? "missing" : "wrong-type",
      line: JSON.stringify(frame),
      type,
      expect,
    };
  }
  if (roll < 85) {
    // Bytes flipped, cut or inserted (never a line break): anything may come of it.
    const bytes = mutate(r, encoder.encode(JSON.stringify(template)), r.range(1, 4))
      .filter((b) => b !== 0x0a);
    const blank = new TextDecoder().decode(bytes).trim() === "";
    return { index, kind: "mutated", line: bytes, type, expect: blank ? "ignored" : "either" };
  }
  if (roll < 93) {
    // Not a frame at all.
    const line = r.pick([
      hostileServerText(r, tag).replace(/[\r\n]/g, " "),
      "[1,2]",
      "null",
      "42",
      '"text"',
      "{}",
      '{"type":null}',
      '{"type":["msg"]}',
      "{" + "[".repeat(r.range(1, 3000)),
    ]);
    return { index, kind: "not-a-frame", line, type: "-", expect: "refused" };
  }
  // A type this client does not know: ignored, whatever it holds.
  const frame = { ...template, type: `future-${r.pick(["x", "\x1b]0;pwned\x07", "\u202e"])}` };
  return { index, kind: "unknown-type", line: JSON.stringify(frame), type: "-", expect: "ignored" };
}

/** Every path to a value (not the root) of `value`. */
function valuePaths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = at.length > 0 ? [at] : [];
  if (Array.isArray(value)) {
    return [...here, ...value.flatMap((item, i) => valuePaths(item, [...at, i]))];
  }
  if (typeof value === "object" && value !== null) {
    return [
      ...here,
      ...Object.entries(value).flatMap(([key, item]) => valuePaths(item, [...at, key])),
    ];
  }
  return here;
}

function poisonedValue(
  frame: Record<string, unknown>,
  path: (string | number)[],
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(frame);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

function without(
  frame: Record<string, unknown>,
  path: (string | number)[],
): Record<string, unknown> {
  const copy = structuredClone(frame);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  delete node[path.at(-1)!];
  return copy;
}

/** Settings of a server-to-client fuzz run. */
export interface ClientFuzzOptions {
  seed: number;
  cases: number;
  /** The first case number (to replay one case: `first: N, cases: 1`). */
  first?: number;
}

/** What a server-to-client fuzz run did and found. */
export interface ClientFuzzSummary extends FuzzRun {
  /** Cases by what the client did: accepted, refused (a notice), ignored. */
  outcomes: Record<"accepted" | "refused" | "ignored", number>;
  /** Tags of poisoned message texts that reached line mode's output, cleaned. */
  tagsShown: number;
  /** Events drawn on the fake terminal. */
  drawn: number;
  durationMs: number;
}

/** What must never reach a terminal: controls (but LF), C1, bidi controls, separators. */
const UNSAFE_SHOWN =
  /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** What a renderer prints when handed what it did not expect. */
const GARBAGE_SHOWN = /\bNaN\b|\bundefined\b|Invalid Date|\[object Object\]/;

/**
 * Runs `cases` server-to-client cases: a hostile server sends each case's
 * line, then a `pong` that marks the end of the case, to a real ChatSession;
 * each case's events are checked against the oracle and rendered by line
 * mode and by the terminal UI.
 */
export async function runClientFuzz(options: ClientFuzzOptions): Promise<ClientFuzzSummary> {
  const started = performance.now();
  const seed = options.seed >>> 0;
  const first = options.first ?? 0;
  const cases = Array.from(
    { length: options.cases },
    (_, i) => generateServerCase(seed, first + i),
  );
  const summary: ClientFuzzSummary = {
    seed,
    first,
    cases: options.cases,
    failures: [],
    failureCount: 0,
    kinds: {},
    outcomes: { accepted: 0, refused: 0, ignored: 0 },
    tagsShown: 0,
    drawn: 0,
    durationMs: 0,
  };
  const fail = (fc: ServerFuzzCase, problem: string) => {
    summary.failureCount++;
    if (summary.failures.length < 50) {
      summary.failures.push(
        `seed=${seed} case=${fc.index} (${fc.kind}, ${fc.type}): ${problem}\n  line: ${
          show(typeof fc.line === "string" ? encoder.encode(fc.line) : fc.line)
        }\n  (replay: deno task fuzz --direction client --seed ${seed} --case ${fc.index})`,
      );
    }
  };
  const sentinel = (index: number) => ({ type: "pong", token: `fuzz-case-${index}` });
  await using server = new HostileServer(async (peer) => {
    await peer.send({ ...frameTemplates()[0], history: [], rateLimit: undefined });
    for (let i = 0; i < cases.length; i += 100) {
      await peer.send(...cases.slice(i, i + 100).flatMap((fc) => [fc.line, sentinel(fc.index)]));
    }
    await peer.waitFor((f) => f.type === "cmd" && f.name === "quit", 120_000);
  });
  const session = await ChatSession.connect({
    host: "127.0.0.1",
    port: server.port,
    nick: "ana",
    client: "fuzz",
  });
  const printer = new EventPrinter();
  const view = new ChatView();
  const editor = new LineEditor();
  const terminal = new FakeTerminal(100, 30);
  const writer = new ScreenWriter(terminal);
  terminal.enter();
  const draw = () => {
    writer.draw(renderScreen(view, editor, terminal.size(), { color: true }));
    summary.drawn++;
  };
  printer.lines(session.welcome);
  view.apply(session.welcome);
  draw();
  let next = 0;
  let events: (ServerFrame | InvalidFrameEvent)[] = [];
  try {
    for await (const event of session.events()) {
      const fc = cases[next];
      if (event.type === "pong" && event.token === `fuzz-case-${fc.index}`) {
        judgeServerCase(fc, events, summary, fail);
        // Both renderers take everything, and show nothing a terminal would interpret.
        try {
          const lines = events.flatMap((e) =>
            e.type === "invalid_frame" ? [e.message] : printer.lines(e)
          );
          const bad = lines.find((l) =>
            UNSAFE_SHOWN.test(l) || !l.isWellFormed() || GARBAGE_SHOWN.test(l)
          );
          if (bad !== undefined) fail(fc, `line mode printed ${JSON.stringify(bad.slice(0, 200))}`);
          if (fc.tag && events.length === 1) {
            if (lines.some((l) => l.includes(fc.tag!))) summary.tagsShown++;
            else fail(fc, `line mode lost the text: ${JSON.stringify(lines).slice(0, 300)}`);
          }
          for (const e of events) {
            if (view.apply(e)) terminal.write("\x07"); // The UI's own bell, as TuiApp rings it.
          }
          draw();
          const shown = terminal.screenText().find((r) => GARBAGE_SHOWN.test(r));
          if (shown) fail(fc, `the terminal UI drew ${JSON.stringify(shown)}`);
        } catch (error) {
          fail(fc, `a renderer threw: ${error}`);
        }
        events = [];
        if (++next === cases.length) break;
        continue;
      }
      events.push(event);
    }
    if (next < cases.length) fail(cases[next], "the session ended before this case was answered");
  } catch (error) {
    fail(cases[next] ?? cases.at(-1)!, `the session threw ${error}`);
  } finally {
    await session.send({ type: "cmd", name: "quit", args: "" }).catch(() => {});
    session.close();
    terminal.restore();
  }
  for (const error of server.errors) fail(cases.at(-1)!, `the fake server failed: ${error}`);
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

/** Checks one case's events against its expectation. */
function judgeServerCase(
  fc: ServerFuzzCase,
  events: (ServerFrame | InvalidFrameEvent)[],
  summary: ClientFuzzSummary,
  fail: (fc: ServerFuzzCase, problem: string) => void,
): void {
  summary.kinds[fc.kind] = (summary.kinds[fc.kind] ?? 0) + 1;
  const got = events.map((e) => e.type === "invalid_frame" ? "invalid" : e.type);
  const outcome = got.length === 0 ? "ignored" : got[0] === "invalid" ? "refused" : "accepted";
  if (got.length > 1) return fail(fc, `one line gave ${got.length} events: ${got}`);
  summary.outcomes[outcome]++;
  // A ping is answered, not yielded.
  const accepted = fc.type === "ping" ? "ignored" : "accepted";
  const want = fc.expect === "accepted" ? accepted : fc.expect;
  if (want === "either") return;
  if (outcome !== want) {
    const detail = events[0]?.type === "invalid_frame" ? `: ${events[0].message}` : "";
    return fail(fc, `expected it ${want}, but it was ${outcome}${detail}`);
  }
  if (outcome === "accepted" && got[0] !== fc.type) {
    fail(fc, `expected a "${fc.type}" event, got "${got[0]}"`);
  }
}
