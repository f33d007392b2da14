/**
 * Operators' commands: `/kick`, `/ban`, `/unban`, `/bans`, `/mute`,
 * `/unmute`. The hub checks the `op` mark before any of them runs.
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import { askAccess } from "../state/access_store.ts";
import type { ChatServices } from "../chat_services.ts";
import type { Command } from "../command_registry.ts";
import type { BanEntry } from "../events.ts";
import type { Member } from "../member.ts";
import { MAX_MUTE_MINUTES, Mutes } from "../mutes.ts";
import { foldNick } from "../nick.ts";
import { excerpt } from "../sanitize.ts";
import { onlineMember } from "./identity.ts";
import { noteMuteTold } from "../access_follow.ts";

/** `/kick <nick> [reason]`: disconnects a member, telling it why. */
export const KICK_COMMAND: Command = {
  name: "kick",
  usage: "<nick> [reason]",
  help: "Disconnect a member, telling it why",
  minArgs: 1,
  maxArgs: 2,
  rest: true,
  op: true,
  run: ({ chat, member: op }, [nick, reason]) => {
    const target = victim(chat, op, nick, "kick");
    eject(chat, target, op, reason, false);
    chat.notice(op, `Kicked ${target.nick}`);
  },
};

/**
 * `/ban <nick> [--key-only] [reason]`: bans a member's key (if it proved
 * one) and its address, keeps the bans in the store, and disconnects
 * everyone they match; `--key-only` bans the key alone.
 */
export const BAN_COMMAND: Command = {
  name: "ban",
  usage: "<nick> [--key-only] [reason]",
  help:
    "Ban a member's key and IP address (kept across restarts) and disconnect everyone they match; --key-only bans the key alone",
  minArgs: 1,
  maxArgs: 2,
  rest: true,
  flags: ["--key-only"],
  op: true,
  run: async ({ chat, member: op, flags }, [nick, reason]) => {
    const fingerprintOnly = flags.has("--key-only");
    const target = victim(chat, op, nick, "ban");
    if (fingerprintOnly && !target.fingerprint) {
      throw new ChatError(
        "bad_args",
        `${target.nick} has no key to ban (a text client)${
          target.address
            ? `; without --key-only the ban is by address ${target.address}, and shuts out everyone there`
            : ""
        }`,
      );
    }
    const clean = reason ? chat.cleanReason(reason) || undefined : undefined;
    const entries: BanEntry[] = [];
    const base = {
      nick: target.nick,
      by: op.nick,
      ts: chat.now(),
      ...(clean ? { reason: clean } : {}),
    };
    if (target.fingerprint) entries.push({ kind: "key", value: target.fingerprint, ...base });
    if (target.address && !fingerprintOnly) {
      entries.push({ kind: "ip", value: target.address, ...base });
    }
    if (entries.length === 0) {
      throw new ChatError(
        "bad_args",
        `${target.nick} has neither a key nor an address to ban; /kick it`,
      );
    }
    for (const entry of entries) await askAccess(() => chat.access.addBan(entry));
    const others: Member[] = [];
    for (const other of [...chat.presence.all()]) {
      if (other.operator) continue;
      const matches = entries.some((e) =>
        e.kind === "key" ? e.value === other.fingerprint : e.value === other.address
      );
      if (!matches) continue;
      eject(chat, other, op, clean, true);
      if (other !== target) others.push(other);
    }
    const what = entries.map((e) => `${e.kind === "key" ? "key" : "IP"} ${e.value}`);
    chat.notice(
      op,
      `Banned ${target.nick}: ${what.join(" and ")}${
        others.length ? `; that also disconnected ${countOthers(others)}` : ""
      }`,
    );
  },
};

/** `/unban <SHA256:...|ip>`: lifts a ban by fingerprint or address. */
export const UNBAN_COMMAND: Command = {
  name: "unban",
  usage: "<SHA256:...|ip>",
  help: "Lift a ban on a key or an IP address (see /bans)",
  minArgs: 1,
  maxArgs: 1,
  rest: false,
  op: true,
  run: async ({ chat, member: op }, [target]) => {
    const kind = target.startsWith("SHA256:") ? "key" : "ip";
    const removed = await askAccess(() => chat.access.removeBan(kind, target));
    if (!removed) {
      throw new ChatError("bad_args", `There is no ban on "${excerpt(target)}"; /bans lists them`);
    }
    chat.notice(op, `Unbanned ${kind === "key" ? "key" : "IP"} ${target}`);
  },
};

/** `/bans`: every ban, oldest first. */
export const BANS_COMMAND: Command = {
  name: "bans",
  usage: "",
  help: "List the bans",
  minArgs: 0,
  maxArgs: 0,
  rest: false,
  op: true,
  run: async ({ chat, reply }) => {
    reply({ type: "bans", bans: await askAccess(() => chat.access.bans()) });
  },
};

/**
 * `/mute <nick> [--key-only] [minutes]`: refuses a member's messages for a
 * while or until `/unmute`, by its key and its address, so reconnecting does
 * not escape it; `--key-only` mutes the key alone. A mute by address
 * silences everyone connected from it (one NAT, one machine), operators
 * excepted, and the operator is told who.
 */
