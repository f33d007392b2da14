/**
 * A member of another node, as this node holds it: a {@linkcode Member}
 * whose sink sends direct messages and notices to its node over core NATS
 * (`lanchat.node.<node>.dm`), and whose disconnect asks its node to do it
 * (`lanchat.node.<node>.kick`). Its room events reach it through its own
 * node, which reads the same room log.
 *
 * @module
 */

import { type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { ChatError } from "../core/errors.ts";
import type { ByeEvent, ChatEvent } from "../core/events.ts";
import { Member, type MemberSink } from "../core/member.ts";
import { foldNick } from "../core/nick.ts";
import { nodeSubject } from "./cluster_names.ts";
import type { NickRecord } from "./nick_record.ts";
import { natsDirect, NatsInputError, type NatsKick, natsKick } from "./nats_input.ts";
import type { PresenceRoster } from "../core/state/presence.ts";

/** A member of another node, as the nick bucket says. */
export interface Remote {
  /** The member, in this node's presence and rooms. */
  member: Member;
  /** Its node. */
  node: string;
  /** The revision of its nick key. */
  revision: number;
  /** Its last record's rooms: placed when the hub binds. */
  rooms: readonly string[];
}

/**
 * The member `record` describes, on its node, reached over `nc` from this
 * node (`self`); `id` is negative (not a hub's). Only direct messages go to
 * it: its own node tells it everything else (a server notice from here is
 * refused there).
 */
export function remoteMember(
  nc: NatsConnection,
  id: number,
  record: NickRecord,
  self = "",
): Member {
  const node = record.node;
  const sink: MemberSink = {
    deliver(event: ChatEvent) {
      if (event.type !== "dm") return;
      const message = { to: member.foldedNick, node: self, event };
      nc.publish(nodeSubject(node, "dm"), JSON.stringify(message));
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
  return new ChatError(
    "cluster_unavailable",
    "The cluster cannot take a nick right now (NATS is not answering); try again in a moment",
    { cause },
  );
}

/** JSON from a NATS message, or undefined. */
export function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

/** Where a member's nick is held (the nick bucket's view), for checking a direct message's sender. */
export interface DirectSenders {
  find(folded: string): Member | undefined;
}

/**
 * Delivers a direct message another node sent to `to`, a member here
 * (`local`): only a member's message (never a server notice), checked and
 * cleaned (nats_input.ts), from a member the nick bucket places on the
 * sending node. Anything else is dropped and `report`ed.
 */
export function onDirect(
  data: Uint8Array,
  local: (to: unknown) => Member | undefined,
  senders?: DirectSenders,
  report: (error: Error, what: string) => void = () => {},
): void {
  try {
    const { to, node, event } = natsDirect(parseJson(data));
    const member = local(to);
    if (!member) return;
    const sender = senders?.find(foldNick(event.from));
    if (senders && (sender?.remote?.node !== node || sender.nick !== event.from)) {
      throw new NatsInputError(`direct message: "${event.from}" is no member of node ${node}`);
    }
    if (event.to !== member.nick) throw new NatsInputError("direct message: not to its member");
    member.sink.deliver(event);
  } catch (error) {
    report(error instanceof Error ? error : new Error(String(error)), "direct message");
  }
}

/**
 * Disconnects a member here on another node's request (an operator's kick,
 * ban or mute). The request is checked and its texts cleaned (nats_input.ts); a bad one is
 * dropped and `report`ed.
 */
export function onKick(
  msg: Msg,
  local: (to: unknown) => Member | undefined,
  roster: PresenceRoster | undefined,
  report: (error: Error, what: string) => void = () => {},
): void {
  let kick: NatsKick;
  try {
    kick = natsKick(parseJson(msg.data));
  } catch (error) {
    return report(error instanceof Error ? error : new Error(String(error)), "kick");
  }
  const member = local(kick.to);
  if (member) roster?.disconnect(member, kick.reason, kick.message, kick.bye, kick.banned);
}

/** Why a member of a node that went away left. */
export const GONE = "its server stopped answering";

/**
 * Listens on this node's two subjects for its members: direct messages
 * from members of other nodes, and kicks by their operators. `roster` is
 * read at each kick (the hub binds it after presence starts).
 */
export function listenForMembers(
  nc: NatsConnection,
  node: string,
  local: (to: unknown) => Member | undefined,
  senders: DirectSenders,
  roster: () => PresenceRoster | undefined,
  report?: (error: Error, what: string) => void,
): Subscription[] {
  return [
    nc.subscribe(nodeSubject(node, "dm"), {
      callback: (_, m) => onDirect(m.data, local, senders, report),
    }),
    nc.subscribe(nodeSubject(node, "kick"), {
      callback: (_, m) => onKick(m, local, roster(), report),
    }),
  ];
}
