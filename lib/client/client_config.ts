import { intFlag, parseFlags } from "../cli_args.ts";
import { UsageError } from "../errors.ts";
import { DEFAULT_PORT } from "../protocol/wire_frames.ts";
import { defaultConfigDir } from "../app_dirs.ts";
import { isFingerprint } from "../protocol/fingerprint.ts";
import { knownHostName } from "./known_hosts.ts";
import { parseHostPort } from "../net/host_port.ts";
import { PASSWORD_ENV, resolvePassword } from "../password_source.ts";
import { CONFIG_FILE, type ConfigDefaults } from "./config_file.ts";
import { type RememberedSession, type RoomsInUse, SESSION_FILE } from "./remembered_session.ts";

/** What `chat-client` was asked to do. */
export type ClientCommand =
  | { kind: "help" }
  | { kind: "version" }
  /**
   * `--forget-host host[:port]`: drop a server (`server`, as known_hosts names it)
   * from known_hosts; `host` alone, to name its entries on other ports.
   */
  | { kind: "forget"; server: string; host: string; configDir: string | undefined }
  /** `--list`: print the servers found on the LAN (one a line, or `--json`) and exit. */
  | { kind: "list"; json: boolean }
  | {
    /** Print the identity key's fingerprint (creating the key if needed) and exit. */
    kind: "whoami";
    configDir: string | undefined;
  }
  | {
    kind: "chat";
    /**
     * The server's address: `--host`, else the config file's `host`, else the
     * remembered last server's. Undefined: find it on the LAN (by
     * `serverName`, or the only one that answers).
     */
    host: string | undefined;
    port: number;
    /**
     * `--host a,b,c` (or the config file's `host = a,b,c`): every address,
     * `host` and `port` being the first; the client fails over among them.
     */
    hosts?: { host: string; port: number }[];
    /** `--server <name>`, else the config file's `server`: the server announced on the LAN under this name. */
    serverName?: string;
    /**
     * Going back to the last session's server (`host`): its name, to look
     * it up on the LAN when that address no longer answers.
     */
    lastServerName?: string;
    /**
     * The rooms to rejoin after connecting: those of the remembered last
     * session, when this is its server (the same host and port).
     */
    rooms?: RoomsInUse;
    nick: string;
    color: boolean;
    /** Reconnect by itself when the connection drops. */
    reconnect: boolean;
    /** Where known servers and the identity key live; undefined when no home is known. */
    configDir: string | undefined;
    /** TLS (the default), or plain TCP with `--plain`. */
    tls: boolean;
    /** `--fingerprint`: the only certificate to trust. */
    fingerprint?: string;
    /** `--accept-new`: trust a server never seen before (line mode needs it). */
    acceptNew: boolean;
    /** The server's password (private servers). */
    password: string | undefined;
    /** Line mode: after the input ended, how long to keep trying to deliver what is left. */
    giveUpMs: number;
  };

