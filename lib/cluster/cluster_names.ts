/**
 * The names a cluster's nodes agree on: the JetStream stream of the rooms,
 * the KV buckets, the subjects nodes talk to each other on, and what a node
 * says about itself in the node bucket ({@linkcode NodeRecord}). One module,
 * so the room log, presence, access, `/cluster` and `chat-server cluster
 * status` cannot disagree about a name.
 *
 * @module
 */

import { natsNodeRecord } from "./nats_input.ts";

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

/** The KV bucket of shared files' records: key = file id, value = the `FileRecord`. */
export const FILES_BUCKET = "LANCHAT_FILES";

/** The object store of shared files' content: one object per SHA-256 (its stream `OBJ_LANCHAT_FILES`). */
export const FILES_OBJECT_STORE = "LANCHAT_FILES";

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

/**
 * A {@linkcode NodeRecord} from a KV value, checked and cleaned
 * (nats_input.ts: listeners as host:port, texts without escapes, numbers
 * finite), or undefined when it is not one.
 */
export function parseNodeRecord(value: unknown): NodeRecord | undefined {
  try {
    return natsNodeRecord(value);
  } catch {
    return undefined;
  }
}

/** The KV bucket of room topics (key: the room's subject token), which outlive the stream's limits. */
export const TOPICS_BUCKET = "LANCHAT_TOPICS";

/** How often a node refreshes its {@linkcode NodeRecord} (its heartbeat), in ms. */
export const NODE_HEARTBEAT_MS = 2_000;

/**
 * After how long without a heartbeat a node counts as dead, in ms: the
 * survivors then free its nicks and announce its members' leaves. Longer
 * than a KV stream's leader election (4 to 9 s measured), so that an
 * election does not pass for the death of every node.
 */
export const NODE_DEAD_AFTER_MS = 12_000;

/** The `max_age` of {@linkcode NODES_BUCKET}: a dead node's record is gone after it, in ms. */
export const NODE_RECORD_TTL_MS = 30_000;