export const MUTE_COMMAND: Command = {
  name: "mute",
  usage: "<nick> [--key-only] [minutes]",
  help:
    "Refuse a member's messages for a while, or until /unmute: by key and IP address (everyone there but operators), or by key alone with --key-only",
  minArgs: 1,
  maxArgs: 2,
  rest: false,
  flags: ["--key-only"],
  op: true,
  run: async ({ chat, member: op, flags }, [nick, minutes]) => {
    const fingerprintOnly = flags.has("--key-only");
    const target = victim(chat, op, nick, "mute");
    let until = Infinity;
    if (minutes !== undefined) {
      const n = Number(minutes);
      if (!/^\d+$/.test(minutes) || n < 1 || n > MAX_MUTE_MINUTES) {
        throw new ChatError(
          "bad_args",
          `Minutes "${excerpt(minutes)}" must be a whole number from 1 to ${MAX_MUTE_MINUTES}`,
        );
      }
      until = chat.now() + n * 60_000;
    }
    if (fingerprintOnly && !target.fingerprint) {
      throw new ChatError(
        "bad_args",
        `${target.nick} has no key to mute (a text client)${
          target.address
            ? `; without --key-only it is muted by address ${target.address}, with everyone there`
            : ""
        }`,
      );
    }
    const ids = Mutes.idsOf(target, fingerprintOnly);
    // Who else the new entries catch: other sessions of the key, and everyone
    // else behind the address (but never an operator).
    const others = [...chat.presence.all()].filter((other) =>
      other !== target && Mutes.idsOf(other, other.operator).some((id) => ids.includes(id))
    );
    await keepMutes(() => chat.mutes.add(ids, until, op.nick));
    const span = minutes === undefined ? "until unmuted" : `for ${Number(minutes)} minute(s)`;
    tellLocal(chat, target, `You were muted by ${op.nick} ${span}`, until);
    for (const other of others) {
      const shared = other.fingerprint !== undefined && other.fingerprint === target.fingerprint
        ? "by key, and you use the same key"
        : "by address, and you connect from the same address";
      tellLocal(
        chat,
        other,
        `You were muted by ${op.nick} ${span}: ${target.nick} was muted ${shared}`,
        until,
      );
    }
    const how = fingerprintOnly
      ? "by key only"
      : target.fingerprint && target.address
      ? `by key and by address ${target.address}`
      : target.address
      ? `by address ${target.address}`
      : target.fingerprint
      ? "by key"
      : "for this connection only";
    chat.notice(
      op,
      `Muted ${target.nick} ${span}, ${how}${
        others.length ? `; that also mutes ${countOthers(others)}` : ""
      }`,
    );
  },
};

/**
 * `/unmute <nick>`: lifts a mute of the member's key and address, so the
 * others on that address may talk again too, and are told so.
 */
export const UNMUTE_COMMAND: Command = {
  name: "unmute",
  usage: "<nick>",
  help: "Let a muted member talk again",
  minArgs: 1,
  maxArgs: 1,
  rest: false,
  op: true,
  run: async ({ chat, member: op }, [nick]) => {
    const target = onlineMember(chat.presence.find(foldNick(nick)), nick);
    if (chat.mutes.until(target) === undefined) {
      throw new ChatError("bad_args", `${target.nick} is not muted`);
    }
    const muted = [...chat.presence.all()].filter((other) =>
      other !== target && chat.mutes.until(other) !== undefined
    );
    await keepMutes(() => chat.mutes.lift(target, op.nick));
    const freed = muted.filter((other) => chat.mutes.until(other) === undefined);
    tellLocal(chat, target, `You were unmuted by ${op.nick}`, 0);
    for (const other of freed) tellLocal(chat, other, `You were unmuted by ${op.nick}`, 0);
    chat.notice(
      op,
      `Unmuted ${target.nick}${freed.length ? `; that also unmutes ${countOthers(freed)}` : ""}`,
    );
  },
};

/** Tells a member of this node; a member of another node hears it from its own node's mutes. */
function tellLocal(chat: ChatServices, member: Member, text: string, state: number): void {
  if (member.remote) return;
  chat.notice(member, text);
  noteMuteTold(member, state); // So a change heard later from elsewhere is not taken as told.
}

/** Waits for a mute store's write; a failing store refuses the command as `store_error`. */
async function keepMutes(write: () => void | Promise<void>): Promise<void> {
  try {
    await write();
  } catch (cause) {
    throw new ChatError("store_error", "Mutes cannot be changed right now; try again later", {
      cause,
    });
  }
}

/** The online member an operator command acts on: not the operator, not another operator. */
function victim(chat: ChatServices, op: Member, nick: string, what: string): Member {
  const target = onlineMember(chat.presence.find(foldNick(nick)), nick);
  if (target === op) throw new ChatError("bad_args", `You cannot ${what} yourself`);
  if (target.operator) {
    throw new ChatError("bad_args", `${target.nick} is an operator; operators cannot be ${what}ed`);
  }
  return target;
}

/**
 * Disconnects a member on an operator's word; its rooms see `leave`
 * `kicked` (with code `banned` for a ban).
 */
function eject(
  chat: ChatServices,
  target: Member,
  op: Member,
  reason: string | undefined,
  banned: boolean,
): void {
  const clean = reason ? chat.cleanReason(reason) || undefined : undefined;
  chat.disconnect(target, "kicked", `by ${op.nick}${clean ? `: ${clean}` : ""}`, {
    type: "bye",
    reason: "kicked",
    ...(banned ? { code: "banned" as const } : {}),
    message: `You were ${banned ? "banned" : "kicked"} by ${op.nick}${clean ? `: ${clean}` : ""}`,
  }, banned);
}

/** `2 others: eve, cy`, naming at most ten (`... and 5 more`). */
function countOthers(others: Member[]): string {
  const shown = others.slice(0, 10).map((other) => other.nick).join(", ");
  const more = others.length > 10 ? ` and ${others.length - 10} more` : "";
  return `${others.length} other${others.length === 1 ? "" : "s"}: ${shown}${more}`;
}