/** `chat-client --help`. */
export const CLIENT_USAGE = `chat-client: talk on a lanchat server

Usage: chat-client [--nick <nick>]                 (finds the server on the LAN, or the
                                                    host in the config file, or the last one)
       chat-client --server <name> [--nick <nick>]
       chat-client --host <address> [--port <n>] [--nick <nick>] [--password-file <path>]
       chat-client --list [--json]
       chat-client --whoami

Flags:
  --host <address>   the server's address; without it (and without --server,
                     a host or server in the config file, or a last session
                     remembered) the client looks for servers on the LAN for
                     about a second and joins the one that answers (several:
                     it lists them; on a terminal you pick one with the arrow
                     keys); several addresses with commas (a,b:7000,c) are
                     the nodes of one cluster: tried in turn, and when one
                     goes away the client reconnects to the next
  --port <n>         the server's port (default ${DEFAULT_PORT})
  --server <name>    join the server announced on the LAN under this name
                     (chat-server's --name); looked up again on every
                     reconnect, so a server whose address changed is found
  --list             list the servers announced on the LAN, one a line
                     (name, address:port, tls or plain, private or open,
                     fingerprint), and exit: 0 when some answered, 1 if none
  --json             with --list: a JSON array instead
  --nick <nick>      your nick (default: your user name)
  --no-color         no colours in the terminal UI (also when NO_COLOR is set)
  --no-reconnect     exit when the connection drops instead of reconnecting
  --give-up-after <s>
                     line mode: after the input ends, keep trying to reconnect
                     this long to deliver what is left (default 60)
  --plain            no TLS, for a server started with --plain (anyone on the
                     network can read what you say)
  --fingerprint <SHA256:...>
                     trust only the server certificate with this fingerprint
                     (chat-server prints it at start)
  --accept-new       trust a server never used before and remember it, without
                     asking; needed in line mode (on a terminal you are shown
                     the fingerprint and asked)
  --forget-host <host[:port]>
                     forget a server's remembered certificate (after its
                     operator confirmed a new one), then exit
  --config-dir <dir>
                     where the config file, known servers and your key are
                     kept (default ~/.config/lanchat; see the README)
  --password-file <path>
                     a private server's password (the file, less its final
                     line break)
  --password <pw>    the same on the command line (visible in ps), or set ${PASSWORD_ENV}
  --whoami           print your key's fingerprint (SHA256:...), for a server's --op,
                     and exit; the key is created on first use
  -h, --help         show this help
  -V, --version      print the version

Connections use TLS. The first time you connect to a server you are shown its
certificate fingerprint and asked whether to trust it (compare it with the one
chat-server printed); it is then remembered (known_hosts in the config dir),
and if it ever changes, chat-client refuses to connect and explains why. On a
terminal a private server's password is asked for when not given.

On a terminal it opens a full-screen UI: type a message and press Enter;
/help lists the commands; Tab completes nicks and commands; PgUp/PgDn
scroll; Ctrl-N/Ctrl-P switch rooms; Ctrl-C, Ctrl-D or /quit leaves.
With stdin from a pipe or file (line mode) every input line is sent, every
event is printed as one plain line (the further lines of a message start with
" | "), and it quits at the end of the input:
    echo "build done" | chat-client --host 192.168.1.5 --nick ci --accept-new
(--accept-new, or --fingerprint, on the first run: a script cannot be asked.)

Files: /send <path> shares a file in the current room (/send --to <nick>
<path>: with one person), /get <id or link> [path] fetches one (into
$XDG_DOWNLOAD_DIR or ~/Downloads), /cancel stops them; Esc too in the UI.
A transfer during which nothing moves for 30 s fails.

The config file, ${CONFIG_FILE} in the config directory, holds defaults
for what you would otherwise type every time; it is created on first use
with every key commented out and explained. Lines are "key = value"; lines
starting with # are comments. Keys: server, host, port, nick, color (no =
--no-color), reconnect (no = --no-reconnect), give-up-after, plain (yes =
--plain), fingerprint, password-file. Flags override it. A bad line stops
chat-client with the file, the line number and the key (exit status 2).

The last session (server, nick, rooms) is remembered in ${SESSION_FILE} in
the config directory: started without --host (and no host or server in the
config file), chat-client goes back to that server with that nick, and on
that server it rejoins your rooms. Delete the file to forget it.

Exit status: 0 all delivered (or nobody reads the output any more); 1 cannot
connect, refused, or the server went away; 2 bad flags; 3 the server refused
some lines (or some were skipped, came after /quit, or were a /send or /get
without a path or id); 4 replaced by a new connection with the same key; 5 a
/send or /get failed or was cancelled.`;

/** The files in the config directory that `parseClientArgs` reads (injected for tests). */
export interface ClientFiles {
  /**
   * The config file's defaults (see `config_file.ts`).
   *
   * @throws {UsageError} on a bad config file
   */
  config(configDir: string): ConfigDefaults;
  /** The last session, remembered (see `remembered_session.ts`); undefined when none. */
  remembered(configDir: string): RememberedSession | undefined;
}

/** No files: the flags alone. */
const NO_FILES: ClientFiles = { config: () => ({}), remembered: () => undefined };

/**
 * Parses the client's command line, over the defaults of the config file
 * in the config directory. `userName` is the default nick.
 *
 * @throws {UsageError} on an unknown flag, flags that do not go together or a bad value
 *   (a {@linkcode ConfigFileError} for a bad config file)
 */
