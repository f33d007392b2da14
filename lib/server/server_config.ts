import { intFlag, parseFlags } from "../cli_args.ts";
import { FILE_FLAG_SPEC, FILES_USAGE, type FileSettings, fileSettings } from "./file_flags.ts";
import { LIMIT_FLAGS } from "./limit_flags.ts";
import { DEFAULT_RATE_LIMIT } from "../core/hub.ts";
import { SetupError, UsageError } from "../errors.ts";
import type { ChatServerOptions } from "./chat_server.ts";
import type { LogLevel } from "./log_record.ts";
import { defaultDataDir } from "../app_dirs.ts";
import { type CertificateSource, readCertificateFiles } from "./tls_certificate.ts";
import { PASSWORD_ENV, resolvePassword } from "../password_source.ts";
import { isFingerprint } from "../protocol/fingerprint.ts";
import { isWebHostName } from "./web_host.ts";
import { DEFAULT_PORT } from "../protocol/wire_frames.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_USAGE,
  type ClusterSettings,
  parseClusterSettings,
} from "./cluster_settings.ts";
import { checkHost } from "./host_flag.ts";

export { LIMIT_FLAGS } from "./limit_flags.ts";

/** The history store's default disk budget, in MiB (`--max-store-mb`). */
export const DEFAULT_MAX_STORE_MB = 512;

/** What `chat-server` was asked to do. */
export type ServerCommand =
  | { kind: "help" }
  | { kind: "version" }
  | {
    kind: "serve";
    options: ChatServerOptions & { hostname: string | undefined; port: number };
    logLevel: LogLevel;
    /** Where the history database lives; undefined keeps history in memory only. */
    dataDir: string | undefined;
    /** Where the TLS certificate comes from; undefined with `--plain`. */
    tls: CertificateSource | undefined;
    /** Retention: days and messages per room (undefined: keep). */
    retainDays?: number;
    retainMessages?: number;
    /** The history store's disk budget, in bytes. */
    maxStoreBytes?: number;
    /** Announce the server on the LAN (mDNS); `--no-discovery` turns it off. */
    discovery: boolean;
    /** Shared files' limits; undefined with `--no-files`. */
    files: FileSettings | undefined;
    /** `--cluster`: the NATS URLs to share rooms through; undefined: on its own. */
    cluster?: string[];
    /** `--cluster` with its credentials, CA and replicas (cluster_settings.ts). */
    clusterSettings?: ClusterSettings;
  };

const LOG_LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

// Seconds (the flags scaled to milliseconds) are written <s>, MiB <MiB>, counts <n>.
const limitHelp = LIMIT_FLAGS.map((l) =>
  `  --${
    `${l.flag} ${l.scale === 1000 ? "<s>" : l.scale === 1024 * 1024 ? "<MiB>" : "<n>"}`.padEnd(22)
  } ${l.help} (default ${l.default})`
).join("\n");

