/**
 * The server-to-client fuzz cases: each is one line a hostile server sends
 * (a template frame poisoned, mutated, emptied or replaced), and what the
 * client must do with it.
 *
 * @module
 */

import { frameTemplates, HOSTILE_CORPUS, poisoned, stringPaths } from "../_hostile_server.ts";
import { caseSeed, Random } from "./random.ts";
import { mutate } from "./frame_generators.ts";
import { type FieldKind, fieldOf, pathKey, SHOWN_IN_LINE_MODE } from "./server_frame_fields.ts";

const encoder = new TextEncoder();

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
  /** The case's number in its run. */
  index: number;
  /** What kind of damage the line has. */
  kind: string;
  /** The line the server sends, without its line break. */
  line: string | Uint8Array;
  /** The type of the template frame (`-` when the line is not a frame). */
  type: string;
  /** What the client must do with it. */
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