export function parseClientArgs(
  args: string[],
  userName: string | undefined,
  env: (name: string) => string | undefined = () => undefined,
  files: ClientFiles = NO_FILES,
): ClientCommand {
  const flags = parseFlags(args, {
    host: { type: "string" },
    port: { type: "string" },
    nick: { type: "string" },
    "no-color": { type: "boolean" },
    "no-reconnect": { type: "boolean" },
    "give-up-after": { type: "string" },
    "config-dir": { type: "string" },
    plain: { type: "boolean" },
    fingerprint: { type: "string" },
    "accept-new": { type: "boolean" },
    "forget-host": { type: "string" },
    password: { type: "string" },
    "password-file": { type: "string" },
    whoami: { type: "boolean" },
    list: { type: "boolean" },
    json: { type: "boolean" },
    server: { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "V" },
  });
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const configDir = flags["config-dir"] ?? defaultConfigDir(Deno.build.os, env);
  if (flags["forget-host"] !== undefined) {
    const { host, port } = hostPortFlag("forget-host", flags["forget-host"]);
    return { kind: "forget", server: knownHostName(host, port ?? DEFAULT_PORT), host, configDir };
  }
  if (flags.whoami) return { kind: "whoami", configDir };
  const file = configDir === undefined ? {} : files.config(configDir);
  const last = configDir === undefined ? undefined : files.remembered(configDir);
  // Said nowhere where to connect: back to the last server.
  const goBack = last !== undefined && flags.host === undefined && flags.server === undefined &&
    file.host === undefined && file.server === undefined;
  const plain = flags.plain ?? file.plain ?? (goBack ? !last.tls : false);
  const fingerprint = flags.fingerprint ?? (plain ? undefined : file.fingerprint);
  if (plain && (fingerprint !== undefined || flags["accept-new"])) {
    throw new UsageError("--plain turns TLS off; --fingerprint and --accept-new need TLS");
  }
  if (fingerprint !== undefined && !isFingerprint(fingerprint)) {
    throw new UsageError(
      `--fingerprint must look like SHA256: and 43 base64 characters (as chat-server prints it), got "${fingerprint}"`,
    );
  }
  if (flags.json && !flags.list) throw new UsageError("--json goes with --list");
  if (flags.list) return { kind: "list", json: flags.json === true };
  const serverFlag = flags.server?.trim();
  if (serverFlag !== undefined) {
    if (serverFlag === "") throw new UsageError("--server wants the name a server announces");
    if (flags.host !== undefined) {
      throw new UsageError("--server finds the server by name; give it or --host, not both");
    }
    if (flags.port !== undefined) throw new UsageError("--server finds the port too; drop --port");
  }
  // Where: --host, --server, the file's host (with its port) or server name, the last server.
  let host: string | undefined;
  let hostPort: number | undefined;
  /** `a,b,c`: the others after the first (ports resolved below). */
  let others: { host: string; port?: number }[] = [];
  let serverName: string | undefined;
  /** The last session's server name, when going back there (found by it if it moved). */
  let lastServerName: string | undefined;
  if (flags.host !== undefined) {
    // IPv6 with or without brackets; a port written with the host is taken too.
    ({ host, port: hostPort, others } = hostListFlag("host", flags.host));
    if (hostPort !== undefined && flags.port !== undefined && Number(flags.port) !== hostPort) {
      throw new UsageError(`--host names port ${hostPort} but --port says ${flags.port}`);
    }
  } else if (serverFlag !== undefined) {
    serverName = serverFlag;
  } else if (file.host !== undefined) {
    ({ host, port: hostPort, others } = hostListFlag("host", file.host));
  } else if (file.server !== undefined) {
    serverName = file.server;
  } else if (goBack) {
    host = last.host;
    hostPort = flags.port === undefined ? last.port : undefined;
    lastServerName = last.server;
    // The last session was on a cluster: every node of it again, for failover.
    if (flags.port === undefined && last.hosts) {
      others = last.hosts.filter((h) => !(h.host === last.host && h.port === last.port));
    }
  }
  if (host === undefined && flags.port !== undefined) {
    throw new UsageError("--port goes with --host (a server found on the LAN says its port)");
  }
  // A flag's port wins over one written with the file's host.
  const port = flags.port !== undefined
    ? intFlag("port", flags.port, DEFAULT_PORT, 1, 65535)
    : hostPort ?? file.port ?? DEFAULT_PORT;
  // The last server again (however it was named): its nick and rooms too.
  // The same address, or the same name on the LAN (its address may have changed).
  const sameServer = last !== undefined &&
    (host !== undefined
      ? port === last.port && host.toLowerCase() === last.host.toLowerCase()
      : serverName !== undefined && serverName === last.server);
  const nick = flags.nick ?? file.nick ?? (sameServer ? last.nick : nickFromUserName(userName));
  if (nick.trim() === "") throw new UsageError("--nick must not be empty");
  const passwordFile = flags["password-file"] ??
    (flags.password === undefined && configDir !== undefined && file.passwordFile !== undefined
      ? inDirectory(configDir, file.passwordFile)
      : undefined);
  const defaultPort = flags.port !== undefined ? port : file.port ?? DEFAULT_PORT;
  const hosts = host !== undefined && others.length > 0
    ? [{ host, port }, ...others.map((o) => ({ host: o.host, port: o.port ?? defaultPort }))]
    : undefined;
  return {
    kind: "chat",
    host,
    port,
    ...(hosts ? { hosts } : {}),
    ...(serverName === undefined ? {} : { serverName }),
    ...(lastServerName === undefined ? {} : { lastServerName }),
    ...(sameServer ? { rooms: { rooms: last.rooms, current: last.current } } : {}),
    nick,
    color: !flags["no-color"] && (file.color ?? true),
    reconnect: !flags["no-reconnect"] && (file.reconnect ?? true),
    giveUpMs:
      (flags["give-up-after"] !== undefined
        ? intFlag("give-up-after", flags["give-up-after"], 60, 1, 86_400)
        : file.giveUpAfter ?? 60) * 1000,
    configDir,
    tls: !plain,
    fingerprint,
    acceptNew: flags["accept-new"] === true,
    password: resolvePassword({
      password: flags.password,
      passwordFile,
      env: env(PASSWORD_ENV),
    }),
  };
}

