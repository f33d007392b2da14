/**
 * Shared helpers for the entry points' flag parsing: node:util parseArgs with
 * errors turned into one-line {@linkcode UsageError}s.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { SetupError, UsageError } from "./errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `args` strictly; unknown flags and missing values become UsageErrors. */
export function parseFlags<T extends Options>(
  args: string[],
  options: T,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>["values"] {
  // `deno task start -- --port 9000`, as npm users write it: the "--" is not ours.
  if (args[0] === "--") args = args.slice(1);
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(describeParseError(error as Error), { cause: error });
  }
}

function describeParseError(error: Error): string {
  const code = (error as { code?: string }).code;
  const flag = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  const arg = /argument '([^']*)'/.exec(error.message)?.[1];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag "${flag}"; see --help`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${arg}"; see --help`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing/.test(error.message)) return `flag ${flag} needs a value`;
      // "--port -1": the value looks like a flag.
      if (/ambiguous/.test(error.message)) {
        return `flag ${flag} needs a value; one that starts with "-" is written ${flag}=-...`;
      }
      return `flag ${flag} takes no value`;
    default:
      return error.message;
  }
}

/**
 * An OS error in words, without Deno's `(os error N): readfile '...'` tail:
 * `no such file or directory`, `permission denied`, `is a directory`.
 */
export function describeFileError(error: Error): string {
  const text = error.message.replace(/\s*\(os error \d+\)[\s\S]*$/, "");
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * Reads the file a flag names (`--password-file`, `--cert`, `--key`): its
 * content is the flag's value, so a file that is missing or unreadable is a
 * usage error naming the flag and the file.
 *
 * @throws {UsageError} `cannot read --cert "c.pem": no such file or directory`
 */
export function readFlagFile(
  flag: string,
  path: string,
  read: (path: string) => string = Deno.readTextFileSync,
): string {
  try {
    return read(path);
  } catch (cause) {
    throw new UsageError(
      `cannot read --${flag} "${path}": ${describeFileError(cause as Error)}`,
      { cause },
    );
  }
}

/** Parses a whole number in `[min, max]` for `flag`, or throws a UsageError. */
export function intFlag(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/**
 * The common start of both programs: parse the flags, answer `--help` and
 * `--version`, and turn a {@linkcode UsageError} into one line and exit code
 * 2. Returns the parsed command to run, or the exit code when done.
 */
export function startCommand<T extends { kind: string }>(
  program: string,
  version: string,
  usage: string,
  parse: () => T | { kind: "help" } | { kind: "version" },
): Exclude<T, { kind: "help" } | { kind: "version" }> | number {
  let command;
  try {
    command = parse();
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof SetupError)) throw error;
    console.error(`${program}: ${error.message}`);
    return error instanceof UsageError ? 2 : 1;
  }
  if (command.kind === "help") {
    console.log(usage);
    return 0;
  }
  if (command.kind === "version") {
    console.log(`${program} ${version}`);
    return 0;
  }
  return command as Exclude<T, { kind: "help" } | { kind: "version" }>;
}
