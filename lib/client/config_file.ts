/**
 * The client's config file, `client.conf` in the config directory: the
 * defaults a user would otherwise type every time (the server, a nick, no
 * colours...), as `key = value` lines. Flags override it. It is created on
 * first use with every key commented out and explained.
 *
 * @module
 */

import { SetupError, UsageError } from "../errors.ts";
import { parseHostPort } from "../net/host_port.ts";
import { isFingerprint } from "../protocol/fingerprint.ts";
import { describeFileError } from "../cli_args.ts";

/** The config file's name in the config directory. */
export const CONFIG_FILE = "client.conf";

/** What the config file sets; a key not in the file is undefined. */
export interface ConfigDefaults {
  /** `server`: the name of a server found on the LAN (as `--server`). */
  server?: string;
  /** `host`: the server's address, as `--host` (a port may be written with it). */
  host?: string;
  /** `port`: as `--port`. */
  port?: number;
  /** `nick`: as `--nick`. */
  nick?: string;
  /** `color = no`: as `--no-color`. */
  color?: boolean;
  /** `reconnect = no`: as `--no-reconnect`. */
  reconnect?: boolean;
  /** `give-up-after`: seconds, as `--give-up-after`. */
  giveUpAfter?: number;
  /** `plain = yes`: as `--plain`. */
  plain?: boolean;
  /** `fingerprint`: as `--fingerprint`. */
  fingerprint?: string;
  /** `password-file`: as `--password-file`; a relative path is taken from the config directory. */
  passwordFile?: string;
}

/**
 * A line of the config file that is not understood. The message names the
 * file, the line and the key, like a compiler's: `client.conf:4: "port":
 * must be a whole number from 1 to 65535, got "abc"`. A usage error: the
 * entry point exits 2.
 */
export class ConfigFileError extends UsageError {
  /**
   * Builds the error.
   *
   * @param path the file
   * @param line the line number, from 1
   * @param problem what is wrong with the line, naming its key when it has one
   */
  constructor(readonly path: string, readonly line: number, problem: string) {
    super(`${path}:${line}: ${problem}`);
    this.name = "ConfigFileError";
  }
}

type Setter = (value: string, into: ConfigDefaults) => string | undefined;

/** Each key: how to take its value; an answer is what is wrong with it. */
const KEYS: Record<string, Setter> = {
  server: (value, into) => {
    into.server = value;
    return undefined;
  },
  host: (value, into) => {
    // "a,b,c": the nodes of one cluster, tried in turn (each may say its port).
    const entries = value.split(",").map((entry) => entry.trim());
    try {
      for (const entry of entries) {
        const { host } = parseHostPort(entry);
        if (!host) return `wants host or host:port (or several, with commas), got "${value}"`;
      }
      into.host = value;
      const { port } = parseHostPort(entries[0]);
      if (entries.length === 1 && port !== undefined) into.port = port;
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  },
  port: (value, into) => wholeNumber(value, 1, 65535, (n) => into.port = n),
  nick: (value, into) => {
    if (/\s/.test(value)) return `must have no spaces, got "${value}"`;
    into.nick = value;
    return undefined;
  },
  color: (value, into) => yesNo(value, (b) => into.color = b),
  reconnect: (value, into) => yesNo(value, (b) => into.reconnect = b),
  "give-up-after": (value, into) => wholeNumber(value, 1, 86_400, (n) => into.giveUpAfter = n),
  plain: (value, into) => yesNo(value, (b) => into.plain = b),
  fingerprint: (value, into) => {
    if (!isFingerprint(value)) {
      return `must look like SHA256: and 43 base64 characters (as chat-server prints it), got "${value}"`;
    }
    into.fingerprint = value;
    return undefined;
  },
  "password-file": (value, into) => {
    into.passwordFile = value;
    return undefined;
  },
};

/** The keys the file knows, in the order the template explains them. */
export const CONFIG_KEYS: readonly string[] = Object.keys(KEYS);

function wholeNumber(
  value: string,
  min: number,
  max: number,
  set: (n: number) => void,
): string | undefined {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    return `must be a whole number from ${min} to ${max}, got "${value}"`;
  }
  set(Number(value));
  return undefined;
}

const YES = new Set(["yes", "true", "on"]);
const NO = new Set(["no", "false", "off"]);

