/**
 * Hostile text, client to server: sessions that put the corpus of
 * lib/core/_hostile_text.ts in every field of every frame type (native), or
 * type it into a text connection.
 *
 * @module
 */

import { HOSTILE_TEXT } from "../../lib/core/_hostile_text.ts";
import type { Random } from "./random.ts";
import { COMMAND_NAMES, FRAME_TYPES } from "./corpus.ts";

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
export function hostileSession(r: Random, index: number): string[] {
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
export function hostileTyping(r: Random, index: number): string[] {
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
