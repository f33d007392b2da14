/**
 * What the {@linkcode NICKS_BUCKET} holds: one key per nick online anywhere
 * in the cluster (`nick.<base64url of the folded nick>`), whose value says
 * which node holds it and what others see of its member ({@linkcode NickRecord}).
 *
 * @module
 */

import type { KvEntry } from "@nats-io/kv";
import type { LeaveReason } from "../core/events.ts";
import type { Member } from "../core/member.ts";
import { roomSubject } from "./room_subject.ts";
import { foldNick } from "../core/nick.ts";
import { NatsInputError, natsNickRecord } from "./nats_input.ts";
import type { HeldSkeletons } from "./nick_skeletons.ts";

/** The key of a folded nick in the nick bucket. */
export function nickKey(folded: string): string {
  return roomSubject(folded, "nick");
}

/** A nick held by a member of some node. */
export interface NickRecord {
  /** The node the member is connected to. */
  node: string;
  /** The nick as shown. */
  nick: string;
  /** When the node took the nick, ms since the epoch (its clock). */
  since: number;
  /** The member's software. */
  client: string;
  /** The fingerprint of its key, if it proved one. */
  fingerprint?: string;
  /** Its address (shown to operators by `/whois`). */
  address?: string;
  /** Whether it is an operator. */
  operator?: boolean;
  /** Its away message. */
  away?: string;
  /** The rooms it is in, as shown. */
  rooms: string[];
  /** The folded nick it had before a rename (so other nodes show a nick change). */
  was?: string;
  /**
   * Set while the node still claims the nick's look-alike skeleton keys: not
   * online yet, so other nodes list no one under it (a look-alike claimed
   * at the same instant elsewhere is not refused by a nick that may lose).
   */
  claiming?: true;
}

/** The record a claim writes first: `claiming` until its look-alike keys are held. */
export function claimRecord(
  node: string,
  nick: string,
  since: number,
  member?: Member,
  fingerprint?: string,
): NickRecord {
  const was = member?.foldedNick;
  return {
    node,
    nick,
    since,
    client: member?.client ?? "",
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    rooms: member ? [...member.rooms.values()].map((room) => room.name) : [],
    ...(was !== undefined ? { was } : {}),
    claiming: true,
  };
}

/** The record of a member here, `since` it took the nick. */
export function recordOf(member: Member, node: string, since: number, was?: string): NickRecord {
  return {
    node,
    nick: member.nick,
    since,
    client: member.client,
    ...(member.fingerprint !== undefined ? { fingerprint: member.fingerprint } : {}),
    ...(member.address !== undefined ? { address: member.address } : {}),
    ...(member.operator ? { operator: true } : {}),
    ...(member.away !== undefined ? { away: member.away } : {}),
    rooms: [...member.rooms.values()].map((room) => room.name),
    ...(was !== undefined ? { was } : {}),
  };
}

/**
 * A {@linkcode NickRecord} from a KV value (checked and cleaned as a
 * client's hello: nats_input.ts), or undefined when it is not one.
 */
export function parseNickRecord(value: unknown): NickRecord | undefined {
  try {
    return natsNickRecord(value);
  } catch {
    return undefined;
  }
}

/**
 * The {@linkcode NickRecord} of a KV entry, or undefined when it holds none
 * (a delete). A record that is no node's, or stored under another nick's
 * key, is `report`ed and taken for none.
 */
export function parseNickEntry(
  entry: KvEntry,
  report?: (error: Error, what: string) => void,
): NickRecord | undefined {
  if (entry.operation !== "PUT") return undefined;
  try {
    const record = natsNickRecord(entry.json());
    if (nickKey(foldNick(record.nick)) !== entry.key) {
      throw new NatsInputError(`nick record of "${record.nick}" under another key`);
    }
    return record;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    report?.(new NatsInputError(`${entry.key}: ${message}`), "nick record");
    return undefined;
  }
}

const LEAVE_REASONS: readonly string[] = [
  "part",
  "quit",
  "timeout",
  "dropped",
  "shutdown",
  "kicked",
] satisfies LeaveReason[];

/** Whether `value` is a {@linkcode LeaveReason} (from another node's request). */
export function isLeaveReason(value: unknown): value is LeaveReason {
  return typeof value === "string" && LEAVE_REASONS.includes(value);
}

/** A nick key this node holds for a member of its own (NatsPresence's state). */
export interface Held {
  /** The nick key. */
  key: string;
  /** The key's revision this node last wrote. */
  revision: number;
  /** Since when the nick is held, ms since the epoch. */
  since: number;
  /** The folded nick it was renamed from, while the old key is being freed. */
  was?: string;
  /** The look-alike keys held with it. */
  skeletons?: HeldSkeletons;
  /** The writes of this key, in order. */
  chain: Promise<void>;
  /** Whether an update of the record is queued on the chain. */
  queued: boolean;
}
