/**
 * Generators of native-protocol lines for the client-to-server fuzzer:
 * frames that pass validation, JSON that does not (or barely does), keys,
 * passwords and signatures of every shape, and byte-level mutations.
 *
 * @module
 */

import type { Random } from "./random.ts";
import {
  COMMAND_NAMES,
  FRAME_TYPES,
  NICKS,
  ODD_SEQUENCES,
  QUIT_NAMES,
  ROOMS,
  SPECIAL_BYTES,
  TEXT_PIECES,
  WRONG_VALUES,
} from "./corpus.ts";
import { FUZZ_PASSWORD } from "./fuzz_server.ts";

const encoder = new TextEncoder();

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
export function validKeyText(r: Random): string {
  return base64urlText(r, 43);
}

/** A `key` string that is not 32 bytes of base64url. */
export function malformedKeyText(r: Random): string {
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
export function passwordText(r: Random): string {
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
export function signatureText(r: Random, budget: number): string {
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
export function authFrame(r: Random, budget: number): Record<string, unknown> {
  const frame: Record<string, unknown> = { type: "auth", signature: signatureText(r, budget) };
  if (r.chance(0.2)) frame.nonce = base64urlText(r, 43);
  if (r.chance(0.1)) frame.key = validKeyText(r);
  if (r.chance(0.1)) frame.extra = r.pick(WRONG_VALUES);
  return frame;
}

/** An `auth` line that does not pass validation: no, or no string, `signature`. */
export function badAuthLine(r: Random): string {
  const frame: Record<string, unknown> = { type: "auth" };
  if (r.chance(0.7)) frame.signature = r.pick(WRONG_VALUES.filter((v) => typeof v !== "string"));
  if (r.chance(0.3)) frame.sig = base64urlText(r, 86);
  return JSON.stringify(frame);
}

/** A valid hello; `fields` override the drawn ones. */
export function helloFrame(
  r: Random,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: "hello",
    protocol: 1,
    nick: randomNick(r),
    client: r.chance(0.9) ? "fuzz" : "c".repeat(r.range(60, 200)),
    ...fields,
  };
}

/** Text from `pieces` pieces of the corpus, sometimes long runs of one letter. */
export function randomText(r: Random, pieces: number): string {
  let text = "";
  for (let i = 0; i < pieces; i++) {
    text += r.chance(0.2) ? "w".repeat(r.range(1, 60)) : r.pick(TEXT_PIECES);
  }
  return text;
}

/** A nick: mostly fresh, sometimes from the corpus. */
export function randomNick(r: Random): string {
  return r.chance(0.6) ? `fz${r.int(5000)}` : r.pick(NICKS);
}

function maybeRoom(r: Random): { room?: string } {
  return r.chance(0.7) ? {} : { room: r.pick(ROOMS) };
}

/** A frame that passes validation (what the server then does with it varies). */
export function validFrame(r: Random): Record<string, unknown> {
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
export function oddFrameLine(r: Random, budget: number): string {
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
export function mutate(r: Random, input: Uint8Array, count: number): Uint8Array {
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

/** The lines joined by LF or CRLF. */
export function joinLines(r: Random, lines: (string | Uint8Array)[]): Uint8Array {
  const parts = lines.map((line) => typeof line === "string" ? encoder.encode(line) : line);
  const out: number[] = [];
  for (const part of parts) out.push(...part, ...(r.chance(0.2) ? [0x0d, 0x0a] : [0x0a]));
  return new Uint8Array(out);
}

/** Frames whose lines together stay within `budget` bytes. */
export function framesWithin(r: Random, count: number, budget: number): string[] {
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
export function handshakeLine(
  r: Random,
  budget: number,
  options: { keyed?: boolean } = {},
): string {
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
