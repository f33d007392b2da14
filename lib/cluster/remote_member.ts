/**
 * A member of another node, as this node holds it: a {@linkcode Member}
 * whose sink sends direct messages and notices to its node over core NATS
 * (`lanchat.node.<node>.dm`), and whose disconnect asks its node to do it
 * (`lanchat.node.<node>.kick`). Its room events reach it through its own
 * node, which reads the same room log.
 *
 * @module
 */

import { type Msg, type NatsConnection, RequestError } from "@nats-io/transport-node";
import { ChatError } from "../core/errors.ts";
import type { ByeEvent, ChatEvent } from "../core/events.ts";
import { Member, type MemberSink } from "../core/member.ts";
import { foldNick } from "../core/nick.ts";
import { nodeSubject } from "./cluster_names.ts";
import { isLeaveReason, type NickRecord } from "./nick_record.ts";
import type { PresenceRoster } from "../core/state/presence.ts";

/** The member `record` describes, on its node, reached over `nc`; `id` is negative (not a hub's). */
export function remoteMember(nc: NatsConnection, id: number, record: NickRecord): Member {
  const node = record.node;
  const sink: MemberSink = {
    deliver(event: ChatEvent) {
      if (event.type !== "dm" && event.type !== "notice") return;
      nc.publish(nodeSubject(node, "dm"), JSON.stringify({ to: member.foldedNick, event }));
    },
    end() {},
  };
  const member = new Member(id, record.nick, foldNick(record.nick), record.client, sink, false);
  member.fingerprint = record.fingerprint;
  member.away = record.away; // Its rooms take it when it is placed (even before the hub binds).
  member.remote = {
    node,
    disconnect: (reason, message, bye, banned) =>
      nc.publish(
        nodeSubject(node, "kick"),
        JSON.stringify({ to: member.foldedNick, reason, message, bye, banned }),
      ),
  };
  return member;
}

/** The goodbye of a member whose nick another node took. */
export const NICK_LOST_BYE: ByeEvent = {
  type: "bye",
  reason: "dropped",
  message: "Your nick was taken on another server of this cluster",
};

/** The error of a nick claim NATS could not answer. */
export function unavailable(cause: unknown): ChatError {
  return new ChatError("store_error", "The cluster cannot claim the nick now; try again", {
    cause,
  });
}

/** JSON from a NATS message, or undefined. */
export function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

/** Delivers a direct message or notice another node sent to `to`, a member here (`local`). */
export function onDirect(data: Uint8Array, local: (to: unknown) => Member | undefined): void {
  const message = parseJson(data) as { to?: unknown; event?: ChatEvent } | undefined;
  const event = message?.event;
  const member = local(message?.to);
  if (!member || !event || (event.type !== "dm" && event.type !== "notice")) return;
  member.sink.deliver(event);
}

/**
 * Disconnects a member here on another node's request (an operator's kick,
 * ban or mute); answers a request with a reply subject (so that asking
 * tells whether this node is still there: {@linkcode nodeGone}).
 */
export function onKick(
  msg: Msg,
  local: (to: unknown) => Member | undefined,
  roster: PresenceRoster | undefined,
): void {
  if (msg.reply) msg.respond();
  const message = parseJson(msg.data) as
    | { to?: unknown; reason?: unknown; message?: unknown; bye?: ByeEvent; banned?: unknown }
    | undefined;
  const member = local(message?.to);
  if (!member || !message || !isLeaveReason(message.reason)) return;
  const text = typeof message.message === "string" ? message.message : undefined;
  const bye = message.bye?.type === "bye" ? message.bye : undefined;
  roster?.disconnect(member, message.reason, text, bye, message.banned === true);
}

/** Why a member of a node that went away left. */
export const GONE = "its server stopped answering";

/**
 * Whether nothing listens on `node`'s subjects any more (its process is
 * gone): NATS answers "no responders" at once. A node that answers, or a
 * question that times out, is not gone.
 */
export async function nodeGone(nc: NatsConnection, node: string): Promise<boolean> {
  try {
    await nc.request(nodeSubject(node, "kick"), "{}", { timeout: 2_000 });
    return false;
  } catch (error) {
    return error instanceof RequestError && error.isNoResponders();
  }
}
