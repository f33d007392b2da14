/**
 * What `--cluster` sets up before the server serves: a connection to NATS
 * and the room log on its JetStream stream ({@linkcode NatsRoomLog}). Work
 * in progress (issue 17, docs/cluster_progress.md): only room order and ids
 * are shared so far; presence, history and access are still this node's.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsRoomLog } from "../cluster/nats_room_log.ts";
import { nodeName } from "../cluster/cluster_names.ts";
import type { HubOptions } from "../core/hub.ts";
import type { Log } from "./log_record.ts";

/** This node's part of a cluster: the room log, and how to leave. */
export interface ClusterMembership extends AsyncDisposable {
  /** The room log shared with the other nodes. */
  readonly roomLog: NatsRoomLog;
  /** This node's name in the cluster (unique per process). */
  readonly node: string;
  /**
   * The hub's state seams on NATS (room log, and as they land presence,
   * access, history): the server spreads them into the hub's options.
   */
  readonly hubOptions: Partial<HubOptions>;
  /** The connection to NATS (for `/cluster` and status). */
  readonly nc: NatsConnection;
  /** Stops reading the stream and drains the connection. */
  close(): Promise<void>;
}

/** Thrown when the NATS servers cannot be reached or JetStream refuses the stream. */
export class ClusterJoinError extends Error {
  /** Names the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClusterJoinError";
  }
}

/** Options for {@linkcode joinCluster}. */
export interface JoinClusterOptions {
  /** The NATS URLs (`parseClusterUrls`). */
  urls: string[];
  /** The server's name, the start of this node's name. */
  serverName: string;
  /** Where failures go (a publish JetStream did not acknowledge). */
  log: Log;
  /** The room stream's replicas when this node creates it. @default {3} */
  replicas?: number;
}

/** Connects to NATS and starts the shared room log. */
export async function joinCluster(options: JoinClusterOptions): Promise<ClusterMembership> {
  const { urls, serverName, log, replicas } = options;
  const node = nodeName(serverName);
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: urls, name: `lanchat ${node}`, maxReconnectAttempts: -1 });
  } catch (cause) {
    throw new ClusterJoinError(`cannot reach NATS at ${urls.join(",")}: ${reason(cause)}`, {
      cause,
    });
  }
  let roomLog: NatsRoomLog;
  try {
    roomLog = await NatsRoomLog.start({
      nc,
      node,
      replicas,
      // A message's sender is told (`cluster_unavailable`); a lost join, leave or topic is logged.
      onError: (error, folded, body) => {
        if (body.type === "msg") return;
        log({
          level: "warn",
          event: "cluster_lost",
          room: folded,
          kind: body.type,
          error: error.message,
        });
      },
      onAvailability: (reason) =>
        log(
          reason === undefined
            ? { level: "info", event: "cluster_available" }
            : { level: "error", event: "cluster_unavailable", error: reason },
        ),
      onRestart: (error) =>
        log({ level: "warn", event: "cluster_reader_restart", error: error.message }),
      onSkip: (error, seq) =>
        log({ level: "warn", event: "cluster_skip", seq, error: error.message }),
    });
  } catch (cause) {
    await nc.close();
    throw new ClusterJoinError(`JetStream refused the room stream: ${reason(cause)}`, { cause });
  }
  const close = async () => {
    await roomLog.stop();
    await nc.drain().catch(() => nc.close());
  };
  const hubOptions: Partial<HubOptions> = { roomLog };
  return { roomLog, node, nc, hubOptions, close, [Symbol.asyncDispose]: close };
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
