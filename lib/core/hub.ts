import { ChatError, NickError } from "../errors.ts";
import { COMMANDS, findCommand, helpOf, parseArgs, usageOf } from "./commands.ts";
import {
  type BanEntry,
  type ChatEvent,
  type LeaveReason,
  type MessageEvent,
  type NickEvent,
  PROTOCOL_VERSION,
  type RoomSnapshot,
} from "./events.ts";
import { lookAlikeKeys } from "./confusable.ts";
import { Member, type MemberSink } from "./member.ts";
import { nickKey, normalizeNick, suggestNick } from "./nick.ts";
import { type HistoryStore, MemoryStore } from "./history_store.ts";
import {
  DEFAULT_HISTORY_MEMORY_BYTES,
  type HistoryBudget,
  MemoryBudget,
  messageBytes,
} from "./history.ts";
import { type AccessStore, MemoryAccessStore, type Registration } from "./access_store.ts";
import { Room } from "./room.ts";
import { TokenBucket } from "./token_bucket.ts";
import { cleanLine, excerpt, sanitizeText, unsafeCharacter } from "./sanitize.ts";
import { parseTypedLine } from "./typed_line.ts";

/** The room everyone starts in. */
export const LOBBY = "#lobby";

/** Settings of a {@linkcode Hub}; every field has a default. */
export interface HubOptions {
  /** Shown to everyone on join. */
  serverName?: string;
  /** Message of the day, shown on join. */
  motd?: string;
  /** Messages of each room replayed to a joiner. */
  historySize?: number;
  /**
   * Most bytes of messages kept in memory for replay, across all rooms
   * (counted by {@linkcode messageBytes}); past it, the oldest messages of
   * all rooms are dropped from replay first (a store still pages them). Also
   * the bound of the default in-memory store.
   * @default {16 MiB}
   */
  historyMemoryBytes?: number;
  /** Members at once; more are refused with `server_full`. */
  maxClients?: number;
  /**
   * Joins and leaves are announced only in rooms of at most this many
   * members, and welcomes list at most this many members: in a room of
   * thousands, every join told to everyone would cost the square of the
   * room's size.
   */
  announceLimit?: number;
  /**
   * Joins and leaves announced in one room: `burst` at once, then `rate` a
   * second; past it they are counted, and the room is told how many in one
   * notice when announcing is possible again. `false`: every one.
   * @default {{ rate: 1, burst: 20 }}
   */
  announceRate?: { rate: number; burst: number } | false;
  /** Rooms at once (a room lives while it has members or history). */
  maxRooms?: number;
  /** Longest message, in characters after sanitising. */
  maxMessageLength?: number;
  /** Most lines in one (multi-line) message. */
  maxMessageLines?: number;
  /** Longest nick, in code points (at most 64). */
  maxNickLength?: number;
  /**
   * Messages and commands per member: `rate` per second with bursts of
   * `burst`; after `floodLimit` refusals in quick succession the member is
   * disconnected. `false` turns limiting off (benchmarks).
   */
  rateLimit?: RateLimit | false;
  /** Where messages are kept for replay and paging (default: in memory). */
  store?: HistoryStore;
  /** Also keep private messages in the store (off by default). */
  storePrivate?: boolean;
  /**
   * Where nick registrations and bans are kept. Default: `store`, when it
   * is an {@linkcode AccessStore} too (the SQLite store is), else memory.
   */
  access?: AccessStore;
  /** Fingerprints (`SHA256:...`) of the operators' keys. */
  operators?: Iterable<string>;
  /** The clock, in milliseconds since the epoch; tests hand in their own. */
  now?: () => number;
}

/** What a client says to enter the chat. */
export interface HelloRequest {
  nick: string;
  /** The client software, e.g. `chat-client/0.1.0`. */
  client: string;
  /** Whether the member wants its own room messages echoed back. */
  echo?: boolean;
  /** The fingerprint of the key it proved (the transport checked the proof). */
  fingerprint?: string;
  /** Where it connects from, for bans and mutes (opaque to the core: an IP address). */
  address?: string;
}

/** Per-member rate limit settings. */
export interface RateLimit {
  rate: number;
  burst: number;
  floodLimit: number;
}

/** The default rate limit: 5 per second, bursts of 10, dropped after 20 refusals. */
export const DEFAULT_RATE_LIMIT: RateLimit = { rate: 5, burst: 10, floodLimit: 20 };

/**
 * Most members a welcome or joined snapshot lists (the rest are counted in
 * `memberCount`; `/who` lists everyone).
 */
export const MEMBER_LIST_LIMIT = 100;

const ROOM_PATTERN = /^#[\p{L}\p{N}_.\-]{1,32}$/u;

/** Longest client name (`hello.client`) kept, in code points; the rest is cut. */
export const MAX_CLIENT_LENGTH = 64;

/** Longest server name kept, in code points. */
export const MAX_SERVER_NAME_LENGTH = 64;

/** Longest `/part`, `/quit`, `/kick` or `/ban` reason kept, in code points. */
export const MAX_REASON_LENGTH = 200;

/** Most nicks one key may register. */
export const MAX_NICKS_PER_KEY = 10;

/** Longest `/mute`, in minutes (a week). */
export const MAX_MUTE_MINUTES = 7 * 24 * 60;

/**
 * The chat core: members, rooms, nicks, commands and history. It knows
 * nothing about sockets or clocks; transports hand it requests and receive
 * events through each member's {@linkcode MemberSink}. Every method runs to
 * completion synchronously, which is what keeps each room in one order.
 *
 * @example
 * ```ts
 * const hub = new Hub({ serverName: "office" });
 * const ana = hub.join({ nick: "ana", client: "test" }, { deliver: console.log, end() {} });
 * hub.input(ana, "hello");
 * ```
 */
