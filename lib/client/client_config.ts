import { intFlag, parseFlags } from "../cli_args.ts";
import { UsageError } from "../errors.ts";
import { DEFAULT_PORT } from "../server/server_config.ts";
import { defaultConfigDir } from "../app_dirs.ts";
import { PASSWORD_ENV, resolvePassword } from "../password_source.ts";

/** What `chat-client` was asked to do. */
export type ClientCommand =
  | { kind: "help" }
  | { kind: "version" }
  | {
    /** Print the identity key's fingerprint (creating the key if needed) and exit. */
    kind: "whoami";
    configDir: string | undefined;
  }
  | {
    kind: "chat";
    host: string;
    port: number;
    nick: string;
    color: boolean;
    /** Reconnect by itself when the connection drops. */
    reconnect: boolean;
    /** Where known servers and the identity key live; undefined when no home is known. */
    configDir: string | undefined;
    /** The server's password (private servers). */
    password: string | undefined;
  };

/** `chat-client --help`. */
export const CLIENT_USAGE = `chat-client: talk on a lanchat server

Usage: chat-client --host <address> [--port <n>] [--nick <nick>] [--password-file <path>]
       chat-client --whoami

Flags:
  --host <address>   the server's address (required)
  --port <n>         the server's port (default ${DEFAULT_PORT})
  --nick <nick>      your nick (default: your user name)
  --no-color         no colours in the terminal UI (also when NO_COLOR is set)
  --no-reconnect     exit when the connection drops instead of reconnecting
  --config-dir <dir> where known servers and your key are kept
                     (default ~/.config/lanchat; see the README)
  --password-file <path>  a private server's password (the file, less its final line break)
  --password <pw>    the same on the command line (visible in ps), or set ${PASSWORD_ENV}
  --whoami           print your key's fingerprint (SHA256:...), for a server's --op,
                     and exit; the key is created on first use
  -h, --help         show this help
  -V, --version      print the version

On a terminal it opens a full-screen UI: type a message and press Enter;
/help lists the commands; Tab completes nicks and commands; PgUp/PgDn
scroll; Ctrl-N/Ctrl-P switch rooms; Ctrl-C, Ctrl-D or /quit leaves.
With stdin from a pipe or file (line mode) every input line is sent, every
event is printed as one plain line, and it quits at the end of the input:
  echo "build done" | chat-client --host 192.168.1.5 --nick ci`;

/**
 * Parses the client's command line. `userName` is the default nick.
 *
 * @throws {UsageError} on an unknown flag, a missing --host or a bad value
 */
export function parseClientArgs(
  args: string[],
  userName: string | undefined,
  env: (name: string) => string | undefined = () => undefined,
): ClientCommand {
  const flags = parseFlags(args, {
    host: { type: "string" },
    port: { type: "string" },
    nick: { type: "string" },
    "no-color": { type: "boolean" },
    "no-reconnect": { type: "boolean" },
    "config-dir": { type: "string" },
    password: { type: "string" },
    "password-file": { type: "string" },
    whoami: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "V" },
  });
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const configDir = flags["config-dir"] ?? defaultConfigDir(Deno.build.os, env);
  if (flags.whoami) return { kind: "whoami", configDir };
  if (!flags.host) throw new UsageError("--host is required (the server's address); see --help");
  const nick = flags.nick ?? nickFromUserName(userName);
  if (nick.trim() === "") throw new UsageError("--nick must not be empty");
  return {
    kind: "chat",
    host: flags.host,
    port: intFlag("port", flags.port, DEFAULT_PORT, 1, 65535),
    nick,
    color: !flags["no-color"],
    reconnect: !flags["no-reconnect"],
    configDir,
    password: resolvePassword({
      password: flags.password,
      passwordFile: flags["password-file"],
      env: env(PASSWORD_ENV),
    }),
  };
}

/** A valid nick made from an OS user name ("Ana Lima" -> "Ana_Lima"), or "guest". */
export function nickFromUserName(userName: string | undefined): string {
  const cleaned = (userName ?? "").normalize("NFC").replace(/[^\p{L}\p{N}\p{M}_.\-]+/gu, "_")
    .replace(/^[^\p{L}\p{N}_]+/u, "");
  return [...cleaned].slice(0, 24).join("") || "guest";
}
