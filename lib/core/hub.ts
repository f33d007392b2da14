import { ChatError, NickError } from "../errors.ts";
import { COMMANDS, findCommand, parseArgs, usageOf } from "./commands.ts";
import {
  type ChatEvent,
  type LeaveReason,
  type MessageEvent,
  type NickEvent,
  PROTOCOL_VERSION,
  type RoomSnapshot,
} from "./events.ts";
import { Member, type MemberSink } from "./member.ts";
import { nickKey, normalizeNick, suggestNick } from "./nick.ts";
import { type HistoryStore, MemoryStore } from "./history_store.ts";
import { Room } from "./room.ts";
import { TokenBucket } from "./token_bucket.ts";
import { excerpt, sanitizeText } from "./sanitize.ts";

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
  /** Members at once; more are refused with `server_full`. */
  maxClients?: number;
  /**
   * Joins and leaves are announced only in rooms of at most this many
   * members, and welcomes list at most this many members: in a room of
   * thousands, every join told to everyone would cost the square of the
   * room's size.
   */
  announceLimit?: number;
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
  readonly maxMessageLength: number;
  readonly maxMessageLines: number;
  readonly maxNickLength: number;
  readonly rateLimit: RateLimit | false;
  readonly #now: () => number;
  readonly #store: HistoryStore;
  readonly #storePrivate: boolean;
  readonly #members = new Map<string, Member>();
  readonly #rooms = new Map<string, Room>();
  #nextMemberId = 1;

  constructor(options: HubOptions = {}) {
    this.serverName = options.serverName ?? "lanchat";
    this.motd = options.motd || undefined;
    this.historySize = options.historySize ?? 50;
    this.maxClients = options.maxClients ?? 1000;
    this.maxRooms = options.maxRooms ?? 1000;
    this.announceLimit = options.announceLimit ?? 200;
    this.maxMessageLength = options.maxMessageLength ?? 4000;
    this.maxMessageLines = options.maxMessageLines ?? 20;
    this.maxNickLength = Math.min(64, options.maxNickLength ?? 24);
    this.rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    this.#now = options.now ?? Date.now;
    this.#store = options.store ?? new MemoryStore();
    this.#storePrivate = options.storePrivate ?? false;
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
  join(hello: HelloRequest, sink: MemberSink): Member {
    const nick = normalizeNick(hello.nick, this.maxNickLength);
    const key = nickKey(nick);
    if (this.#members.has(key)) {
      const suggestion = this.#suggest(nick);
      throw new NickError(
        "nick_taken",
        `Nick "${nick}" is taken; try "${suggestion}"`,
        suggestion,
      );
    }
    if (this.#members.size >= this.maxClients) {
      throw new ChatError("server_full", `Server is full (${this.maxClients} clients)`);
    }
    const member = new Member(
      this.#nextMemberId++,
      nick,
      key,
      hello.client,
      sink,
      hello.echo ?? true,
    );
    const lobby = this.#roomOrCreate(LOBBY);
    this.#members.set(key, member);
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
    if (line.startsWith("/") && !line.startsWith("//")) {
      const match = /^\/(\S*)\s*([\s\S]*)$/.exec(line)!;
      return this.command(member, match[1], match[2], roomName);
    }
    return this.message(member, line.startsWith("//") ? line.slice(1) : line, roomName);
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
      }, parsed);
    }, findCommand(name)?.name !== "quit");
  }

  /** Sends a message (or `/me` action) to a room the member is in. */
  say(member: Member, text: string, room: Room, kind: "say" | "action" = "say"): void {
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
    const nick = normalizeNick(raw, this.maxNickLength);
    const key = nickKey(nick);
    const holder = this.#members.get(key);
    if (holder && holder !== member) {
      const suggestion = this.#suggest(nick);
      throw new NickError("nick_taken", `Nick "${nick}" is taken; try "${suggestion}"`, suggestion);
    }
    if (nick === member.nick) throw new ChatError("bad_args", `You are already "${nick}"`);
    const old = member.nick;
    this.#members.delete(member.key);
    member.nick = nick;
    member.key = key;
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
    this.#removeFromRoom(member, room, "part", reason ? this.#cleanReason(reason) : undefined);
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
    const list = name ? [findCommand(name.replace(/^\//, ""))] : COMMANDS;
    if (!list[0]) {
      throw new ChatError("unknown_command", `Unknown command "${excerpt(name ?? "")}"`);
    }
    member.sink.deliver({
      type: "help",
      commands: list.map((c) => ({ name: c!.name, usage: usageOf(c!), help: c!.help })),
    });
  }

  /** The member leaves at its own request; its connection is closed. */
  quit(member: Member, reason?: string): void {
    this.leave(member, "quit", reason ? this.#cleanReason(reason) : undefined);
    member.sink.end({ type: "bye", reason: "quit", message: "Goodbye" });
  }

  /**
   * Removes a member from every room and the server, telling each room why.
   * Safe to call more than once.
   */
  leave(member: Member, reason: LeaveReason, message?: string): void {
    if (member.gone) return;
    member.gone = true;
    for (const room of [...member.rooms.values()]) {
      this.#removeFromRoom(member, room, reason, message);
    }
    member.current = undefined;
    if (this.#members.get(member.key) === member) this.#members.delete(member.key);
  }

  /** Tells every member the server is going away and ends their connections. */
  shutdown(message = "Server shutting down"): void {
    for (const member of [...this.#members.values()]) {
      member.gone = true;
      member.sink.end({ type: "bye", reason: "shutdown", message });
    }
    this.#members.clear();
    this.#rooms.clear();
  }

  #suggest(nick: string): string {
    return suggestNick(nick, (n) => this.#members.has(nickKey(n)), this.maxNickLength);
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
      message:
        `Slow down: at most ${limit.rate} messages a second (bursts of ${limit.burst}); not sent, try again in ${wait} s`,
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
    if (!ROOM_PATTERN.test(name)) {
      throw new ChatError(
        "bad_room",
        `Room name "${
          sanitizeText(trimmed).slice(0, 40)
        }" must be "#" and 1 to 32 letters, digits, "_", "-" or "."`,
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
      room = new Room(name, key, this.historySize, stored);
      this.#rooms.set(key, room);
    }
    return room;
  }

  #removeFromRoom(member: Member, room: Room, reason: LeaveReason, message?: string): void {
    room.remove(member);
    member.rooms.delete(room.key);
    if (room.members.size < this.announceLimit) {
      this.#emit(room, {
        type: "leave",
        ts: this.#now(),
        nick: member.nick,
        reason,
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
    if (room.members.size > this.announceLimit) return;
    this.#emit(room, { type: "join", ts: this.#now(), nick: member.nick }, member);
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
    return [...sanitizeText(reason)].slice(0, 200).join("").trim();
  }
}
