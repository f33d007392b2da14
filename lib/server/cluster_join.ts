/**
 * What `--cluster` sets up before the server serves: a connection to NATS
 * and the hub's state seams on it: the room log on its JetStream stream
 * ({@linkcode NatsRoomLog}), history read from that stream
 * ({@linkcode NatsHistoryStore}), registrations, bans and mutes in KV
 * buckets ({@linkcode openNatsAccess}). docs/cluster_progress.md has the
 * design.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { NatsRoomLog } from "../cluster/nats_room_log.ts";
import { ROOM_SUBJECT_PREFIX } from "../cluster/room_subject.ts";
import { isStreamNotFound, streamInfoOrAdd } from "../cluster/stream_info.ts";
import { nodeName, ROOM_STREAM } from "../cluster/cluster_names.ts";
import {
  applyStreamLimits,
  NatsHistoryStore,
  streamLimitFigures,
  type StreamLimits,
} from "../cluster/nats_history.ts";
import { type NatsAccess, openNatsAccess } from "../cluster/nats_access.ts";
import { defaultReplicas, type NatsCredentials } from "./cluster_settings.ts";
import { connectNats, NatsConnectError } from "./nats_connect.ts";
import { type ClusterStatus, knownClusterStatus, readClusterStatus } from "./cluster_status.ts";
import { availabilityRecord, DeadNodeLog, limitClusterLog } from "./cluster_log.ts";
import { NatsPresence } from "../cluster/nats_presence.ts";
import { NodeRegistry } from "../cluster/node_registry.ts";
import { NatsLink } from "../cluster/nats_link.ts";
import { VERSION } from "../version.ts";
import { isNotReady, JETSTREAM_WAIT_MS, untilReady } from "./cluster_wait.ts";
import { CLUSTER_STOP_WAIT_MS, stopInOrder } from "./cluster_stop.ts";
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
  /** How the link to NATS is now (followed from its status events). */
  readonly link: NatsLink;
  /**
   * The same for every node of one cluster, different between clusters
   * (derived from the room stream's creation): discovery announces it so
   * clients list the nodes as one server.
   */
  readonly clusterId: string;
  /** The stream's replicas this node asked for when creating what was missing. */
  readonly replicas: number;
  /** The nodes, the link and the stream now (`/cluster`). */
  status(): Promise<ClusterStatus>;
  /**
   * Stops reading the stream and drains the connection; NATS is waited for
   * at most {@linkcode CLUSTER_STOP_WAIT_MS} (not at all while the link is
   * down), then the connection is closed and what was skipped logged.
   */
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
  /** The room stream's replicas when this node creates it. @default {defaultReplicas(...)} */
  replicas?: number;
  /** How to authenticate to NATS (`--cluster-creds`); none by default. */
  credentials?: NatsCredentials;
  /** Where the credentials came from, for the message when NATS refuses them. */
  credentialsFrom?: string;
  /** The CA of the NATS servers' certificates (`--cluster-ca`, `tls://` URLs). */
  caFile?: string;
  /** The retention flags, set as the room stream's limits at start. */
  limits?: StreamLimits;
  /** Most bytes of messages the history mirror keeps in memory. @default {16 MiB} */
  historyMemoryBytes?: number;
  /**
   * After how long unheard another node counts as dead (`--cluster-node-timeout`), in ms; the
   * heartbeat is a sixth of it, at most 2 s. @default {NODE_DEAD_AFTER_MS}
   */
  nodeTimeoutMs?: number;
  /** Where clients reach this node (`host:port`), for its node record. @default {[]} */
  listen?: string[];
  /**
   * How long each start step is tried again while JetStream is not ready
   * (just after NATS started), in ms. @default {JETSTREAM_WAIT_MS}
   */
  readyWaitMs?: number;
}

