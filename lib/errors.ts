/**
 * The errors of the entry points: a bad flag, a machine that cannot run the
 * program, a server that cannot be reached. The chat core's own errors are in
 * `lib/core/errors.ts`, the wire's in `lib/protocol/protocol_error.ts`.
 *
 * @module
 */

import { showUnsafe } from "./core/sanitize.ts";

/**
 * The command line is fine but the machine is not (no home directory for the
 * default data directory, ...); entry points print it and exit 1.
 */
export class SetupError extends Error {
  /** The message names what is missing and what to give instead (controls shown as escapes). */
  constructor(message: string, options?: ErrorOptions) {
    super(showUnsafe(message), options);
    this.name = "SetupError";
  }
}

/** A command-line flag with a bad value; entry points print it and exit 2. */
export class UsageError extends Error {
  /**
   * The message says which flag and why, e.g. `--port must be a number from 1 to 65535`; a value
   * quoted in it shows its controls as escapes, so a bad flag cannot drive the terminal.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(showUnsafe(message), options);
    this.name = "UsageError";
  }
}

/** The client could not talk to the server (refused, unreachable, lost). */
export class ConnectError extends Error {
  /** The message says what failed, for the user, e.g. `cannot reach 10.0.0.5:7777: refused`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}
