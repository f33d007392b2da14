/**
 * What only the wire knows, beside the chat core's events: the keepalive
 * (`ping`/`pong`) and key challenge frames, the error codes of bytes,
 * handshakes and connections, the default port, and the union of every frame
 * a server sends ({@linkcode ServerFrame}).
 *
 * @module
 */

import type { ByeEvent, ChatErrorCode, ChatEvent, ErrorEvent } from "../core/events.ts";

/** The TCP port a server listens on and a client connects to unless told otherwise. */
export const DEFAULT_PORT = 7777;

/** Error codes of the wire: bytes, frames, the handshake and the connection. */
export type WireErrorCode =
  | "bad_json"
  | "bad_utf8"
  | "bad_frame"
  | "unknown_type"
  | "line_too_long"
  | "protocol_version"
  | "not_ready"
  | "already_hello"
  | "server_busy"
  | "send_queue_exceeded"
  | "too_many_connections"
  | "handshake_timeout"
  | "timed_out"
  | "password_required"
  | "access_denied"
  | "external_failed";

/** Every code an `error` or `bye` frame may carry (docs/protocol.md). */
export type ErrorCode = ChatErrorCode | WireErrorCode;

/**
 * Handshake: the hello named a key, so the client must prove it holds it by
 * answering `{"type":"auth","signature":...}`, an Ed25519 signature over
 * `lanchat-auth-v2\n<binding>\n<nonce>` (binding: the server certificate's fingerprint, or
 * `plain`).
 */
export interface ChallengeEvent {
  /** The frame type, `"challenge"`. */
  type: "challenge";
  /** 32 random bytes, base64url. */
  nonce: string;
}

/** Answer to a `ping` frame. */
export interface PongEvent {
  /** The frame type, `"pong"`. */
  type: "pong";
  /** Echoes the ping's token, if any. */
  token?: string;
}

/** Keepalive from the server; a native client answers `{"type":"pong","token":...}`. */
export interface PingEvent {
  /** The frame type, `"ping"`. */
  type: "ping";
  /** Sent back in the `pong`. */
  token: string;
}

/** An `error` frame as the wire carries it: any code. */
export type ErrorFrame = ErrorEvent<ErrorCode>;

/** A `bye` frame as the wire carries it: any code. */
export type ByeFrame = ByeEvent<ErrorCode>;

/** Every frame a server sends: the core's events, the wire's own frames, and errors with any code. */
export type ServerFrame =
  | Exclude<ChatEvent, ErrorEvent | ByeEvent>
  | ErrorFrame
  | ByeFrame
  | PingEvent
  | PongEvent
  | ChallengeEvent;
