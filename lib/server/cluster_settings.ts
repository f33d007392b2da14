/**
 * How a chat-server connects to NATS beyond the URLs of `--cluster`:
 * credentials (`--cluster-creds <file>` or {@linkcode CLUSTER_CREDS_ENV}),
 * the CA that signed the NATS servers' certificates (`--cluster-ca <file>`,
 * for `tls://` URLs), the replicas of the stream and buckets a node
 * creates (`--cluster-replicas <n>`) and how long a silent node lives
 * (`--cluster-node-timeout <s>`). Parsed with the other flags, so a bad
 * file is a usage error before anything starts.
 *
 * @module
 */

import { intFlag, readFlagFile } from "../cli_args.ts";
import { UsageError } from "../errors.ts";
import { parseClusterUrls } from "./cluster_flag.ts";
import { NODE_DEAD_AFTER_MS } from "../cluster/cluster_names.ts";

/** The environment variable holding NATS credentials when `--cluster-creds` is not given. */
export const CLUSTER_CREDS_ENV = "LANCHAT_NATS_CREDS";

/** `--cluster-node-timeout` when not given, in seconds: NODE_DEAD_AFTER_MS. */
export const DEFAULT_NODE_TIMEOUT_S = NODE_DEAD_AFTER_MS / 1000;

/** Replicas of the stream and buckets when the flag does not say (fewer with fewer URLs). */
export const DEFAULT_CLUSTER_REPLICAS = 3;

/**
 * What authenticates this node to NATS: a `.creds` file (a user JWT and
 * its NKey seed, as `nsc` writes it), a user and password, or a token.
 */
export type NatsCredentials =
  | { kind: "creds"; text: string }
  | { kind: "user"; user: string; pass: string }
  | { kind: "token"; token: string };

/** Everything `--cluster` and its companion flags say. */
export interface ClusterSettings {
  /** The NATS URLs (`parseClusterUrls`). */
  urls: string[];
  /** How to authenticate; undefined: no credentials. */
  credentials?: NatsCredentials;
  /** Where the credentials came from (`--cluster-creds "<file>"`, or the variable), for messages. */
  credentialsFrom?: string;
  /** PEM file of the CA that signed the NATS servers' certificates (`tls://` URLs). */
  caFile?: string;
  /**
   * Replicas of the stream and the KV buckets a node creates; undefined:
   * {@linkcode DEFAULT_CLUSTER_REPLICAS}, or fewer when NATS has fewer
   * servers (`defaultReplicas`).
   */
  replicas?: number;
  /**
   * After how long unheard another node counts as dead (its members
   * dropped, their nicks freed), in ms; undefined: NODE_DEAD_AFTER_MS.
   */
  nodeTimeoutMs?: number;
}

/** The flags, as `parseFlags` takes them (spread into the server's table). */
export const CLUSTER_FLAGS = {
  cluster: { type: "string" },
  "cluster-creds": { type: "string" },
  "cluster-ca": { type: "string" },
  "cluster-replicas": { type: "string" },
  "cluster-node-timeout": { type: "string" },
} as const;

/** The lines of `chat-server --help` about the cluster. */
export const CLUSTER_USAGE =
  `  --cluster <urls>         share rooms with other chat-servers through NATS JetStream:
                           nats://host:port or tls://host:port, comma-separated (see
                           "More than one server" in the README); off by default
  --cluster-creds <file>   NATS credentials: a .creds file (user JWT and seed), or one
                           line "user:password", or one line holding a token; or set
                           ${CLUSTER_CREDS_ENV} to the same text
  --cluster-ca <file>      PEM of the CA that signed the NATS servers' certificates
                           (with tls:// URLs; default: the system's CAs)
  --cluster-replicas <n>   copies of the room stream and buckets NATS keeps, 1 to 5
                           (default ${DEFAULT_CLUSTER_REPLICAS}, or as many NATS servers as there are)
  --cluster-node-timeout <s>
                           seconds a node may go unheard before the others count it
                           dead and drop its members, 1 to 600 (default ${DEFAULT_NODE_TIMEOUT_S});
                           give every node the same`;