/** `path` as seen from `dir`: an absolute path as it is. */
function inDirectory(dir: string, path: string): string {
  if (/^([\\/]|[A-Za-z]:[\\/])/.test(path)) return path;
  return `${dir.replace(/[\\/]+$/, "")}/${path}`;
}

/**
 * `a,b,c`: several servers of one chat (a cluster's nodes), each as
 * {@linkcode hostPortFlag} takes it. A bare IPv6 address has colons, so a
 * list needs a comma; one address alone is as before.
 */
function hostListFlag(
  flag: string,
  text: string,
): { host: string; port?: number; others: { host: string; port?: number }[] } {
  const entries = text.split(",").map((entry) => entry.trim());
  if (entries.length > 1 && entries.some((entry) => entry === "")) {
    throw new UsageError(`--${flag} wants addresses separated by commas, got "${text}"`);
  }
  const [first, ...rest] = entries.map((entry) => hostPortFlag(flag, entry));
  return { ...first, others: rest };
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address, as a flag's value. */
function hostPortFlag(flag: string, text: string): { host: string; port?: number } {
  let parsed;
  try {
    parsed = parseHostPort(text.trim());
  } catch (error) {
    throw new UsageError(`--${flag}: ${(error as Error).message}`, { cause: error });
  }
  if (!parsed.host) throw new UsageError(`--${flag} wants host or host:port, got "${text}"`);
  return parsed;
}

/** A valid nick made from an OS user name ("Ana Lima" -> "Ana_Lima"), or "guest". */
export function nickFromUserName(userName: string | undefined): string {
  const cleaned = (userName ?? "").normalize("NFC").replace(/[^\p{L}\p{N}\p{M}_.\-]+/gu, "_")
    .replace(/^[^\p{L}\p{N}_]+/u, "");
  return [...cleaned].slice(0, 24).join("") || "guest";
}
