import { intFlag, parseFlags } from "../cli_args.ts";
import { UsageError } from "../errors.ts";
import type { ChatServerOptions } from "./chat_server.ts";

/** The port the server listens on and the client connects to by default. */
export const DEFAULT_PORT = 7777;

/** What `chat-server` was asked to do. */
export type ServerCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "serve"; options: ChatServerOptions & { hostname: string; port: number } };

/** `chat-server --help`. */
export const SERVER_USAGE = `chat-server: a chat server for your local network

Usage: chat-server [flags]

Flags:
  --host <address>     address to bind (default 0.0.0.0: every IPv4 interface)
  --port <n>           TCP port, 0 picks a free one (default ${DEFAULT_PORT})
  --name <text>        server name shown to everyone who joins (default "lanchat")
  --motd <text>        message of the day shown on join
  --history <n>        messages of each room replayed to a joiner (default 50, 0 to 1000)
  --max-clients <n>    clients at once; more are refused (default 1000)
  -h, --help           show this help
  -V, --version        print the version

Clients join with: chat-client --host <address> [--port <n>]
or without the client: nc <address> <port>`;

/**
 * Parses the server's command line.
 *
 * @throws {UsageError} on an unknown flag or a bad value
 */
export function parseServerArgs(args: string[]): ServerCommand {
  const flags = parseFlags(args, {
    host: { type: "string" },
    port: { type: "string" },
    name: { type: "string" },
    motd: { type: "string" },
    history: { type: "string" },
    "max-clients": { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "V" },
  });
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const hostname = flags.host ?? "0.0.0.0";
  if (hostname.trim() === "") throw new UsageError("--host must not be empty");
  const name = (flags.name ?? "lanchat").trim();
  if (name === "" || name.length > 64 || /[\x00-\x1f\x7f]/.test(name)) {
    throw new UsageError(`--name must be 1 to 64 printable characters, got "${flags.name}"`);
  }
  if (flags.motd !== undefined && /[\x00-\x09\x0b-\x1f\x7f]/.test(flags.motd)) {
    throw new UsageError("--motd must not contain control characters");
  }
  return {
    kind: "serve",
    options: {
      hostname,
      port: intFlag("port", flags.port, DEFAULT_PORT, 0, 65535),
      serverName: name,
      motd: flags.motd,
      historySize: intFlag("history", flags.history, 50, 0, 1000),
      maxClients: intFlag("max-clients", flags["max-clients"], 1000, 1, 1_000_000),
    },
  };
}