/** Connects to NATS and starts the shared room log. */
export async function joinCluster(options: JoinClusterOptions): Promise<ClusterMembership> {
  const { serverName } = options;
  const node = nodeName(serverName);
  let nc: NatsConnection;
  try {
    nc = await connectNats(options, `lanchat ${node}`);
  } catch (cause) {
    if (!(cause instanceof NatsConnectError)) throw cause;
    throw new ClusterJoinError(cause.message, { cause });
  }
  // Failures repeated at every heartbeat during an outage: written once, then summed up.
  const limited = limitClusterLog(options.log);
  const log = limited.log;
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
  // What NATS held that this node refused (or could not write): rate-limited by limitClusterLog.
  const dropped = (error: Error, event: string, what?: string) =>
    log({ level: "warn", event, ...(what ? { what } : {}), error: error.message });
  const replicas = options.replicas ??
    defaultReplicas(options.urls.length, nc.info?.connect_urls?.length ?? 0);
  // What started so far, stopped in reverse if a later step fails.
  const started: (() => Promise<void>)[] = [
    () => nc.close(),
    () => Promise.resolve(limited.close()),
  ];
  // Each step is tried again while JetStream is not ready (said once per step).
  const ready = <T>(what: string, start: () => Promise<T>, alsoNotReady?: typeof isNotReady) =>
    untilReady(start, {
      waitMs: options.readyWaitMs ?? JETSTREAM_WAIT_MS,
      alsoNotReady,
      onWait: (error, waitMs) =>
        log({
          level: "warn",
          event: "cluster_waiting",
          what,
          error: reason(error),
          detail: `JetStream is not ready; waiting for it up to ${Math.round(waitMs / 1000)} s`,
        }),
    });
  const step = async <T>(
    what: string,
    start: () => Promise<T>,
    alsoNotReady?: typeof isNotReady,
  ): Promise<T> => {
    try {
      return await ready(what, start, alsoNotReady);
    } catch (cause) {
      for (const stop of started.reverse()) await stop().catch(() => {});
      throw new ClusterJoinError(`${what}: ${reason(cause)}`, { cause });
    }
  };
  // A request JetStream drops while it settles is tried again after 1 s, not 5 (measured: lost).
  // The stream just made (here or by a node starting alongside) can still be "not found" on a
  // NATS server the creation has not reached yet (seen in CI: two nodes starting together).
  await step(
    "JetStream refused the room stream",
    () => settleStream(nc, replicas),
    isStreamNotFound,
  );
  const roomLog = await step("JetStream refused the room stream", () =>
    NatsRoomLog.start({
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
      onAvailability: (reason) => log(availabilityRecord(reason)),
      onRestart: (error) =>
        log({ level: "warn", event: "cluster_reader_restart", error: error.message }),
      onSkip: (error, seq) => dropped(new Error(`seq ${seq}: ${error.message}`), "cluster_skip"),
    }));
  started.push(() => roomLog.stop());
  const clusterId = await step("cannot read the room stream", () => clusterIdOf(nc));
  if (options.limits) {
    await applyLimits(nc, options.limits, log, (start) => ready("the room stream's limits", start));
  }
  const history = await step("cannot read the room stream", () =>
    NatsHistoryStore.start({
      nc,
      replicas,
      memoryBytes: options.historyMemoryBytes,
      onError: (error, folded) =>
        log({ level: "error", event: "cluster_topic", room: folded, error: error.message }),
    }));
  started.push(() => history.settled());
  log({ level: "info", event: "cluster_history", ...history.filled });
  const access: NatsAccess = await step(
    "JetStream refused the access buckets",
    () => openNatsAccess({ nc, node, replicas }),
  );
  started.push(() => access.stop());
  const startedAt = Date.now();
  let presence: NatsPresence | undefined;
  const registry = await step("JetStream refused the node bucket", () =>
    NodeRegistry.start({
      nc,
      replicas,
      deadAfterMs: options.nodeTimeoutMs,
      describe: () => ({
        node,
        server: serverName,
        listen: options.listen ?? [],
        started: startedAt,
        clients: presence?.localSize ?? 0,
        version: VERSION,
      }),
      onError: (error) => log({ level: "warn", event: "cluster_heartbeat", error: error.message }),
      onRestart: (error) =>
        log({ level: "warn", event: "cluster_watch", what: "nodes", error: error.message }),
    }));
  started.push(() => registry.stop());
  const deaths = new DeadNodeLog(log, (lost) => registry.lastHeard(lost));
  const nicks = presence = await step(
    "JetStream refused the presence bucket",
    () =>
      NatsPresence.start({
        nc,
        registry,
        replicas,
        onError: (error, what) => dropped(error, "cluster_presence", what),
        onExpired: (nick, lost) => deaths.dropped(nick, lost),
      }),
  );
  // Bounded (cluster_stop.ts): with NATS gone every part would wait on a timeout, in turn.
  const close = async () => {
    const up = link.up;
    const { unfinished, rest } = await stopInOrder([
      { what: "nick_records", stop: () => nicks.stop() },
      { what: "node_record", stop: () => registry.stop() },
      { what: "history_writes", stop: () => history.settled() },
      { what: "stream_reader", stop: () => roomLog.stop() },
      { what: "access_watches", stop: () => access.stop() },
      {
        what: "drain",
        stop: () => {
          link.stop(); // A clean stop is no lost link.
          return nc.drain().catch(() => nc.close());
        },
      },
    ], up ? CLUSTER_STOP_WAIT_MS : 0);
    if (unfinished.length > 0) {
      link.stop();
      await nc.close().catch(() => {});
      log({
        level: "warn",
        event: "cluster_stop",
        skipped: unfinished.join(","),
        detail: up
          ? `NATS did not answer within ${CLUSTER_STOP_WAIT_MS / 1000} s: closed without draining`
          : "the link to NATS is down: closed without telling it",
      });
      // Closing the connection fails most of what waited on it; a request with its own timer is
      // not waited for past 250 ms (the process exits after this anyway).
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([rest, new Promise((resolve) => (timer = setTimeout(resolve, 250)))]);
      clearTimeout(timer);
    }
    deaths.close();
    limited.close();
  };
  const hubOptions: Partial<HubOptions> = {
    roomLog,
    store: history,
    presence: nicks,
    ...access.hubOptions,
  };
  // While NATS is down: at once, from what this node knows (not after the reads' timeouts).
  const status = () =>
    link.up
      ? readClusterStatus(nc, link.state)
      : Promise.resolve(knownClusterStatus(link.state, registry.nodes()));
  return {
    roomLog,
    node,
    nc,
    link,
    clusterId,
    replicas,
    status,
    hubOptions,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The cluster's id: 12 hex digits of the SHA-256 of the room stream's
 * creation time. Every node reads the same stream, so the same id; another
 * cluster (or this one's stream made anew) has another.
 */
export async function clusterIdOf(nc: NatsConnection): Promise<string> {
  const jsm = await jetstreamManager(nc, { timeout: 1_000 }); // Tried again (see settleStream).
  const info = await jsm.streams.info(ROOM_STREAM);
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${ROOM_STREAM} ${info.created}`),
  );
  return [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Makes sure the room stream exists and that the NATS server this node
 * reached answers for it, asking with a 1 s timeout: just after NATS
 * started or another node created the stream, a request can go unanswered
 * (measured: no answer within 15 s), and a short timeout tries again sooner;
 * then that a probe published through it is stored.
 */
async function settleStream(nc: NatsConnection, replicas: number): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: 1_000 });
  await streamInfoOrAdd(jsm, {
    name: ROOM_STREAM,
    subjects: [`${ROOM_SUBJECT_PREFIX}.>`],
    num_replicas: replicas,
  });
  await jsm.streams.info(ROOM_STREAM);
  // A stored write before listening: an answered `info` does not prove that a publish through
  // this NATS server reaches a stream leader. One with no leader yet (an election under way) or
  // whose interest has not reached this server fails with "jetstream is not enabled" (no
  // responders). The room log's readers skip the gate's probe subject (one sequence number).
  await jetstream(nc).publish(`${ROOM_SUBJECT_PREFIX}.!probe`, "", { timeout: 1_000 });
}

/** The retention flags as the stream's limits; a refusal is logged, the old limits stay. */
async function applyLimits(
  nc: NatsConnection,
  limits: StreamLimits,
  log: Log,
  ready: (start: () => Promise<boolean>) => Promise<boolean>,
): Promise<void> {
  try {
    if (await ready(() => applyStreamLimits(nc, limits, undefined, 1_000))) {
      log({ level: "info", event: "cluster_limits", ...streamLimitFigures(limits) });
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