/** `chat-server --help`. */
export const SERVER_USAGE = `chat-server: a chat server for your local network

Usage: chat-server [flags]

Flags:
  --host <address>         address to bind (default: every interface, IPv6 and IPv4)
  --port <n>               TCP port, 0 picks a free one (default ${DEFAULT_PORT})
  --irc-port <n>           also listen on this port for IRC clients only (TLS like the
                           main port), e.g. 6697; off by default
  --name <text>            server name shown to everyone who joins and announced on the
                           LAN (default "lanchat"); a name taken there becomes "name (2)"
  --no-discovery           do not announce the server on the LAN (mDNS, _lanchat._tcp);
                           a server bound only to loopback never announces
${CLUSTER_USAGE}
  --motd <text>            message of the day shown on join
  --history <n>            messages of each room replayed to a joiner (default 50, 0 to 1000)
  --web-host <name>        a DNS name people open the web page by, beyond IP addresses,
                           localhost, names without dots and .local/.lan/.home.arpa/.internal
                           names (those always work); repeat for more
  --log-level <level>      debug, info, warn or error (default info); logs go to stderr
                           and never contain message text
  --plain                  no TLS: plain TCP that anyone on the network can read (then
                           plain nc works); without it clients use TLS (ncat --ssl)
  --cert <file> --key <file>
                           TLS certificate and private key (PEM) to use; by default the
                           server makes its own on first start and keeps it in the data dir
  --data-dir <dir>         where history and the TLS certificate are kept; default
                           $XDG_DATA_HOME/lanchat or ~/.local/share/lanchat; ":memory:"
                           keeps nothing on disk (a new certificate on every start)
  --no-persist             keep history in memory only (lost on restart); the certificate
                           is still kept in the data dir
  --retain-days <n>        delete messages older than n days (default: keep)
  --retain-messages <n>    keep at most n messages per room (default 100000)
  --max-store-mb <n>       disk budget of the history store: past it the oldest messages
                           of all rooms are deleted (default ${DEFAULT_MAX_STORE_MB})
  --store-private          also store private messages (/msg); without it they are never
                           written anywhere
${FILES_USAGE}

Access (see "Private servers and identities" in the README):
  --password-file <path>   make the server private: clients must give this password
                           (the whole file, less its final line break); wrong ones wait longer
  --password <pw>          the same, on the command line (visible in ps; prefer the file)
                           or set ${PASSWORD_ENV}
  --op <SHA256:...>        an operator's key fingerprint (chat-client --whoami prints it);
                           repeat for more; operators can /kick, /ban, /unban, /mute
  -h, --help               show this help
  -V, --version            print the version

Export a room's log to stdout:
  chat-server export --room <#room> [--since <date>] [--format jsonl|text] [--data-dir <dir>]
  chat-server export --private ...   (private messages, if stored with --store-private)
  chat-server export --room <#room> --cluster <urls> ...   (from a cluster's room stream)

A cluster's nodes, their clients, NATS and the room stream (chat-server cluster --help):
  chat-server cluster status --cluster <urls> [--json]

Limits (see docs/limits.md):
${limitHelp}
  --no-rate-limit          turn the rate limits off: messages, joins, join/leave lines

Clients join with: chat-client --host <address> [--port <n>]
or without the client: ncat --ssl <address> <port> (nc <address> <port> with --plain)`;

/**
 * Parses the server's command line.
 *
 * @throws {UsageError} on an unknown flag or a bad value
 */
