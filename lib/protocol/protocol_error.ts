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
  /**
   * The answer to a request of a joined member that the codec makes itself
   * (an IRC query): it costs the member's rate limit like any command.
   */
  readonly request: boolean;
  /** The line's bytes, for a line that is not UTF-8 (the IRC codec names its command). */
  readonly bytes: Uint8Array | undefined;
  /**
   * An error with its wire code; `fatal` closes the connection after it is
   * reported; `request` charges it to the rate limit.
   */
  constructor(
    code: ErrorCode,
    message: string,
    options?: ErrorOptions & { fatal?: boolean; request?: boolean; bytes?: Uint8Array },
  ) {
    super(message, options);
    this.name = "ProtocolError";
    this.code = code;
    this.fatal = options?.fatal ?? false;
    this.request = options?.request ?? false;
    this.bytes = options?.bytes;
  }
}
