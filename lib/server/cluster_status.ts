/**
 * What an operator asks about a cluster: the nodes (from the node bucket
 * their heartbeats keep), where they listen and how many clients each has,
 * this connection to NATS, and the state of the room stream. Shared by
 * `/cluster` (an operator's command on a node) and `chat-server cluster
 * status` (from any machine that reaches NATS).
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import {
  type NodeRecord,
  NODES_BUCKET,
  parseNodeRecord,
  ROOM_STREAM,
} from "../cluster/cluster_names.ts";
import type { NatsLinkState } from "../cluster/nats_link.ts";

/** The room stream as JetStream reports it. */
export interface StreamState {
  /** Messages and bytes stored, first and last sequence. */
  messages: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  /** Configured replicas. */
  replicas: number;
  /** Whether JetStream runs clustered (false: one NATS server, no leader to elect). */
  clustered: boolean;
  /** The NATS server leading the stream (undefined: none now, e.g. during an election). */
  leader?: string;
  /** The other copies: current or behind by `lag` operations, offline or not. */
  peers: { name: string; current: boolean; offline: boolean; lag: number }[];
}

/** Everything `/cluster` and `cluster status` show. */
export interface ClusterStatus {
  /** The NATS link of whoever asks. */
  link: NatsLinkState;
  /** The node records, by node name; empty when no node wrote one yet. */
  nodes: NodeRecord[];
  /** Why the nodes could not be read, when they could not. */
  nodesError?: string;
  /** The room stream, or why it could not be read. */
  stream?: StreamState;
  streamError?: string;
  /** The nodes are as last heard before the link went down (not read now). */
  lastHeard?: boolean;
}

/**
 * The status while the link is down, at once, from what this node knows:
 * the link, and the nodes as last heard (`nodes`); the stream is not read.
 */
export function knownClusterStatus(link: NatsLinkState, nodes: NodeRecord[]): ClusterStatus {
  const since = new Date(link.since).toISOString().slice(11, 19);
  return {
    link,
    nodes: [...nodes].sort((a, b) => a.node.localeCompare(b.node)),
    lastHeard: true,
    streamError: `the link to NATS is down since ${since} UTC`,
  };
}

/** Reads the nodes and the stream through `nc` (each part on its own: one failing still shows the other). */
export async function readClusterStatus(
  nc: NatsConnection,
  link: NatsLinkState,
): Promise<ClusterStatus> {
  const status: ClusterStatus = { link, nodes: [] };
  const [nodes, stream] = await Promise.allSettled([readNodes(nc), readStream(nc)]);
  if (nodes.status === "fulfilled") status.nodes = nodes.value;
  else {
    status.nodesError = /stream not found|bucket not found/i.test(message(nodes.reason))
      ? "no node has written its heartbeat yet"
      : message(nodes.reason);
  }
  if (stream.status === "fulfilled") status.stream = stream.value;
  else status.streamError = message(stream.reason);
  return status;
}

async function readNodes(nc: NatsConnection): Promise<NodeRecord[]> {
  const kv = await new Kvm(nc).open(NODES_BUCKET);
  const records: NodeRecord[] = [];
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== "PUT") continue;
    let value: unknown;
    try {
      value = entry.json();
    } catch {
      continue;
    }
    const record = parseNodeRecord(value);
    if (record) records.push(record);
  }
  return records.sort((a, b) => a.node.localeCompare(b.node));
}

async function readStream(nc: NatsConnection): Promise<StreamState> {
  const jsm = await jetstreamManager(nc, { timeout: 3000 });
  const info = await jsm.streams.info(ROOM_STREAM);
  return {
    messages: info.state.messages,
    bytes: info.state.bytes,
    firstSeq: info.state.first_seq,
    lastSeq: info.state.last_seq,
    replicas: info.config.num_replicas,
    clustered: info.cluster?.name !== undefined || (info.cluster?.replicas?.length ?? 0) > 0,
    ...(info.cluster?.leader ? { leader: info.cluster.leader } : {}),
    peers: (info.cluster?.replicas ?? []).map((r) => ({
      name: r.name,
      current: r.current,
      offline: r.offline === true,
      lag: r.lag ?? 0,
    })),
  };
}

/**
 * The status as lines for a person: one line for the link, one for the
 * stream, one per node. `self` marks the node that answers `/cluster`.
 */
export function formatClusterStatus(
  status: ClusterStatus,
  now: number = Date.now(),
  self?: string,
): string[] {
  const { link } = status;
  const server = link.serverName ? `${link.server} (${link.serverName})` : link.server;
  const lines = [
    `NATS: ${link.state} ${link.state === "connected" ? "to" : "(last"} ${server}${
      link.state === "connected" ? "" : ")"
    } for ${ago(now - link.since)}, ${link.reconnects} reconnect(s)`,
  ];
  const s = status.stream;
  if (s) {
    const peers = s.peers.map((p) =>
      `${p.name} ${p.offline ? "offline" : p.current ? "current" : `behind ${p.lag}`}`
    );
    lines.push(
      `Stream ${ROOM_STREAM}: ${s.messages} message(s), ${
        size(s.bytes)
      }, sequence ${s.firstSeq}..${s.lastSeq}, ` +
        `${s.replicas} replica(s), ${leaderText(s)}` +
        (peers.length > 0 ? `; ${peers.join(", ")}` : ""),
    );
  } else lines.push(`Stream ${ROOM_STREAM}: cannot read it (${status.streamError})`);
  if (status.nodesError !== undefined) {
    lines.push(`Nodes: cannot read ${NODES_BUCKET} (${status.nodesError})`);
  } else {
    const clients = status.nodes.reduce((sum, n) => sum + n.clients, 0);
    const when = status.lastHeard ? " (as last heard, before the link went down)" : "";
    lines.push(`Nodes: ${status.nodes.length}, ${clients} client(s) in all${when}`);
    for (const n of status.nodes) {
      lines.push(
        `  ${n.node}${n.node === self ? " (this node)" : ""}: ${n.clients} client(s), ` +
          `listening on ${n.listen.join(" ") || "?"}, up ${ago(now - n.started)}, ` +
          `seen ${ago(now - n.seen)} ago, lanchat ${n.version}`,
      );
    }
  }
  return lines;
}

function leaderText(stream: StreamState): string {
  if (stream.leader) return `leader ${stream.leader}`;
  return stream.clustered ? "NO LEADER (electing one)" : "one NATS server";
}

/** A duration for people: `4 s`, `12 min`, `3 h`, `2 d`. */
function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

function size(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${(bytes / 1024).toFixed(1)} KiB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The line a node prints at start: its name, the NATS server it reached,
 * the stream's replicas and leader, and the other nodes seen.
 */
export function clusterStartLine(node: string, status: ClusterStatus): string {
  const { link, stream } = status;
  const server = link.serverName ? `${link.server} (${link.serverName})` : link.server;
  const streamPart = stream
    ? `stream ${ROOM_STREAM} ${stream.replicas} replica(s), ${
      leaderText(stream)
    }, ${stream.messages} message(s)`
    : `stream ${ROOM_STREAM} unreadable (${status.streamError})`;
  const others = status.nodes.filter((n) => n.node !== node).length;
  return `cluster node ${node}: NATS ${link.state} to ${server}; ${streamPart}; ` +
    `${others} other node(s) seen`;
}
