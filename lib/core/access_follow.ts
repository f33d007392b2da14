/**
 * What a hub does when registrations, bans or mutes change on another node
 * of a cluster: a ban disconnects this node's members it matches at once
 * (as `/ban` does on the node where it was typed), a mute or unmute is told
 * to this node's members it reaches, and a registration joins (or leaves)
 * the look-alike checks of nick claims. A store with no other nodes (memory,
 * SQLite) never calls it.
 *
 * @module
 */

import type { AccessChange, AccessStore } from "./state/access_store.ts";
import type { ChatServices } from "./chat_services.ts";
import type { BanEntry } from "./events.ts";
import { Member } from "./member.ts";
import { Mutes } from "./mutes.ts";
import type { MuteChange, MuteStore } from "./state/mute_store.ts";

/** Makes the hub behind `chat` act on changes its stores hear from elsewhere. */
export function followAccess(chat: ChatServices, access: AccessStore, mutes?: MuteStore): void {
  access.follow?.((change) => onAccessChange(chat, change));
  mutes?.follow?.((change) => onMuteChange(chat, change));
}

function onAccessChange(chat: ChatServices, change: AccessChange): void {
  if (change.kind === "registered") chat.claims.registered(change.registration);
  else if (change.kind === "unregistered") chat.claims.unregistered(change.registration);
  else for (const member of localMembers(chat)) banIfMatched(chat, member, change.ban);
}

/** Disconnects a member (never an operator) that a ban made elsewhere matches. */
function banIfMatched(chat: ChatServices, member: Member, ban: BanEntry): void {
  if (member.operator || member.gone) return;
  const matches = ban.kind === "key"
    ? ban.value === member.fingerprint
    : ban.value === member.address;
  if (!matches) return;
  const why = ban.reason ? `: ${ban.reason}` : "";
  chat.disconnect(member, "kicked", `by ${ban.by}${why}`, {
    type: "bye",
    reason: "kicked",
    code: "banned",
    message: `You were banned by ${ban.by}${why}`,
  }, true);
}

/**
 * What each member was last told of its mutes, by {@linkcode onMuteChange} or by this node's own
 * command ({@linkcode noteMuteTold}): muted until, or 0 (unmuted).
 */
const told = new WeakMap<Member, number>();

/** Notes what this node's own `/mute` or `/unmute` told a member (its end, or 0), as above. */
export function noteMuteTold(member: Member, state: number): void {
  told.set(member, state);
}

function onMuteChange(chat: ChatServices, change: MuteChange): void {
  const { entry, before } = change;
  const now = chat.now();
  const wasMuted = before !== undefined && before > now;
  const isMuted = entry.until > now;
  if (wasMuted === isMuted) return;
  const by = entry.by ? ` by ${entry.by}` : "";
  for (const member of localMembers(chat)) {
    if (!Mutes.idsOf(member, member.operator).includes(entry.id)) continue;
    // A mute of key and address comes as two changes: the member is told once.
    const state = isMuted ? entry.until : chat.mutes.until(member) === undefined ? 0 : -1;
    if (state < 0 || told.get(member) === state) continue;
    told.set(member, state);
    if (isMuted) {
      const span = entry.until === Infinity
        ? "until unmuted"
        : `for ${Math.ceil((entry.until - now) / 60_000)} minute(s)`;
      chat.notice(member, `You were muted${by} ${span}`);
    } else chat.notice(member, `You were unmuted${by}`);
  }
}

/** This node's own members (a cluster's presence may list members of other nodes too). */
function localMembers(chat: ChatServices): Member[] {
  return [...chat.presence.all()].filter((entry): entry is Member =>
    entry instanceof Member && !entry.remote
  );
}
