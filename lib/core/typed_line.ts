/**
 * What a typed line means, for every front end alike: `/name args` runs a
 * command, `//text` sends `/text` literally, anything else is a message.
 * The server's core, line mode and the terminal UI all read lines through
 * {@linkcode parseTypedLine}, so they never disagree about what is a command.
 *
 * @module
 */

/** A typed line read as a slash command or a message. */
export type TypedLine =
  | { kind: "command"; name: string; args: string }
  | { kind: "message"; text: string };

/**
 * Reads a line as typed. A command's name is the word after `/` (possibly
 * empty), its arguments the rest after the spaces that follow it.
 *
 * @example
 * ```ts
 * import { parseTypedLine } from "./typed_line.ts";
 *
 * parseTypedLine("/msg ana hi"); // { kind: "command", name: "msg", args: "ana hi" }
 * parseTypedLine("//etc/hosts"); // { kind: "message", text: "/etc/hosts" }
 * ```
 */
export function parseTypedLine(line: string): TypedLine {
  if (line.startsWith("/") && !line.startsWith("//")) {
    const match = /^\/(\S*)\s*([\s\S]*)$/.exec(line)!;
    return { kind: "command", name: match[1], args: match[2] };
  }
  return { kind: "message", text: line.startsWith("//") ? line.slice(1) : line };
}

/** Whether `line` is a message as it is (most lines): `parseTypedLine` gives it back whole. */
export function isPlainMessage(line: string): boolean {
  return line.charCodeAt(0) !== 0x2f; // "/"
}
