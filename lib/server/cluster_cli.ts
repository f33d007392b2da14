/**
 * `chat-server cluster status --cluster <urls>`: the cluster's nodes, their
 * clients, the NATS link and the room stream, from any machine that
 * reaches NATS (no chat-server needs to run there). `--json` prints the
 * same as one JSON object.
 *
 * @module
 */

import { parseFlags } from "../cli_args.ts";
import { UsageError } from "../errors.ts";
import { CLUSTER_FLAGS, parseClusterSettings } from "./cluster_settings.ts";
import { formatClusterStatus, readClusterStatus } from "./cluster_status.ts";
import { connectNats, NatsConnectError } from "./nats_connect.ts";
import { NatsLink } from "../cluster/nats_link.ts";

/** `chat-server cluster --help`. */
export const CLUSTER_CLI_USAGE =
  `Usage: chat-server cluster status --cluster <urls> [--cluster-creds <file>]
                                 [--cluster-ca <file>] [--json]

Shows the nodes of the cluster (where they listen, their clients), the NATS
server this command reached, and the state of the room stream.`;

/**
 * Runs `chat-server cluster ...`; returns the exit code (0 shown, 1 NATS
 * not reached, 2 a usage error).
 */
export async function runClusterCommand(
  args: string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): Promise<number> {
  let settings;
  let json = false;
  try {
    const [verb, ...rest] = args;
    if (verb === "--help" || verb === "-h") {
      out(CLUSTER_CLI_USAGE);
      return 0;
    }
    if (verb !== "status") {
      throw new UsageError(`cluster: unknown command "${verb ?? ""}"; try: cluster status`);
    }
    const flags = parseFlags(rest, {
      ...CLUSTER_FLAGS,
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    }) as Record<string, string | boolean | undefined>;
    if (flags.help) {
      out(CLUSTER_CLI_USAGE);
      return 0;
    }
    json = flags.json === true;
    settings = parseClusterSettings((name) => flags[name] as string | undefined, env);
    if (!settings) throw new UsageError("cluster status needs --cluster <urls>");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`chat-server: ${error.message}`);
    return 2;
  }
  let nc;
  try {
    nc = await connectNats(settings, "lanchat cluster status");
  } catch (error) {
    if (!(error instanceof NatsConnectError)) throw error;
    err(`chat-server: cluster status: ${error.message}`);
    return 1;
  }
  try {
    const status = await readClusterStatus(nc, new NatsLink(nc).state);
    if (json) out(JSON.stringify(status));
    else for (const line of formatClusterStatus(status)) out(line);
    return 0;
  } finally {
    await nc.close();
  }
}