/**
 * The replicas when `--cluster-replicas` does not say: 3, or fewer when
 * fewer NATS servers are known (the URLs given, and the servers the one
 * reached announces: `connect_urls`), so one nats-server works as it is.
 */
export function defaultReplicas(urls: number, announced: number): number {
  return Math.min(DEFAULT_CLUSTER_REPLICAS, Math.max(1, urls, announced));
}

/**
 * The credentials in `text` (a file's content or the variable's value).
 *
 * @throws {UsageError} naming `from` when the text holds none
 */
export function parseNatsCredentials(text: string, from: string): NatsCredentials {
  if (text.includes("-----BEGIN NATS USER JWT-----")) {
    if (!text.includes("-----BEGIN USER NKEY SEED-----")) {
      throw new UsageError(`${from} has a user JWT but no NKey seed; give the whole .creds file`);
    }
    return { kind: "creds", text };
  }
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  if (lines.length !== 1) {
    throw new UsageError(
      `${from} must be a NATS .creds file, one line "user:password", or one line holding a token`,
    );
  }
  const [line] = lines;
  const colon = line.indexOf(":");
  if (colon < 0) return { kind: "token", token: line };
  const user = line.slice(0, colon);
  const pass = line.slice(colon + 1);
  if (user === "" || pass === "") {
    throw new UsageError(`${from}: "user:password" needs both a user and a password`);
  }
  return { kind: "user", user, pass };
}

/**
 * The cluster settings from the parsed flags, or undefined without
 * `--cluster` (then the companion flags are refused: they would do
 * nothing).
 *
 * @param text a flag's value by name
 * @param env an environment variable by name
 * @throws {UsageError} on a bad URL, file or number
 */
export function parseClusterSettings(
  text: (flag: string) => string | undefined,
  env: (name: string) => string | undefined,
  readFile: (path: string) => string = Deno.readTextFileSync,
): ClusterSettings | undefined {
  const value = text("cluster");
  if (value === undefined) {
    for (
      const flag of ["cluster-creds", "cluster-ca", "cluster-replicas", "cluster-node-timeout"]
    ) {
      if (text(flag) !== undefined) throw new UsageError(`--${flag} goes with --cluster`);
    }
    return undefined;
  }
  const urls = parseClusterUrls(value);
  const settings: ClusterSettings = { urls };
  if (text("cluster-replicas") !== undefined) {
    settings.replicas = intFlag("cluster-replicas", text("cluster-replicas"), 3, 1, 5);
  }
  if (text("cluster-node-timeout") !== undefined) {
    const seconds = intFlag("cluster-node-timeout", text("cluster-node-timeout"), 0, 1, 600);
    settings.nodeTimeoutMs = seconds * 1000;
  }
  const credsFile = text("cluster-creds");
  // An empty variable counts as unset, as usual for the environment.
  const fromEnv = env(CLUSTER_CREDS_ENV) || undefined;
  if (credsFile !== undefined) {
    settings.credentialsFrom = `--cluster-creds "${credsFile}"`;
    settings.credentials = parseNatsCredentials(
      readFlagFile("cluster-creds", credsFile, readFile),
      settings.credentialsFrom,
    );
  } else if (fromEnv !== undefined) {
    settings.credentialsFrom = CLUSTER_CREDS_ENV;
    settings.credentials = parseNatsCredentials(fromEnv, CLUSTER_CREDS_ENV);
  }
  const ca = text("cluster-ca");
  if (ca !== undefined) {
    readFlagFile("cluster-ca", ca, readFile); // readable now, not at the first reconnect
    if (!urls.some((url) => url.startsWith("tls://"))) {
      throw new UsageError("--cluster-ca is for tls:// URLs; --cluster names none");
    }
    settings.caFile = ca;
  }
  return settings;
}
