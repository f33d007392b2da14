/**
 * The error of bytes on the wire that do not form a valid frame.
 *
 * @module
 */

import { ChatError } from "../core/errors.ts";
import type { ErrorCode } from "../core/events.ts";

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
