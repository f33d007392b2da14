/**
 * Commands about who a member is: `/nick`, `/register`, `/unregister`,
 * `/whois`, and `/quit`.
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import { askAccess, readAccess, type Registration } from "../state/access_store.ts";
import type { Command } from "../command_registry.ts";
import type { ChatServices } from "../chat_services.ts";
import type { NickEvent } from "../events.ts";
import type { Member } from "../member.ts";
import { foldNick, normalizeNick } from "../nick.ts";
import { REPLACED_BYE } from "../nick_claims.ts";
import { excerpt } from "../sanitize.ts";
import { NICK_WORD, QUIT_WORDS } from "./command_words.ts";

/** Most nicks one key (counted by its fingerprint) may register. */
export const MAX_NICKS_PER_FINGERPRINT = 10;

/** `/nick <nick>`: changes the nick; everyone sharing a room is told. */
export const NICK_COMMAND: Command = {
  name: NICK_WORD,
  usage: "<nick>",
  help: "Change your nick",
  minArgs: 1,
  maxArgs: 1,
  rest: false,
  run: ({ chat, member }, [raw]) => {
    chat.mutes.refuse(member, "your nick was not changed"); // A nick is text everyone sees.
    const nick = normalizeNick(raw, chat.maxNickLength);
    const folded = foldNick(nick);
    if (nick === member.nick) throw new ChatError("bad_args", `You are already "${nick}"`);
    chat.claims.claim(nick, folded, member.fingerprint, member);
    const reserved = chat.presence.reserve?.(nick, folded, member.fingerprint, member);
    if (!reserved) return rename(chat, member, nick, folded);
    return reserved.then(() => {
      if (member.gone) return chat.presence.release?.(folded);
      try {
        rename(chat, member, nick, folded);
      } catch (error) {
        chat.presence.release?.(folded);
        throw error;
      }
    });
  },
};

/** Gives `member` the nick `nick` (folded: `folded`), once it may have it; its rooms are told. */
function rename(chat: ChatServices, member: Member, nick: string, folded: string): void {
  const ghost = chat.claims.claim(nick, folded, member.fingerprint, member);
  if (ghost) chat.disconnect(ghost, "dropped", "replaced by a new connection", REPLACED_BYE);
  const old = member.nick;
  chat.presence.rename(member, () => {
    member.nick = nick;
    member.foldedNick = folded;
  });
  for (const room of member.rooms.values()) room.invalidate();
  const ts = chat.now();
  for (const [peer, rooms] of peersOf(member)) {
    const event: NickEvent = { type: "nick", ts, old, new: nick, rooms };
    peer.sink.deliver(event);
  }
}

/** `/register`: binds the member's nick to its key. */
export const REGISTER_COMMAND: Command = {
  name: "register",
  usage: "",
  help: "Bind your nick to your key, so that no other key can use it",
  minArgs: 0,
  maxArgs: 0,
  rest: false,
  run: async ({ chat, member }) => {
    const fingerprint = member.fingerprint;
    if (!fingerprint) {
      throw new ChatError(
        "key_required",
        "Only a client that proved a key can register a nick (chat-client does; nc and telnet cannot)",
      );
    }
    const existing = readAccess(() => chat.access.registration(member.foldedNick));
    if (existing?.fingerprint === fingerprint) {
      throw new ChatError("bad_args", `Nick "${member.nick}" is already registered to your key`);
    }
    const count = await askAccess(() => chat.access.registrationCount(fingerprint));
    if (count >= MAX_NICKS_PER_FINGERPRINT) {
      throw new ChatError(
        "bad_args",
        `Your key has registered ${count} nicks, the most allowed; /unregister one first`,
      );
    }
    const registration: Registration = { nick: member.nick, fingerprint, ts: chat.now() };
    await askAccess(() => chat.access.register(member.foldedNick, registration));
    chat.claims.registered(registration);
    chat.notice(
      member,
      `Nick "${member.nick}" is now registered to your key ${fingerprint}; no other key can use it`,
    );
  },
};

/** `/unregister [nick]`: frees a registered nick (the owner's key, or an operator). */
export const UNREGISTER_COMMAND: Command = {
  name: "unregister",
  usage: "[nick]",
  help: "Free a nick registered to your key (yours by default)",
  minArgs: 0,
  maxArgs: 1,
  rest: false,
  run: async ({ chat, member }, [raw]) => {
    const nick = raw === undefined ? member.nick : raw.trim().normalize("NFC");
    const folded = foldNick(nick);
    const registration = readAccess(() => chat.access.registration(folded));
    if (!registration) throw new ChatError("bad_args", `Nick "${excerpt(nick)}" is not registered`);
    if (registration.fingerprint !== member.fingerprint && !member.operator) {
      throw new ChatError(
        "nick_registered",
        `Nick "${registration.nick}" is registered to another key; only that key or an operator can free it`,
      );
    }
    await askAccess(() => chat.access.unregister(folded));
    chat.claims.unregistered(registration);
    chat.notice(member, `Nick "${registration.nick}" is no longer registered`);
  },
};

/** `/whois <nick>`: who is behind a nick (the address to operators only). */
export const WHOIS_COMMAND: Command = {
  name: "whois",
  usage: "<nick>",
  help: "Show who a member is: its key fingerprint, client, rooms",
  minArgs: 1,
  maxArgs: 1,
  rest: false,
  run: ({ chat, member, reply }, [nick]) => {
    const target = onlineMember(chat.presence.find(foldNick(nick)), nick);
    const registration = readAccess(() => chat.access.registration(target.foldedNick));
    const node = target.remote?.node ?? chat.presence.node; // Undefined on one server.
    reply({
      type: "whois",
      nick: target.nick,
      client: target.client,
      ...(target.fingerprint ? { fingerprint: target.fingerprint } : {}),
      registered: registration !== undefined && registration.fingerprint === target.fingerprint,
      operator: target.operator,
      ...(member.operator && target.address ? { address: target.address } : {}),
      ...(member.operator && node ? { node } : {}),
      rooms: [...target.rooms.values()].map((room) => room.name),
      ...(target.away !== undefined ? { away: target.away } : {}),
    });
  },
};

/** `/quit [reason]`: leaves the chat; the connection is closed. */
export const QUIT_COMMAND: Command = {
  name: QUIT_WORDS[0],
  usage: "[reason]",
  help: "Leave the chat",
  minArgs: 0,
  maxArgs: 1,
  rest: true,
  aliases: QUIT_WORDS.slice(1),
  run: ({ chat, member }, [reason]) => {
    chat.disconnect(member, "quit", chat.leaveReason(member, reason), {
      type: "bye",
      reason: "quit",
      message: "Goodbye",
    });
  },
};

/**
 * The member found online for `nick`.
 *
 * @throws {ChatError} `no_such_nick` when no one is
 */
export function onlineMember(found: Member | undefined, nick: string): Member {
  if (!found) throw new ChatError("no_such_nick", `No one called "${excerpt(nick)}" is here`);
  return found;
}

/** Every member sharing a room with `member`, with the shared room names; itself included. */
function peersOf(member: Member): Map<Member, string[]> {
  const peers = new Map<Member, string[]>();
  for (const room of member.rooms.values()) {
    for (const peer of room.members) {
      const rooms = peers.get(peer);
      if (rooms) rooms.push(room.name);
      else peers.set(peer, [room.name]);
    }
  }
  return peers;
}
