/**
 * The names a cluster's nodes agree on: the JetStream stream of the rooms,
 * the KV buckets, the subjects nodes talk to each other on, and what a node
 * says about itself in the node bucket ({@linkcode NodeRecord}). One module,
 * so the room log, presence, access, `/cluster` and `chat-server cluster
 * status` cannot disagree about a name.
 *
 * @module
 */

/** The stream holding every room's events (one subject per room). */
export const ROOM_STREAM = "LANCHAT_ROOMS";

/** The KV bucket of live nodes: key = node name, value = {@linkcode NodeRecord}. */
export const NODES_BUCKET = "LANCHAT_NODES";

/** The KV bucket of nick ownership across the cluster (presence). */
export const NICKS_BUCKET = "LANCHAT_NICKS";

/** The KV bucket of nick registrations. */
export const REGISTRATIONS_BUCKET = "LANCHAT_REGISTRATIONS";

/** The KV bucket of bans. */
export const BANS_BUCKET = "LANCHAT_BANS";

/** The KV bucket of mutes. */
export const MUTES_BUCKET = "LANCHAT_MUTES";

/** The subject prefix of messages addressed to one node: `lanchat.node.<node>.<verb>`. */
export const NODE_SUBJECT_PREFIX = "lanchat.node";

/** The subject for `verb` messages addressed to `node`. */
export function nodeSubject(node: string, verb: string): string {
  return `${NODE_SUBJECT_PREFIX}.${node}.${verb}`;
}

/** A node's name: the server's name made subject-safe, and 8 random hex digits. */
export function nodeName(serverName: string, random: string = crypto.randomUUID()): string {
  const safe = serverName.normalize("NFKD").replace(/[^A-Za-z0-9_-]+/g, "-").replace(
    /^-+|-+$/g,
    "",
  ).slice(0, 32) || "lanchat";
  return `${safe}-${random.replaceAll("-", "").slice(0, 8)}`;
}

/** What a node says about itself in {@linkcode NODES_BUCKET}, refreshed by its heartbeat. */
export interface NodeRecord {
  /** The node's name (also its key). */
  node: string;
  /** The server name it was started with (`--name`). */
  server: string;
  /** Where clients reach it: `host:port` of each listener. */
  listen: string[];
  /** When it started, ms since the epoch. */
  started: number;
  /** When it last refreshed this record, ms since the epoch. */
  seen: number;
  /** Members connected to it. */
  clients: number;
  /** lanchat's version. */
  version: string;
}

/** A {@linkcode NodeRecord} from a KV value, or undefined when it is not one. */
export function parseNodeRecord(value: unknown): NodeRecord | undefined {
  const r = value as Partial<NodeRecord> | null;
  if (
    typeof r !== "object" || r === null || typeof r.node !== "string" ||
    typeof r.server !== "string" || !Array.isArray(r.listen) ||
    !r.listen.every((l) => typeof l === "string") || typeof r.started !== "number" ||
    typeof r.seen !== "number" || typeof r.clients !== "number" || typeof r.version !== "string"
  ) return undefined;
  return {
    node: r.node,
    server: r.server,
    listen: r.listen,
    started: r.started,
    seen: r.seen,
    clients: r.clients,
    version: r.version,
  };
}

/** The KV bucket of room topics (key: the room's subject token), which outlive the stream's limits. */
export const TOPICS_BUCKET = "LANCHAT_TOPICS";
