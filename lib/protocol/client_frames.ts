/**
 * Client-to-server frames of the native protocol and their validation.
 *
 * @module
 */

import { excerpt } from "../core/sanitize.ts";
import { ProtocolError } from "./protocol_error.ts";

/** Enter the chat. Must be the first frame. */
export interface HelloFrame {
  /** The frame type, `"hello"`. */
  type: "hello";
  /** The protocol version the client speaks (`PROTOCOL_VERSION`). */
  protocol: number;
  /** The nick asked for. */
  nick: string;
  /** Client software name and version, e.g. `chat-client/0.1.0`. */
  client: string;
  /** The server password, for a server started with one. */
  password?: string;
  /**
   * The client's raw 32-byte Ed25519 public key, base64url. The server then
   * sends a `challenge`, and the client must answer with `auth`.
   */
  key?: string;
}

/** Answer to the server's `challenge`: proof that the client holds the key it named. */
export interface AuthFrame {
  /** The frame type, `"auth"`. */
  type: "auth";
  /** Ed25519 signature over `lanchat-auth-v2\n<binding>\n<nonce>` (docs/protocol.md), base64url. */
  signature: string;
}

/** A message to a room (the current one when `room` is absent). Never a command. */
export interface MsgFrame {
  /** The frame type, `"msg"`. */
  type: "msg";
  /** The message, sent as is (a leading `/` included). */
  text: string;
  /** The room it goes to; the current one when absent. */
  room?: string;
}

/** A slash command, e.g. `{ name: "join", args: "#dev" }`. */
export interface CmdFrame {
  /** The frame type, `"cmd"`. */
  type: "cmd";
  /** The command's name, without the `/`. */
  name: string;
  /** The rest of the line, as typed. */
  args: string;
  /** The room it was typed in; the current one when absent. */
  room?: string;
}

/** A line as a person typed it: a `/command` or a message (text mode produces these). */
export interface InputFrame {
  /** The frame type, `"input"`. */
  type: "input";
  /** The line as typed. */
  line: string;
  /** The room it was typed in; the current one when absent. */
  room?: string;
}

/** Liveness check; answered with `pong`. */
export interface PingFrame {
  /** The frame type, `"ping"`. */
  type: "ping";
  /** Echoed in the `pong`. */
  token?: string;
}

/** Answer to the server's `ping` (keepalive). */
export interface PongFrame {
  /** The frame type, `"pong"`. */
  type: "pong";
  /** The token of the `ping` it answers. */
  token?: string;
}

/** Every frame a client can send. */
export type ClientFrame =
  | HelloFrame
  | AuthFrame
  | MsgFrame
  | CmdFrame
  | InputFrame
  | PingFrame
  | PongFrame;

const FIELDS: Record<ClientFrame["type"], Record<string, "string" | "number" | "optional">> = {
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

/** FIELDS as lists, made once: a frame is checked without listing its type's fields again. */
const FIELD_LISTS: Record<string, [string, "string" | "number" | "optional"][]> = Object
  .fromEntries(
    Object.entries(FIELDS).map(([type, fields]) => [type, Object.entries(fields)]),
  );

/**
 * Parses one line of the native protocol into a validated frame.
 *
 * @throws {ProtocolError} `bad_json`, `bad_frame` or `unknown_type`, none fatal
 */
export function parseClientFrame(line: string): ClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    // The parser quotes the line: what it quotes goes back only escaped.
    const message = excerpt((cause as Error).message, 160);
    throw new ProtocolError("bad_json", `Invalid JSON: ${message}`, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("bad_frame", "A frame must be a JSON object");
  }
  const frame = value as Record<string, unknown>;
  const type = frame.type;
  if (typeof type !== "string") {
    throw new ProtocolError("bad_frame", 'A frame needs a string "type"');
  }
  const fields = Object.hasOwn(FIELD_LISTS, type) ? FIELD_LISTS[type] : undefined;
  if (!fields) {
    throw new ProtocolError("unknown_type", `Unknown frame type "${excerpt(type)}"`);
  }
  for (const [field, kind] of fields) {
    const actual = frame[field];
    if (kind === "optional") {
      if (actual !== undefined && typeof actual !== "string") {
        throw new ProtocolError("bad_frame", `Field "${field}" of "${type}" must be a string`);
      }
    } else if (
      (kind === "string" && typeof actual !== "string") ||
      (kind === "number" && typeof actual !== "number")
    ) {
      throw new ProtocolError("bad_frame", `Field "${field}" of "${type}" must be a ${kind}`);
    }
  }
  if (type === "cmd" && frame.args === undefined) frame.args = "";
  return frame as unknown as ClientFrame;
}
