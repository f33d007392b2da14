/**
 * Where a password comes from, the same for both programs: `--password-file`,
 * `--password`, or the `LANCHAT_PASSWORD` environment variable.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { readFlagFile } from "./cli_args.ts";

/** The environment variable that holds the password when no flag gives one. */
export const PASSWORD_ENV = "LANCHAT_PASSWORD";

/** The password sources a program was started with. */
export interface PasswordSources {
  /** `--password <pw>` (visible to other users in `ps`; the file or the variable are safer). */
  password?: string;
  /** `--password-file <path>`: the file's content, one trailing line break removed. */
  passwordFile?: string;
  /** The value of `LANCHAT_PASSWORD`. */
  env?: string;
  /** Reads a file (injected for tests). */
  readFile?: (path: string) => string;
}

/**
 * Picks the password: the file, else the flag, else the environment
 * variable; undefined when none is given. An empty password from a flag is
 * refused: it would look private and be open.
 *
 * @throws {UsageError} for both flags at once, an unreadable file or an empty password
 */
export function resolvePassword(sources: PasswordSources): string | undefined {
  if (sources.password !== undefined && sources.passwordFile !== undefined) {
    throw new UsageError("give --password or --password-file, not both");
  }
  let password: string | undefined;
  let from: string;
  if (sources.passwordFile !== undefined) {
    password = readFlagFile("password-file", sources.passwordFile, sources.readFile)
      .replace(/\r?\n$/, "");
    from = `--password-file "${sources.passwordFile}"`;
  } else if (sources.password !== undefined) {
    password = sources.password;
    from = "--password";
  } else {
    // An empty variable counts as unset, as usual for the environment.
    return sources.env || undefined;
  }
  if (password === "") throw new UsageError(`the password from ${from} is empty`);
  return password;
}