export class Hub {
  readonly serverName: string;
  readonly motd: string | undefined;
  readonly historySize: number;
  readonly maxClients: number;
  readonly maxRooms: number;
  readonly announceLimit: number;
  readonly #announceRate: { rate: number; burst: number } | false;
  /** Per room, announcements allowed and those held back (see HubOptions.announceRate). */
  readonly #quiet = new WeakMap<Room, { bucket: TokenBucket; joins: number; leaves: number }>();
  /** Rooms with held-back announcements to sum up. */
  readonly #quietRooms = new Set<Room>();
  readonly maxMessageLength: number;
  readonly maxMessageLines: number;
  readonly maxNickLength: number;
  readonly rateLimit: RateLimit | false;
  readonly #now: () => number;
  readonly #store: HistoryStore;
  /** The bound on every room's replay history. */
  readonly #historyBudget: HistoryBudget<MessageEvent>;
  readonly #storePrivate: boolean;
  readonly #access: AccessStore;
  readonly #operators: ReadonlySet<string>;
  /** Mutes by `key <fingerprint>` or `ip <address>`: until when (ms; Infinity: until /unmute). */
  readonly #mutes = new Map<string, number>();
  readonly #members = new Map<string, Member>();
  readonly #rooms = new Map<string, Room>();
  /** Online members by each of their look-alike keys ({@linkcode lookAlikeKeys}). */
  readonly #lookAlikes = new Map<string, Member>();
  /** Registrations by look-alike key, read from the access store on first use. */
  #registeredLookAlikes: Map<string, Registration[]> | undefined;
  #nextMemberId = 1;

  constructor(options: HubOptions = {}) {
    // The operator's words pass the same cleaning as a peer's.
    this.serverName = cleanLine(options.serverName ?? "", MAX_SERVER_NAME_LENGTH) || "lanchat";
    this.motd = sanitizeText(options.motd ?? "", { multiline: true }).trim() || undefined;
    this.historySize = options.historySize ?? 50;
    this.maxClients = options.maxClients ?? 1000;
    this.maxRooms = options.maxRooms ?? 1000;
    this.announceLimit = options.announceLimit ?? 200;
    this.#announceRate = options.announceRate ??
      (options.rateLimit === false ? false : { rate: 1, burst: 20 });
    this.maxMessageLength = options.maxMessageLength ?? 4000;
    this.maxMessageLines = options.maxMessageLines ?? 20;
    this.maxNickLength = Math.min(64, options.maxNickLength ?? 24);
    this.rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    this.#now = options.now ?? Date.now;
    const historyMemory = options.historyMemoryBytes ?? DEFAULT_HISTORY_MEMORY_BYTES;
    this.#historyBudget = { budget: new MemoryBudget(historyMemory), sizeOf: messageBytes };
    this.#store = options.store ?? new MemoryStore(undefined, historyMemory);
    this.#storePrivate = options.storePrivate ?? false;
    this.#access = options.access ??
      (isAccessStore(options.store) ? options.store : new MemoryAccessStore());
    this.#operators = new Set(options.operators ?? []);
  }

  /** Bytes of replay history kept in memory, its bound, and how many messages the bound evicted. */
  get historyMemory(): { usedBytes: number; maxBytes: number; evicted: number } {
    const { usedBytes, maxBytes, evicted } = this.#historyBudget.budget;
    return { usedBytes, maxBytes, evicted };
  }

  /** Members currently connected. */
  get size(): number {
    return this.#members.size;
  }

  /** Looks a member up by nick, ignoring case and normalisation. */
  member(nick: string): Member | undefined {
    return this.#members.get(nickKey(nick));
  }

  /** Looks a room up by name, ignoring case. */
  room(name: string): Room | undefined {
    return this.#rooms.get(nickKey(name));
  }

  /**
   * Admits a member into {@linkcode LOBBY}, delivers its `welcome` and tells
   * the room.
   *
   * @throws {NickError} for an invalid or taken nick (with a suggestion)
   * @throws {ChatError} `server_full` when `maxClients` are connected
   */
  join(raw: HelloRequest, sink: MemberSink): Member {
    const hello = cleanHello(raw);
    const nick = normalizeNick(hello.nick, this.maxNickLength);
    const key = nickKey(nick);
    const operator = hello.fingerprint !== undefined && this.#operators.has(hello.fingerprint);
    // Operators are named by key, so a ban on their address does not lock them out.
    const ban = operator
      ? undefined
      : this.#stored(() => this.#access.findBan(hello.fingerprint, hello.address));
    if (ban) {
      throw new ChatError(
        "banned",
        `You are banned from this server${ban.reason ? `: ${ban.reason}` : ""}`,
      );
    }
    const ghost = this.#claim(nick, key, hello.fingerprint);
    if (!ghost && this.#members.size >= this.maxClients) {
      throw new ChatError("server_full", `Server is full (${this.maxClients} clients)`);
    }
    if (ghost) this.#replace(ghost);
    const member = new Member(
      this.#nextMemberId++,
      nick,
      key,
      hello.client,
      sink,
      hello.echo ?? true,
    );
    member.fingerprint = hello.fingerprint;
    member.address = hello.address;
    member.operator = operator;
    const lobby = this.#roomOrCreate(LOBBY);
    this.#members.set(key, member);
    this.#indexLookAlike(member);
    lobby.add(member);
    member.rooms.set(lobby.key, lobby);
    member.current = lobby;
    sink.deliver({
      type: "welcome",
      protocol: PROTOCOL_VERSION,
      server: this.serverName,
      ...(this.motd ? { motd: this.motd } : {}),
      nick,
      ...(this.rateLimit
        ? { rateLimit: { rate: this.rateLimit.rate, burst: this.rateLimit.burst } }
        : {}),
      ...this.#snapshot(lobby),
    });
    this.#announceJoin(lobby, member);
    return member;
  }