export function parseServerArgs(
  args: string[],
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): ServerCommand {
  const limitOptions = Object.fromEntries(
    LIMIT_FLAGS.map((l) => [l.flag, { type: "string" as const }]),
  );
  const flags = parseFlags(args, {
    host: { type: "string" },
    port: { type: "string" },
    "irc-port": { type: "string" },
    name: { type: "string" },
    motd: { type: "string" },
    history: { type: "string" },
    "log-level": { type: "string" },
    "data-dir": { type: "string" },
    "no-persist": { type: "boolean" },
    plain: { type: "boolean" },
    cert: { type: "string" },
    key: { type: "string" },
    "store-private": { type: "boolean" },
    "retain-days": { type: "string" },
    "retain-messages": { type: "string" },
    "max-store-mb": { type: "string" },
    "no-rate-limit": { type: "boolean" },
    "no-discovery": { type: "boolean" },
    ...CLUSTER_FLAGS,
    password: { type: "string" },
    "password-file": { type: "string" },
    op: { type: "string", multiple: true },
    "web-host": { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "V" },
    ...limitOptions,
    ...FILE_FLAG_SPEC,
  }) as Record<string, string | boolean | string[] | undefined>;
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const text = (name: string) => flags[name] as string | undefined;
  const hostname = text("host");
  if (hostname !== undefined) checkHost(hostname);
  const name = (text("name") ?? "lanchat").trim();
  if (name === "" || name.length > 64 || /[\x00-\x1f\x7f]/.test(name)) {
    throw new UsageError(`--name must be 1 to 64 printable characters, got "${text("name")}"`);
  }
  const motd = text("motd");
  if (motd !== undefined && /[\x00-\x09\x0b-\x1f\x7f]/.test(motd)) {
    throw new UsageError("--motd must not contain control characters");
  }
  const logLevel = (text("log-level") ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new UsageError(
      `--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${text("log-level")}"`,
    );
  }
  const password = resolvePassword({
    password: text("password"),
    passwordFile: text("password-file"),
    env: env(PASSWORD_ENV),
  });
  const operators = (flags.op as string[] | undefined) ?? [];
  for (const op of operators) {
    if (!isFingerprint(op)) {
      throw new UsageError(
        `--op must be a key fingerprint like SHA256:<43 characters> (chat-client --whoami prints it), got "${op}"`,
      );
    }
  }
  const webHosts = (flags["web-host"] as string[] | undefined) ?? [];
  for (const name of webHosts) {
    if (!isWebHostName(name)) {
      throw new UsageError(`--web-host must be a DNS name like chat.example.com, got "${name}"`);
    }
  }
  const limits: Record<string, number> = {};
  for (const limit of LIMIT_FLAGS) {
    const value = intFlag(limit.flag, text(limit.flag), limit.default, limit.min, limit.max);
    limits[limit.flag] = value * (limit.scale ?? 1);
  }
  const options: ChatServerOptions & { hostname: string | undefined; port: number } = {
    hostname,
    port: intFlag("port", text("port"), DEFAULT_PORT, 0, 65535),
    ...(text("irc-port") !== undefined
      ? { ircPort: intFlag("irc-port", text("irc-port"), 0, 0, 65535) }
      : {}),
    serverName: name,
    motd,
    historySize: intFlag("history", text("history"), 50, 0, 1000),
    storePrivate: flags["store-private"] === true,
    ...(password !== undefined ? { password } : {}),
    ...(operators.length > 0 ? { operators } : {}),
    ...(webHosts.length > 0 ? { webHosts } : {}),
    rateLimit: flags["no-rate-limit"] ? false : {
      rate: limits.rate,
      burst: limits.burst,
      floodLimit: DEFAULT_RATE_LIMIT.floodLimit,
    },
  };
  for (const limit of LIMIT_FLAGS) {
    if (limit.option === "rateLimit") continue;
    (options as unknown as Record<string, unknown>)[limit.option] = limits[limit.flag];
  }
  const dataDir = flags["no-persist"] || text("data-dir") === ":memory:"
    ? undefined
    : text("data-dir") ?? defaultDataDir(Deno.build.os, env);
  if (!flags["no-persist"] && text("data-dir") === undefined && dataDir === undefined) {
    throw new SetupError(
      "no home directory to keep history in (HOME is not set); give --data-dir, or --data-dir :memory: to keep nothing on disk",
    );
  }
  const tls = tlsSource(flags, dataDir);
  const cluster = parseClusterSettings(text, env);
  const retainDays = text("retain-days") === undefined
    ? undefined
    : intFlag("retain-days", text("retain-days"), 0, 1, 100_000);
  const retainMessages = intFlag("retain-messages", text("retain-messages"), 100_000, 1, 1e9);
  const maxStoreBytes =
    intFlag("max-store-mb", text("max-store-mb"), DEFAULT_MAX_STORE_MB, 1, 1e7) *
    1024 * 1024;
  return {
    kind: "serve",
    options,
    logLevel,
    dataDir,
    tls,
    retainDays,
    retainMessages,
    maxStoreBytes,
    discovery: !flags["no-discovery"],
    files: fileSettings(text, flags["no-files"] === true),
    ...(cluster ? { cluster: cluster.urls, clusterSettings: cluster } : {}),
  };
}

/** Where the certificate comes from: the files given, the data directory, or memory. */
function tlsSource(
  flags: Record<string, string | boolean | string[] | undefined>,
  historyDir: string | undefined,
): CertificateSource | undefined {
  const cert = flags.cert as string | undefined;
  const key = flags.key as string | undefined;
  if (flags.plain) {
    if (cert !== undefined || key !== undefined) {
      throw new UsageError("--plain turns TLS off; it cannot be combined with --cert or --key");
    }
    return undefined;
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("--cert and --key go together: give both files, or neither");
  }
  if (cert !== undefined && key !== undefined) return readCertificateFiles(cert, key);
  if (flags["data-dir"] === ":memory:") return { kind: "memory" };
  // With --no-persist the history stays in memory, but the certificate is
  // still kept, so clients that trusted it keep trusting it after a restart.
  const dir = historyDir ?? (flags["data-dir"] as string | undefined) ??
    defaultDataDir(Deno.build.os, (name) => Deno.env.get(name));
  return dir === undefined ? { kind: "memory" } : { kind: "dir", dir };
}
