/**
 * The error of bytes on the wire that do not form a valid frame.
 *
 * @module
 */

import type { ErrorCode } from "./wire_frames.ts";

/** Bytes on the wire that do not form a valid frame. */
export class ProtocolError extends Error {
  /** Stable machine-readable code, sent to the peer. */
  readonly code: ErrorCode;
  /** Whether the connection must close after the error is reported. */
  readonly fatal: boolean;
  /** An error with its wire code; `fatal` closes the connection after it is reported. */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions & { fatal?: boolean }) {
    super(message, options);
    this.name = "ProtocolError";
    this.code = code;
    this.fatal = options?.fatal ?? false;
  }
}
