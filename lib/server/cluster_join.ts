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
import { applyStreamLimits, NatsHistoryStore, type StreamLimits } from "../cluster/nats_history.ts";
import { type NatsAccess, openNatsAccess } from "../cluster/nats_access.ts";
import { NatsLink } from "../cluster/nats_link.ts";
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
  /** The retention flags, set as the room stream's limits at start. */
  limits?: StreamLimits;
  /** Most bytes of messages the history mirror keeps in memory. @default {16 MiB} */
  historyMemoryBytes?: number;
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
  // Logs each loss and return of the connection (event=cluster_link state=down|up).
  const link = new NatsLink(
    nc,
    (up, server) =>
      log({
        level: up ? "info" : "warn",
        event: "cluster_link",
        state: up ? "up" : "down",
        server,
      }),
  );
  let roomLog: NatsRoomLog;
  try {
    roomLog = await NatsRoomLog.start({
      nc,
      node,
      replicas,
      onError: (error, folded) =>
        log({ level: "error", event: "cluster_unavailable", room: folded, error: error.message }),
      onRestart: (error) =>
        log({ level: "warn", event: "cluster_reader_restart", error: error.message }),
      onSkip: (error, seq) =>
        log({ level: "warn", event: "cluster_skip", seq, error: error.message }),
    });
  } catch (cause) {
    await nc.close();
    throw new ClusterJoinError(`JetStream refused the room stream: ${reason(cause)}`, { cause });
  }
  let history: NatsHistoryStore;
  try {
    if (options.limits) await applyLimits(nc, options.limits, log);
    history = await NatsHistoryStore.start({
      nc,
      replicas,
      memoryBytes: options.historyMemoryBytes,
      onError: (error, folded) =>
        log({ level: "error", event: "cluster_topic", room: folded, error: error.message }),
    });
    log({ level: "info", event: "cluster_history", ...history.filled });
  } catch (cause) {
    await roomLog.stop();
    await nc.close();
    throw new ClusterJoinError(`cannot read the room stream: ${reason(cause)}`, { cause });
  }
  let access: NatsAccess;
  try {
    access = await openNatsAccess({ nc, node, replicas });
  } catch (cause) {
    await history.settled();
    await roomLog.stop();
    await nc.close();
    throw new ClusterJoinError(`JetStream refused the access buckets: ${reason(cause)}`, { cause });
  }
  const close = async () => {
    await history.settled();
    await roomLog.stop();
    await access.stop();
    link.stop();
    await nc.drain().catch(() => nc.close());
  };
  const hubOptions: Partial<HubOptions> = { roomLog, store: history, ...access.hubOptions };
  return { roomLog, node, nc, hubOptions, close, [Symbol.asyncDispose]: close };
}

/** The retention flags as the stream's limits; a refusal is logged, the old limits stay. */
async function applyLimits(nc: NatsConnection, limits: StreamLimits, log: Log): Promise<void> {
  try {
    if (await applyStreamLimits(nc, limits)) {
      log({ level: "info", event: "cluster_limits", ...limits });
    }
  } catch (error) {
    log({
      level: "error",
      event: "cluster_limits",
      error: reason(error),
      detail: "the room stream keeps its old limits",
    });
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