function yesNo(value: string, set: (b: boolean) => void): string | undefined {
  const lower = value.toLowerCase();
  if (!YES.has(lower) && !NO.has(lower)) return `must be yes or no, got "${value}"`;
  set(YES.has(lower));
  return undefined;
}

/**
 * Parses the text of a config file: `key = value` lines, blank lines, and
 * whole-line comments starting with `#`. Keys are the flags' names.
 *
 * @param text the file's content
 * @param path the file, for the errors
 * @throws {ConfigFileError} on a line that is not `key = value`, an unknown
 *   key, a key given twice or a bad value
 */
export function parseConfigFile(text: string, path: string): ConfigDefaults {
  const defaults: ConfigDefaults = {};
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const number = index + 1;
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([A-Za-z][\w-]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      throw new ConfigFileError(path, number, `expected "key = value", got "${clip(line)}"`);
    }
    const [, key, value] = match;
    const set = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (!set) {
      throw new ConfigFileError(
        path,
        number,
        `unknown key "${key}" (the keys are ${CONFIG_KEYS.join(", ")})`,
      );
    }
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigFileError(path, number, `"${key}" is set again (first on line ${first})`);
    }
    seen.set(key, number);
    if (value === "") throw new ConfigFileError(path, number, `"${key}" has no value`);
    const problem = set(value, defaults);
    if (problem !== undefined) throw new ConfigFileError(path, number, `"${key}" ${problem}`);
  }
  return defaults;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** What a new config file says: every key commented out, with what it does. */
export const CONFIG_TEMPLATE = `# chat-client's defaults: what you would otherwise type every time.
# Remove the "# " before a line to use it. Flags given on the command line
# override this file. Lines are "key = value"; a line starting with # is a
# comment (a comment takes the whole line). Run chat-client --help for the flags.

# The name of a server found on the LAN (chat-client --list shows them),
# as --server.
# server = lanchat

# The server's address (and port: host:port), as --host; several nodes of one
# cluster with commas (host = 10.0.0.5,10.0.0.6,10.0.0.7), tried in turn.
# host = 192.168.1.20

# The server's port, as --port.
# port = 7777

# Your nick, as --nick (the default is your user name).
# nick = ana

# "no": no colours in the terminal UI, as --no-color.
# color = yes

# "no": exit when the connection drops, as --no-reconnect.
# reconnect = yes

# Line mode: seconds to keep trying to deliver what is left after the input
# ended, as --give-up-after.
# give-up-after = 60

# "yes": no TLS, for a server started with --plain, as --plain.
# plain = no

# Trust only the server certificate with this fingerprint, as --fingerprint.
# fingerprint = SHA256:...

# A private server's password, in a file (relative to this directory), as
# --password-file.
# password-file = password.txt
`;

/** The config file's path in `configDir`. */
export function configPath(configDir: string): string {
  return `${configDir.replace(/[\\/]+$/, "")}/${CONFIG_FILE}`;
}

/**
 * Reads `client.conf` in `configDir`; a file that does not exist sets
 * nothing (it is created by {@linkcode createConfigFile} once the command
 * line was found good: a usage error writes nothing).
 *
 * @throws {ConfigFileError} when the file has a bad line
 * @throws {SetupError} when it cannot be read (the config directory is a
 *   file, the file is not readable): exit status 1, as for the identity key
 */
export function readConfigFile(configDir: string): ConfigDefaults {
  const path = configPath(configDir);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw new SetupError(`cannot read ${path}: ${describeFileError(error as Error)}`, {
      cause: error,
    });
  }
  return parseConfigFile(text, path);
}

/**
 * Creates `client.conf` in `configDir` from {@linkcode CONFIG_TEMPLATE}
 * (and the directory) when it does not exist. Returns whether it did; a
 * directory that cannot be written is no error here (the identity key,
 * kept there too, reports it).
 */
export function createConfigFile(configDir: string): boolean {
  try {
    Deno.mkdirSync(configDir, { recursive: true, mode: 0o700 });
    Deno.writeTextFileSync(configPath(configDir), CONFIG_TEMPLATE, {
      createNew: true,
      mode: 0o600,
    });
    return true;
  } catch {
    // There already, read-only, or another chat-client made it just now.
    return false;
  }
}
