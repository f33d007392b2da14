/**
 * Every error lanchat raises on purpose. Each carries a stable `code` that the
 * native protocol sends in `error` frames, and a message in sentence case that
 * quotes the offending value.
 *
 * @module
 */

import type { ErrorCode } from "./core/events.ts";

/** A request that the chat refuses; the sender is told, nothing else breaks. */
export class ChatError extends Error {
  /** Stable machine-readable code, sent to clients. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChatError";
    this.code = code;
  }
}

/** A nick that breaks the nick rules or clashes with another member. */
export class NickError extends ChatError {
  /** A free nick close to the one asked for, when the problem was a clash. */
  readonly suggestion?: string;
  constructor(
    code: "bad_nick" | "nick_taken" | "nick_registered",
    message: string,
    suggestion?: string,
  ) {
    super(code, message);
    this.name = "NickError";
    this.suggestion = suggestion;
  }
}

/** Bytes on the wire that do not form a valid frame. */
export class ProtocolError extends ChatError {
  /** Whether the connection must close after the error is reported. */
  readonly fatal: boolean;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions & { fatal?: boolean }) {
    super(code, message, options);
    this.name = "ProtocolError";
    this.fatal = options?.fatal ?? false;
  }
}

/**
 * The command line is fine but the machine is not (no home directory for the
 * default data directory, ...); entry points print it and exit 1.
 */
export class SetupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SetupError";
  }
}

/** A command-line flag with a bad value; entry points print it and exit 2. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** The client could not talk to the server (refused, unreachable, lost). */
export class ConnectError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}