  /**
   * Handles a line as typed: a `/command`, or a message to `roomName` (the
   * member's current room by default). `//text` sends `/text` literally.
   * Errors go to the member as `error` events; returns whether it succeeded.
   */
  input(member: Member, line: string, roomName?: string): boolean {
    const typed = parseTypedLine(line);
    return typed.kind === "command"
      ? this.command(member, typed.name, typed.args, roomName)
      : this.message(member, typed.text, roomName);
  }

  /** Sends `text` literally (never as a command) to `roomName` or the current room. */
  message(member: Member, text: string, roomName?: string): boolean {
    return this.#attempt(member, () => this.say(member, text, this.#target(member, roomName)));
  }

  /** Runs the command `name` with the argument string `args`. */
  command(member: Member, name: string, args: string, roomName?: string): boolean {
    return this.#attempt(member, () => {
      const command = findCommand(name);
      if (!command) {
        throw new ChatError(
          "unknown_command",
          name
            ? `Unknown command "/${excerpt(name)}"; type /help for a list`
            : 'Missing command name after "/"',
        );
      }
      if (command.op && !member.operator) {
        throw new ChatError(
          "not_operator",
          `/${command.name} is for operators only (the server names them with --op)`,
        );
      }
      const parsed = parseArgs(command, args);
      // The room is resolved only by commands that use it, so /quit or /nick
      // work whatever room the frame named.
      const target = () => this.#target(member, roomName);
      command.run({
        hub: this,
        member,
        get room() {
          return target();
        },
        flags: parsed.flags,
      }, parsed.args);
    }, findCommand(name)?.name !== "quit");
  }

  /** Sends a message (or `/me` action) to a room the member is in. */
  say(member: Member, text: string, room: Room, kind: "say" | "action" = "say"): void {
    this.#refuseMuted(member);
    const clean = this.#cleanMessage(text);
    this.#emit(
      room,
      { type: "msg", ts: this.#now(), from: member.nick, text: clean, kind },
      member.echo ? undefined : member,
    );
  }

  /** Sends a private message; only the two members receive it. */
  direct(member: Member, nick: string, text: string): void {
    const target = this.member(nick);
    if (!target) throw new ChatError("no_such_nick", `No one called "${excerpt(nick)}" is here`);
    this.#refuseMuted(member);
    const clean = this.#cleanMessage(text);
    const event: ChatEvent = {
      type: "dm",
      ts: this.#now(),
      from: member.nick,
      to: target.nick,
      text: clean,
      kind: "say",
    };
    target.sink.deliver(event);
    if (target !== member) member.sink.deliver(event);
    if (this.#storePrivate) this.#store.appendPrivate(event);
  }

  /** Changes a member's nick and tells it and everyone who shares a room with it. */
  rename(member: Member, raw: string): void {
    this.#refuseMuted(member, "your nick was not changed"); // A nick is text everyone sees.
    const nick = normalizeNick(raw, this.maxNickLength);
    const key = nickKey(nick);
    if (nick === member.nick) throw new ChatError("bad_args", `You are already "${nick}"`);
    const ghost = this.#claim(nick, key, member.fingerprint, member);
    if (ghost) this.#replace(ghost);
    const old = member.nick;
    this.#members.delete(member.key);
    this.#unindexLookAlike(member);
    member.nick = nick;
    member.key = key;
    this.#indexLookAlike(member);
    for (const room of member.rooms.values()) room.invalidate();
    this.#members.set(key, member);
    const ts = this.#now();
    for (const [peer, rooms] of this.#peers(member)) {
      const event: NickEvent = { type: "nick", ts, old, new: nick, rooms };
      peer.sink.deliver(event);
    }
  }

  /** Joins a room (creating it) and makes it the member's current room. */
  joinRoom(member: Member, raw: string): void {
    const name = this.#roomName(raw);
    const existing = member.rooms.get(nickKey(name));
    if (existing) {
      member.current = existing;
      member.sink.deliver({ type: "joined", ...this.#snapshot(existing) });
      return;
    }
    const room = this.#roomOrCreate(name);
    room.add(member);
    member.rooms.set(room.key, room);
    member.current = room;
    member.sink.deliver({ type: "joined", ...this.#snapshot(room) });
    this.#announceJoin(room, member);
  }

  /** Leaves a room; the member must stay in at least one. */
  partRoom(member: Member, raw: string, reason?: string): void {
    const name = this.#roomName(raw);
    const room = member.rooms.get(nickKey(name));
    if (!room) throw new ChatError("not_in_room", `You are not in ${name}`);
    if (member.rooms.size === 1) {
      throw new ChatError(
        "bad_args",
        `${room.name} is your only room; /join another before leaving it`,
      );
    }
    this.#removeFromRoom(member, room, "part", this.#leaveReason(member, reason));
    if (member.current === room) member.current = [...member.rooms.values()].at(-1);
    member.sink.deliver({ type: "parted", room: room.name, current: member.current!.name });
  }

  /** Answers `/who`. */
  who(member: Member, raw: string): void {
    const room = this.room(this.#roomName(raw));
    if (!room) throw new ChatError("bad_room", `There is no room "${excerpt(raw)}"`);
    member.sink.deliver({ type: "who", room: room.name, members: room.nicks() });
  }

  /** Answers `/history [count] [before-id]` with a page of older messages. */
  history(member: Member, room: Room, count = "50", before?: string): void {
    const limit = Number(count);
    if (!/^\d+$/.test(count) || limit < 1 || limit > 500) {
      throw new ChatError("bad_args", `Count "${excerpt(count)}" must be a number from 1 to 500`);
    }
    const beforeId = before === undefined ? room.lastId + 1 : Number(before);
    if (before !== undefined && !/^\d+$/.test(before)) {
      throw new ChatError("bad_args", `Message id "${excerpt(before)}" must be a whole number`);
    }
    let page;
    try {
      page = this.#store.page(room.key, beforeId, limit + 1);
    } catch (cause) {
      throw new ChatError("store_error", "History is not available right now", { cause });
    }
    const more = page.length > limit;
    member.sink.deliver({
      type: "history",
      room: room.name,
      messages: more ? page.slice(1) : page,
      more,
    });
  }

  /** Writes what the store still holds in memory (at shutdown). */
  closeStore(): void {
    this.#store.close();
  }

  /** Prunes the store: messages older than `olderThan` ms, or beyond `keep` a room. */
  prune(olderThan: number | undefined, keep: number | undefined): number {
    return this.#store.prune(olderThan, keep);
  }

  /** Answers `/rooms`. */
  listRooms(member: Member): void {
    const rooms = [...this.#rooms.values()]
      .map((room) => ({ room: room.name, members: room.members.size }))
      .sort((a, b) => b.members - a.members || a.room.localeCompare(b.room));
    member.sink.deliver({ type: "rooms", rooms });
  }

  /** Answers `/help`, for all commands or one. */
  help(member: Member, name?: string): void {
    // Operator commands are listed to operators only; asked for by name,
    // they are explained to anyone, marked as such.
    const list = name
      ? [findCommand(name.replace(/^\//, ""))]
      : COMMANDS.filter((c) => !c.op || member.operator);
    if (!list[0]) {
      throw new ChatError("unknown_command", `Unknown command "${excerpt(name ?? "")}"`);
    }
    member.sink.deliver({
      type: "help",
      commands: list.map((c) => ({
        name: c!.name,
        usage: usageOf(c!),
        help: helpOf(c!),
        ...(c!.op ? { op: true as const } : {}),
      })),
    });
  }

  /** Binds the member's nick to its key (`/register`). */
  register(member: Member): void {
    const fingerprint = member.fingerprint;
    if (!fingerprint) {
      throw new ChatError(
        "key_required",
        "Only a client that proved a key can register a nick (chat-client does; nc and telnet cannot)",
      );
    }
    const existing = this.#stored(() => this.#access.registration(member.key));
    if (existing?.fingerprint === fingerprint) {
      throw new ChatError("bad_args", `Nick "${member.nick}" is already registered to your key`);
    }
    const count = this.#stored(() => this.#access.registrationCount(fingerprint));
    if (count >= MAX_NICKS_PER_KEY) {
      throw new ChatError(
        "bad_args",
        `Your key has registered ${count} nicks, the most allowed; /unregister one first`,
      );
    }
    const registration: Registration = { nick: member.nick, fingerprint, ts: this.#now() };
    this.#stored(() => this.#access.register(member.key, registration));
    addRegistration(this.#registeredLike(), registration);
    this.#notice(
      member,
      `Nick "${member.nick}" is now registered to your key ${fingerprint}; no other key can use it`,
    );
  }

  /** Frees a registered nick (`/unregister`): the owner's key, or an operator. */
  unregister(member: Member, raw?: string): void {
    const nick = raw === undefined ? member.nick : raw.trim().normalize("NFC");
    const key = nickKey(nick);
    const registration = this.#stored(() => this.#access.registration(key));
    if (!registration) throw new ChatError("bad_args", `Nick "${excerpt(nick)}" is not registered`);
    if (registration.fingerprint !== member.fingerprint && !member.operator) {
      throw new ChatError(
        "nick_registered",
        `Nick "${registration.nick}" is registered to another key; only that key or an operator can free it`,
      );
    }
    this.#stored(() => this.#access.unregister(key));
    removeRegistration(this.#registeredLike(), registration);
    this.#notice(member, `Nick "${registration.nick}" is no longer registered`);
  }

  /** Answers `/whois`: who is behind a nick (the address to operators only). */
  whois(member: Member, nick: string): void {
    const target = this.#online(nick);
    const registration = this.#stored(() => this.#access.registration(target.key));
    member.sink.deliver({
      type: "whois",
      nick: target.nick,
      client: target.client,
      ...(target.fingerprint ? { fingerprint: target.fingerprint } : {}),
      registered: registration !== undefined && registration.fingerprint === target.fingerprint,
      operator: target.operator,
      ...(member.operator && target.address ? { address: target.address } : {}),
      rooms: [...target.rooms.values()].map((room) => room.name),
    });
  }

  /** Disconnects a member, telling it who did it and why (`/kick`, operators). */
  kick(op: Member, nick: string, reason?: string): void {
    const target = this.#victim(op, nick, "kick");
    this.#eject(target, op, reason, false);
    this.#notice(op, `Kicked ${target.nick}`);
  }

  /**
   * Bans a member's key (if it proved one) and its address, keeps the bans
   * in the store, and disconnects everyone they match (`/ban`, operators).
   * `keyOnly` bans the key alone, leaving the others behind the address in.
   */
  ban(op: Member, nick: string, reason?: string, keyOnly = false): void {
    const target = this.#victim(op, nick, "ban");
    if (keyOnly && !target.fingerprint) {
      throw new ChatError(
        "bad_args",
        `${target.nick} has no key to ban (a text client)${
          target.address
            ? `; without --key-only the ban is by address ${target.address}, and shuts out everyone there`
            : ""
        }`,
      );
    }
    const clean = reason ? this.#cleanReason(reason) || undefined : undefined;
    const entries: BanEntry[] = [];
    const base = {
      nick: target.nick,
      by: op.nick,
      ts: this.#now(),
      ...(clean ? { reason: clean } : {}),
    };
    if (target.fingerprint) entries.push({ kind: "key", value: target.fingerprint, ...base });
    if (target.address && !keyOnly) entries.push({ kind: "ip", value: target.address, ...base });
    if (entries.length === 0) {
      throw new ChatError(
        "bad_args",
        `${target.nick} has neither a key nor an address to ban; /kick it`,
      );
    }
    for (const entry of entries) this.#stored(() => this.#access.addBan(entry));
    const others: Member[] = [];
    for (const other of [...this.#members.values()]) {
      if (other.operator) continue;
      const matches = entries.some((e) =>
        e.kind === "key" ? e.value === other.fingerprint : e.value === other.address
      );
      if (!matches) continue;
      this.#eject(other, op, clean, true);
      if (other !== target) others.push(other);
    }
    const what = entries.map((e) => `${e.kind === "key" ? "key" : "IP"} ${e.value}`);
    this.#notice(
      op,
      `Banned ${target.nick}: ${what.join(" and ")}${
        others.length ? `; that also disconnected ${countOthers(others)}` : ""
      }`,
    );
  }

  /** Lifts a ban by fingerprint or address (`/unban`, operators). */
  unban(op: Member, target: string): void {
    const kind = target.startsWith("SHA256:") ? "key" : "ip";
    const removed = this.#stored(() => this.#access.removeBan(kind, target));
    if (!removed) {
      throw new ChatError("bad_args", `There is no ban on "${excerpt(target)}"; /bans lists them`);
    }
    this.#notice(op, `Unbanned ${kind === "key" ? "key" : "IP"} ${target}`);
  }

  /** Answers `/bans` (operators). */
  listBans(op: Member): void {
    op.sink.deliver({ type: "bans", bans: this.#stored(() => this.#access.bans()) });
  }

  /**
   * Refuses a member's messages for `minutes` (or until `/unmute`), by its
   * key and its address, so reconnecting does not escape it; `keyOnly`
   * mutes the key alone. A mute by address silences everyone connected from
   * it (one NAT, one machine), operators excepted, and the operator is told
   * who. Kept in memory only: a restart lifts every mute.
   */
  mute(op: Member, nick: string, minutes?: string, keyOnly = false): void {
    const target = this.#victim(op, nick, "mute");
    let until = Infinity;
    if (minutes !== undefined) {
      const n = Number(minutes);
      if (!/^\d+$/.test(minutes) || n < 1 || n > MAX_MUTE_MINUTES) {
        throw new ChatError(
          "bad_args",
          `Minutes "${excerpt(minutes)}" must be a whole number from 1 to ${MAX_MUTE_MINUTES}`,
        );
      }
      until = this.#now() + n * 60_000;
    }
    if (keyOnly && !target.fingerprint) {
      throw new ChatError(
        "bad_args",
        `${target.nick} has no key to mute (a text client)${
          target.address
            ? `; without --key-only it is muted by address ${target.address}, with everyone there`
            : ""
        }`,
      );
    }
    const ids = muteIds(target, keyOnly);
    // Who else the new entries catch: other sessions of the key, and everyone
    // else behind the address (but never an operator).
    const others = [...this.#members.values()].filter((other) =>
      other !== target && muteIds(other, other.operator).some((id) => ids.includes(id))
    );
    for (const id of ids) this.#mutes.set(id, until);
    const span = minutes === undefined ? "until unmuted" : `for ${Number(minutes)} minute(s)`;
    this.#notice(target, `You were muted by ${op.nick} ${span}`);
    for (const other of others) {
      const shared = other.fingerprint !== undefined && other.fingerprint === target.fingerprint
        ? "by key, and you use the same key"
        : "by address, and you connect from the same address";
      this.#notice(
        other,
        `You were muted by ${op.nick} ${span}: ${target.nick} was muted ${shared}`,
      );
    }
    const how = keyOnly
      ? "by key only"
      : target.fingerprint && target.address
      ? `by key and by address ${target.address}`
      : target.address
      ? `by address ${target.address}`
      : target.fingerprint
      ? "by key"
      : "for this connection only";
    this.#notice(
      op,
      `Muted ${target.nick} ${span}, ${how}${
        others.length ? `; that also mutes ${countOthers(others)}` : ""
      }`,
    );
  }

  /**
   * Lifts a mute (`/unmute`, operators): the member's key and address, so
   * the others on that address may talk again too, and are told so.
   */
  unmute(op: Member, nick: string): void {
    const target = this.#online(nick);
    if (this.#mutedUntil(target) === undefined) {
      throw new ChatError("bad_args", `${target.nick} is not muted`);
    }
    const muted = [...this.#members.values()].filter((other) =>
      other !== target && this.#mutedUntil(other) !== undefined
    );
    for (const id of muteIds(target)) this.#mutes.delete(id);
    const freed = muted.filter((other) => this.#mutedUntil(other) === undefined);
    this.#notice(target, `You were unmuted by ${op.nick}`);
    for (const other of freed) this.#notice(other, `You were unmuted by ${op.nick}`);
    this.#notice(
      op,
      `Unmuted ${target.nick}${freed.length ? `; that also unmutes ${countOthers(freed)}` : ""}`,
    );
  }

  /** The member leaves at its own request; its connection is closed. */
  quit(member: Member, reason?: string): void {
    this.leave(member, "quit", this.#leaveReason(member, reason));
    member.sink.end({ type: "bye", reason: "quit", message: "Goodbye" });
  }

  /**
   * Removes a member from every room and the server, telling each room why.
   * Safe to call more than once.
   */
  leave(member: Member, reason: LeaveReason, message?: string, banned = false): void {
    if (member.gone) return;
    member.gone = true;
    for (const room of [...member.rooms.values()]) {
      this.#removeFromRoom(member, room, reason, message, banned);
    }
    member.current = undefined;
    if (this.#members.get(member.key) === member) this.#members.delete(member.key);
    this.#unindexLookAlike(member);
  }

  /** Tells every member the server is going away and ends their connections. */
  shutdown(message = "Server shutting down"): void {
    for (const member of [...this.#members.values()]) {
      member.gone = true;
      member.sink.end({ type: "bye", reason: "shutdown", message });
    }
    this.#members.clear();
    this.#lookAlikes.clear();
    this.#rooms.clear();
  }

  #suggest(nick: string, fingerprint?: string): string {
    return suggestNick(nick, (n) => {
      const key = nickKey(n);
      if (this.#members.has(key)) return true;
      const owner = this.#stored(() => this.#access.registration(key));
      return owner !== undefined && owner.fingerprint !== fingerprint;
    }, this.maxNickLength);
  }

  /**
   * Checks that `nick` may be taken by a key (`fingerprint`, undefined for
   * none) and by `member` (undefined for a newcomer). Returns the member to
   * replace when the nick is held by a session with the same key (a ghost:
   * a half-open old connection, or a reconnect).
   *
   * @throws {NickError} `nick_registered` or `nick_taken`, with a suggestion
   */
  #claim(nick: string, key: string, fingerprint?: string, member?: Member): Member | undefined {
    const registration = this.#stored(() => this.#access.registration(key));
    if (registration && registration.fingerprint !== fingerprint) {
      const suggestion = this.#suggest(nick, fingerprint);
      throw new NickError(
        "nick_registered",
        fingerprint
          ? `Nick "${nick}" is registered to another key; try "${suggestion}"`
          : `Nick "${nick}" is registered; only its owner's key can use it (try "${suggestion}")`,
        suggestion,
      );
    }
    this.#refuseLookAlike(nick, key, fingerprint, member);
    const holder = this.#members.get(key);
    if (!holder || holder === member) return undefined;
    if (fingerprint !== undefined && holder.fingerprint === fingerprint) return holder;
    const suggestion = this.#suggest(nick, fingerprint);
    throw new NickError("nick_taken", `Nick "${nick}" is taken; try "${suggestion}"`, suggestion);
  }

  /**
   * Refuses a nick that looks like the nick of another member online or a
   * nick registered to another key (UTS #39 confusables, case and accents
   * aside): "bоb" with a Cyrillic "о" while bob is here. The same nick, or
   * one held by the same key, is not a look-alike but the nick itself.
   *
   * @throws {NickError} `nick_taken` (online) or `nick_registered`, naming the nick it looks like
   */
  #refuseLookAlike(nick: string, key: string, fingerprint?: string, member?: Member): void {
    const keys = lookAlikeKeys(nick);
    for (const look of keys) {
      const twin = this.#lookAlikes.get(look);
      if (!twin || twin === member || twin.key === key) continue;
      if (fingerprint !== undefined && twin.fingerprint === fingerprint) continue;
      throw new NickError("nick_taken", `Nick "${nick}" looks like "${twin.nick}", who is online`);
    }
    const registered = this.#registeredLike();
    for (const look of keys) {
      for (const registration of registered.get(look) ?? []) {
        if (registration.fingerprint === fingerprint || nickKey(registration.nick) === key) {
          continue;
        }
        throw new NickError(
          "nick_registered",
          `Nick "${nick}" looks like "${registration.nick}", a registered nick`,
        );
      }
    }
  }

  #indexLookAlike(member: Member): void {
    for (const look of lookAlikeKeys(member.nick)) {
      if (!this.#lookAlikes.has(look)) this.#lookAlikes.set(look, member);
    }
  }

  #unindexLookAlike(member: Member): void {
    for (const look of lookAlikeKeys(member.nick)) {
      if (this.#lookAlikes.get(look) === member) this.#lookAlikes.delete(look);
    }
  }

  /** The registrations by look-alike key, read from the store the first time. */
  #registeredLike(): Map<string, Registration[]> {
    if (this.#registeredLookAlikes) return this.#registeredLookAlikes;
    const index = new Map<string, Registration[]>();
    const all = this.#stored(() => [...(this.#access.registrations())]);
    for (const registration of all) addRegistration(index, registration);
    return this.#registeredLookAlikes = index;
  }

  /** Ends a ghost session whose key just connected again. */
  #replace(ghost: Member): void {
    this.leave(ghost, "dropped", "replaced by a new connection");
    ghost.sink.end({
      type: "bye",
      reason: "dropped",
      code: "session_replaced",
      message: "Replaced by a new connection with your key",
    });
  }

  /** The online member an operator command acts on: not the operator, not another operator. */
  #victim(op: Member, nick: string, what: string): Member {
    const target = this.#online(nick);
    if (target === op) throw new ChatError("bad_args", `You cannot ${what} yourself`);
    if (target.operator) {
      throw new ChatError(
        "bad_args",
        `${target.nick} is an operator; operators cannot be ${what}ed`,
      );
    }
    return target;
  }

  #online(nick: string): Member {
    const target = this.member(nick);
    if (!target) throw new ChatError("no_such_nick", `No one called "${excerpt(nick)}" is here`);
    return target;
  }

  /**
   * Disconnects a member on an operator's word; its rooms see `leave`
   * `kicked` (with code `banned` for a ban).
   */
  #eject(target: Member, op: Member, reason: string | undefined, banned: boolean): void {
    const clean = reason ? this.#cleanReason(reason) || undefined : undefined;
    this.leave(target, "kicked", `by ${op.nick}${clean ? `: ${clean}` : ""}`, banned);
    target.sink.end({
      type: "bye",
      reason: "kicked",
      ...(banned ? { code: "banned" as const } : {}),
      message: `You were ${banned ? "banned" : "kicked"} by ${op.nick}${clean ? `: ${clean}` : ""}`,
    });
  }

  #notice(member: Member, message: string): void {
    member.sink.deliver({ type: "notice", message });
  }

  /**
   * Until when a member is muted (ms), or undefined; forgets mutes that ran
   * out. An operator is muted by its key only (which cannot be muted): like
   * a ban, a mute of its address does not reach it.
   */
  #mutedUntil(member: Member): number | undefined {
    let until: number | undefined;
    for (const id of muteIds(member, member.operator)) {
      const end = this.#mutes.get(id);
      if (end === undefined) continue;
      if (end <= this.#now()) this.#mutes.delete(id);
      else until = Math.max(until ?? 0, end);
    }
    return until;
  }

  #refuseMuted(member: Member, what = "your message was not sent"): void {
    const until = this.#mutedUntil(member);
    if (until === undefined) return;
    const left = until === Infinity
      ? "until an operator unmutes you"
      : `for ${Math.ceil((until - this.#now()) / 60_000)} more minute(s)`;
    throw new ChatError("muted", `You are muted ${left}; ${what}`);
  }

  /** A `/part` or `/quit` reason as others see it; none from a muted member. */
  #leaveReason(member: Member, reason: string | undefined): string | undefined {
    if (!reason || this.#mutedUntil(member) !== undefined) return undefined;
    return this.#cleanReason(reason);
  }

  /** Runs an access-store call; a failing store refuses the request instead of crashing. */
  #stored<T>(action: () => T): T {
    try {
      return action();
    } catch (cause) {
      if (cause instanceof ChatError) throw cause;
      throw new ChatError(
        "store_error",
        "Nick registrations and bans are not available right now; try again later",
        { cause },
      );
    }
  }

  /**
   * Charges one token of the member's rate limit. Over the limit the request
   * is refused with `rate_limited`; flooding on regardless disconnects.
   */
  #allowed(member: Member): boolean {
    const limit = this.rateLimit;
    if (!limit) return true;
    member.bucket ??= new TokenBucket(limit, this.#now);
    if (member.bucket.take()) return true;
    member.refusals ??= new TokenBucket({ rate: limit.rate, burst: limit.floodLimit }, this.#now);
    if (!member.refusals.take()) {
      const message = `Disconnected for flooding: more than ${limit.floodLimit} messages refused`;
      this.leave(member, "dropped", "flooding");
      member.sink.end({ type: "bye", reason: "dropped", code: "flooding", message });
      return false;
    }
    const wait = (member.bucket.waitMs() / 1000).toFixed(1);
    member.sink.deliver({
      type: "error",
      code: "rate_limited",
      message: `Slow down: at most ${limit.rate} message${
        limit.rate === 1 ? "" : "s"
      } a second (bursts of ${limit.burst}); not sent, try again in ${wait} s`,
    });
    return false;
  }

  #attempt(member: Member, action: () => void, charge = true): boolean {
    if (member.gone) return false;
    if (charge && !this.#allowed(member)) return false;
    try {
      action();
      return true;
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      member.sink.deliver({ type: "error", code: error.code, message: error.message });
      return false;
    }
  }

  #target(member: Member, roomName?: string): Room {
    if (roomName === undefined) {
      if (!member.current) throw new ChatError("not_in_room", "You are not in any room");
      return member.current;
    }
    const room = member.rooms.get(nickKey(this.#roomName(roomName)));
    if (!room) {
      throw new ChatError("not_in_room", `You are not in "${excerpt(roomName)}"; /join it first`);
    }
    return room;
  }

  #roomName(raw: string): string {
    const trimmed = raw.trim().normalize("NFC");
    const name = trimmed.startsWith("#") ? trimmed : `#${trimmed}`;
    const unsafe = unsafeCharacter(trimmed);
    if (unsafe) {
      throw new ChatError("bad_room", `Room name "${excerpt(trimmed)}" contains ${unsafe}`);
    }
    if (!ROOM_PATTERN.test(name)) {
      throw new ChatError(
        "bad_room",
        `Room name "${excerpt(trimmed)}" must be "#" and 1 to 32 letters, digits, "_", "-" or "."`,
      );
    }
    return name;
  }

  #roomOrCreate(name: string): Room {
    const key = nickKey(name);
    let room = this.#rooms.get(key);
    if (!room) {
      if (this.#rooms.size >= this.maxRooms) {
        throw new ChatError(
          "too_many_rooms",
          `There are already ${this.maxRooms} rooms; join one of them`,
        );
      }
      let stored;
      try {
        stored = this.#store.load(key, this.historySize);
      } catch {
        // The store cannot be read: the room starts without replay. Its ids
        // would restart, so they continue from the clock instead (still
        // increasing, never reused).
        stored = { lastId: this.#now(), messages: [] };
      }
      room = new Room(name, key, this.historySize, stored, this.#historyBudget);
      this.#rooms.set(key, room);
    }
    return room;
  }

  #removeFromRoom(
    member: Member,
    room: Room,
    reason: LeaveReason,
    message?: string,
    banned = false,
  ): void {
    room.remove(member);
    member.rooms.delete(room.key);
    if (room.members.size < this.announceLimit && this.#mayAnnounce(room, "leave")) {
      this.#emit(room, {
        type: "leave",
        ts: this.#now(),
        nick: member.nick,
        reason,
        ...(banned ? { code: "banned" as const } : {}),
        ...(message ? { message } : {}),
      });
    }
    // An empty room without history is forgotten; one with history stays so a
    // later joiner still gets the replay.
    if (room.members.size === 0 && room.history.size === 0 && room.name !== LOBBY) {
      this.#rooms.delete(room.key);
    }
  }

  #snapshot(room: Room): RoomSnapshot {
    return {
      room: room.name,
      members: room.nicks(Math.min(this.announceLimit, MEMBER_LIST_LIMIT)),
      memberCount: room.members.size,
      history: room.history.last(),
    };
  }

  #announceJoin(room: Room, member: Member): void {
    if (room.members.size > this.announceLimit || !this.#mayAnnounce(room, "join")) return;
    this.#emit(room, { type: "join", ts: this.#now(), nick: member.nick }, member);
  }

  /**
   * Whether a join or leave may be announced in `room` now: within the
   * room's announcement rate, after saying how many were held back; past it,
   * it is counted instead (someone joining and quitting from many addresses
   * must not bury the room in join and leave lines).
   */
  #mayAnnounce(room: Room, kind: "join" | "leave"): boolean {
    const rate = this.#announceRate;
    if (!rate) return true;
    let quiet = this.#quiet.get(room);
    if (!quiet) {
      this.#quiet.set(
        room,
        quiet = { bucket: new TokenBucket(rate, this.#now), joins: 0, leaves: 0 },
      );
    }
    if (quiet.bucket.take()) {
      this.#sayHeldBack(room);
      return true;
    }
    if (kind === "join") quiet.joins++;
    else quiet.leaves++;
    this.#quietRooms.add(room);
    return false;
  }

  /** Tells a room how many joins and leaves were not announced one by one. */
  #sayHeldBack(room: Room): void {
    const quiet = this.#quiet.get(room);
    this.#quietRooms.delete(room);
    if (!quiet || quiet.joins + quiet.leaves === 0) return;
    const message = `${quiet.joins} joined and ${quiet.leaves} left ${room.name} ` +
      "(too many at once to show one by one)";
    quiet.joins = quiet.leaves = 0;
    for (const member of room.members) member.sink.deliver({ type: "notice", message });
  }

  /**
   * Sums up held-back joins and leaves of rooms that may announce again.
   * Call it now and then (the server does, about once a second).
   */
  tick(): void {
    for (const room of this.#quietRooms) {
      if (this.#quiet.get(room)?.bucket.take()) this.#sayHeldBack(room);
    }
  }

  /**
   * Every room event goes through here: the room numbers and delivers it,
   * and the store records messages and the room's newest id.
   */
  #emit(room: Room, body: Parameters<Room["emit"]>[0], skip?: Member): void {
    const event = room.emit(body, skip);
    if (event.type === "msg") this.#store.append(room.key, event as MessageEvent);
    this.#store.touch(room.key, room.name, room.lastId);
  }

  /** Every other member sharing a room with `member`, with the shared room names; plus itself. */
  #peers(member: Member): Map<Member, string[]> {
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

  #cleanMessage(text: string): string {
    const clean = sanitizeText(text, { multiline: true }).replace(/^\n+|\n+$/g, "");
    if (clean.trim() === "") throw new ChatError("empty_message", "Message is empty");
    const length = [...clean].length;
    if (length > this.maxMessageLength) {
      throw new ChatError(
        "message_too_long",
        `Message is ${length} characters long; the limit is ${this.maxMessageLength}`,
      );
    }
    const lines = clean.split("\n").length;
    if (lines > this.maxMessageLines) {
      throw new ChatError(
        "message_too_long",
        `Message has ${lines} lines; the limit is ${this.maxMessageLines}`,
      );
    }
    return clean;
  }

  #cleanReason(reason: string): string {
    return cleanLine(reason, MAX_REASON_LENGTH);
  }
}

