/**
 * One way to connect to NATS for everything a chat-server does with it
 * (the node itself, `chat-server cluster status`): credentials, TLS when a
 * URL says `tls://` (refused when the server offers none), and a record of
 * the connection's state for the start line and `/cluster`.
 *
 * @module
 */

import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import type { ClusterSettings } from "./cluster_settings.ts";

/** Thrown when NATS cannot be reached, refuses the credentials, or offers no TLS when asked. */
export class NatsConnectError extends Error {
  /** Names the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NatsConnectError";
  }
}

/** The options for `connect` that `settings` call for (not the servers' list alone). */
export function natsConnectOptions(
  settings: Pick<ClusterSettings, "urls" | "credentials" | "caFile">,
  name: string,
): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: settings.urls,
    name,
    maxReconnectAttempts: -1,
    // Without it the client builds two Errors (stack traces) per request, a publish's ack
    // included: measured ~10% of a node's CPU per message (bench/room_log_cost.ts).
    noAsyncTraces: true,
  };
  const credentials = settings.credentials;
  if (credentials?.kind === "creds") {
    options.authenticator = credsAuthenticator(new TextEncoder().encode(credentials.text));
  } else if (credentials?.kind === "user") {
    options.user = credentials.user;
    options.pass = credentials.pass;
  } else if (credentials?.kind === "token") {
    options.token = credentials.token;
  }
  if (wantsTls(settings.urls) || settings.caFile !== undefined) {
    options.tls = settings.caFile !== undefined ? { caFile: settings.caFile } : {};
  }
  return options;
}

/** Whether any URL says `tls://`. */
export function wantsTls(urls: readonly string[]): boolean {
  return urls.some((url) => url.startsWith("tls://"));
}

/**
 * Connects as `settings` say.
 *
 * @throws {NatsConnectError} in words for the operator: not reachable,
 *   credentials refused, no TLS where `tls://` asked for it
 */
export async function connectNats(
  settings: Pick<ClusterSettings, "urls" | "credentials" | "caFile" | "credentialsFrom">,
  name: string,
): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect(natsConnectOptions(settings, name));
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : String(cause);
    const refused = /authori[sz]ation|authentication|permissions? violation/i.test(text);
    const hint = refused
      ? settings.credentialsFrom
        ? `; NATS refused the credentials from ${settings.credentialsFrom}`
        : "; NATS wants credentials: give --cluster-creds <file>"
      : "";
    throw new NatsConnectError(
      `cannot reach NATS at ${settings.urls.join(",")}: ${text}${hint}`,
      { cause },
    );
  }
  // The Node transport upgrades only when the server offers TLS: a
  // tls:// URL must not fall back to plain text silently.
  if (wantsTls(settings.urls) && !(nc.info?.tls_required || nc.info?.tls_available)) {
    await nc.close();
    throw new NatsConnectError(
      `NATS at ${nc.getServer()} offers no TLS, but --cluster asked for tls://`,
    );
  }
  return nc;
}