/**
 * The mute entries of a member: its key and, unless `keyOnly`, its address
 * (or, with neither, its id).
 */
function muteIds(member: Member, keyOnly = false): string[] {
  const ids = [];
  if (member.fingerprint) ids.push(`key ${member.fingerprint}`);
  if (member.address && !keyOnly) ids.push(`ip ${member.address}`);
  if (ids.length === 0) ids.push(`member ${member.id}`);
  return ids;
}

/**
 * Where a hello enters the core. Every field is listed (the type insists on
 * it, so a field added later must say how it is made safe): free text is
 * cleaned, the nick is left to {@linkcode normalizeNick}, which refuses an
 * unsafe one rather than change it.
 */
const HELLO_FIELDS: { [K in keyof HelloRequest]-?: (value: HelloRequest[K]) => HelloRequest[K] } = {
  nick: (nick) => nick,
  client: (client) => cleanLine(client, MAX_CLIENT_LENGTH) || "unknown",
  echo: (echo) => echo,
  // Set by the transport, not typed by the peer; cleaned all the same.
  fingerprint: (fingerprint) => fingerprint === undefined ? undefined : cleanLine(fingerprint, 100),
  address: (address) => address === undefined ? undefined : cleanLine(address, 100),
};

function cleanHello(hello: HelloRequest): HelloRequest {
  const clean: Record<string, unknown> = {};
  for (const [field, cleaner] of Object.entries(HELLO_FIELDS)) {
    clean[field] = (cleaner as (value: unknown) => unknown)(hello[field as keyof HelloRequest]);
  }
  return clean as unknown as HelloRequest;
}

/** `2 others: eve, cy`, naming at most ten (`... and 5 more`). */
function countOthers(others: Member[]): string {
  const shown = others.slice(0, 10).map((other) => other.nick).join(", ");
  const more = others.length > 10 ? ` and ${others.length - 10} more` : "";
  return `${others.length} other${others.length === 1 ? "" : "s"}: ${shown}${more}`;
}

function addRegistration(index: Map<string, Registration[]>, registration: Registration): void {
  for (const look of lookAlikeKeys(registration.nick)) {
    const list = index.get(look);
    if (!list) index.set(look, [registration]);
    else if (!list.some((r) => nickKey(r.nick) === nickKey(registration.nick))) {
      list.push(registration);
    }
  }
}

function removeRegistration(index: Map<string, Registration[]>, registration: Registration): void {
  const key = nickKey(registration.nick);
  for (const look of lookAlikeKeys(registration.nick)) {
    const list = index.get(look)?.filter((r) => nickKey(r.nick) !== key);
    if (list?.length) index.set(look, list);
    else index.delete(look);
  }
}

function isAccessStore(store: unknown): store is AccessStore {
  return typeof (store as AccessStore | undefined)?.findBan === "function";
}
