/**
 * The chat core's entry point: members come and go, their lines become
 * messages or commands, and every failure becomes an `error` event for the
 * sender alone.
 *
 * @module
 */

import { runRequest } from "./member_requests.ts";
import { type CheckedTarget, checkFileTarget, type FileTarget, shareFile } from "./file_share.ts";
import { followAccess } from "./access_follow.ts";
import { ChatError, clusterUnavailable } from "./errors.ts";
import { type AccessStore, MemoryAccessStore, readAccess } from "./state/access_store.ts";
import { Announcements } from "./announcements.ts";
import { type ChatServices, chatServices } from "./chat_services.ts";
import {
  type CommandContext,
  type CommandRegistry,
  parseArgs,
  unknownCommand,
} from "./command_registry.ts";
import { defaultCommands } from "./commands/default_commands.ts";
import type { ByeEvent, LeaveReason, MessageEvent, MessageKind, SharedFile } from "./events.ts";
import type { RoomSnapshot, WelcomeEvent } from "./events.ts";
import { PROTOCOL_VERSION } from "./events.ts";
import {
  DEFAULT_HISTORY_MEMORY_BYTES,
  type HistoryBudget,
  MemoryBudget,
  messageBytes,
} from "./history.ts";
import { type HistoryStore, MemoryStore } from "./state/history_store.ts";
import {
  cleanHello,
  cleanMessage,
  DEFAULT_RATE_LIMIT,
  type HelloRequest,
  type HubOptions,
  MAX_SERVER_NAME_LENGTH,
  type RateLimit,
} from "./hub_options.ts";
import { Member, type MemberSink } from "./member.ts";
import { Mutes } from "./mutes.ts";
import { foldNick, normalizeNick } from "./nick.ts";
import { NickClaims, REPLACED_BYE } from "./nick_claims.ts";
import type { Room } from "./room.ts";
import { LOBBY, RoomDirectory } from "./room_directory.ts";
import { RemoteRoster } from "./remote_roster.ts";
import { cleanLine, sanitizeText } from "./sanitize.ts";
import { LocalPresence, type Presence } from "./state/presence.ts";
import { LocalRoomLog } from "./state/room_log.ts";
import { rateLimiter } from "./rate_limit.ts";
import { isPlainMessage, parseTypedLine } from "./typed_line.ts";

export {
  DEFAULT_RATE_LIMIT,
  type HelloRequest,
  type HubOptions,
  type RateLimit,
} from "./hub_options.ts";
export { LOBBY } from "./room_directory.ts";

/**
 * The chat core: members, rooms, nicks, commands and history. It knows
 * nothing about sockets or clocks; transports hand it requests and receive
 * events through each member's {@linkcode MemberSink}. Every room event runs
 * to completion synchronously, which is what keeps each room in one order.
 *
 * @example
 * ```ts
 * const hub = new Hub({ serverName: "office" });
 * const ana = hub.join({ nick: "ana", client: "test" }, { deliver: console.log, end() {} });
 * hub.input(ana, "hello");
 * ```
 */
export class Hub {
  /** The server's name, shown in every welcome. */
  readonly serverName: string;
  /** The message of the day, shown in every welcome. */
  readonly motd: string | undefined;
  /** Members at once. */
  readonly maxClients: number;
  /** Longest message, in characters. */
  readonly maxMessageLength: number;
  /** Most lines in one message. */
  readonly maxMessageLines: number;
  /** Longest nick, in code points. */
  readonly maxNickLength: number;
  /** Each member's rate limit, or `false`. */
  readonly rateLimit: RateLimit | false;
  readonly #now: () => number;
  readonly #store: HistoryStore;
  readonly #historyBudget: HistoryBudget<MessageEvent>;
  readonly #access: AccessStore;
  readonly #operators: ReadonlySet<string>;
  readonly #commands: CommandRegistry;
  readonly #presence: Presence;
  #operatorsOnline = 0; // For LUSERS (every IRC welcome): counted, not looked for.
  readonly #announcements: Announcements;
  readonly #rooms: RoomDirectory;
  readonly #mutes: Mutes;
  readonly #claims: NickClaims;
  /** What command handlers may use. */
  readonly #chat: ChatServices;
  #nextMemberId = 1;
  /** Charges a request to the member's rate limit: whether it may run (rate_limit.ts). */
  readonly #allowed: (member: Member) => boolean;
  readonly #welcomeFiles: HubOptions["welcomeFiles"];

  /** The commands members may type (a front end may add its own verbs). */
  get commands(): CommandRegistry {
    return this.#commands;
  }

  /** A hub with `options`; every one has a default. */
  constructor(options: HubOptions = {}) {
    // The operator's words pass the same cleaning as a peer's.
    this.serverName = cleanLine(options.serverName ?? "", MAX_SERVER_NAME_LENGTH) || "lanchat";
    this.motd = sanitizeText(options.motd ?? "", { multiline: true }).trim() || undefined;
    this.maxClients = options.maxClients ?? 1000;
    this.maxMessageLength = options.maxMessageLength ?? 4000;
    this.maxMessageLines = options.maxMessageLines ?? 20;
    this.maxNickLength = Math.min(64, options.maxNickLength ?? 24);
    this.rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    const now = this.#now = options.now ?? Date.now;
    this.#allowed = rateLimiter(this.rateLimit, now, (member, bye) => {
      this.#disconnect(member, "dropped", "flooding", bye);
    });
    const historyMemory = options.historyMemoryBytes ?? DEFAULT_HISTORY_MEMORY_BYTES;
    this.#historyBudget = { budget: new MemoryBudget(historyMemory), sizeOf: messageBytes };
    this.#store = options.store ?? new MemoryStore(undefined, historyMemory);
    this.#access = options.access ??
      (isAccessStore(options.store) ? options.store : new MemoryAccessStore());
    this.#operators = new Set(options.operators ?? []);
    this.#welcomeFiles = options.welcomeFiles;
    this.#commands = options.commands ?? defaultCommands();
    this.#presence = options.presence ?? new LocalPresence();
    this.#announcements = new Announcements(
      options.announceRate ?? (options.rateLimit === false ? false : { rate: 1, burst: 20 }),
      now,
    );
    this.#rooms = new RoomDirectory({
      maxRooms: options.maxRooms ?? 1000,
      historySize: options.historySize ?? 50,
      announceLimit: options.announceLimit ?? 200,
      announcements: this.#announcements,
      store: this.#store,
      budget: this.#historyBudget,
      log: options.roomLog ?? new LocalRoomLog(),
      now,
      changed: (member) => this.#presence.changed?.(member),
    });
    this.#mutes = new Mutes(now, options.mutes);
    this.#claims = new NickClaims(this.#presence, this.#access, this.maxNickLength);
    this.#chat = chatServices({
      commands: this.#commands,
      presence: this.#presence,
      rooms: this.#rooms,
      access: this.#access,
      history: this.#store,
      storePrivate: options.storePrivate ?? false,
      mutes: this.#mutes,
      claims: this.#claims,
      maxNickLength: this.maxNickLength,
      maxMessageLength: this.maxMessageLength,
      maxMessageLines: this.maxMessageLines,
      now,
      say: (member, text, room, kind) => this.#say(member, text, room, kind),
      leave: (member, reason, message, banned) => this.leave(member, reason, message, banned),
      disconnect: (member, reason, message, bye, banned) =>
        this.#disconnect(member, reason, message, bye, banned),
    });
    followAccess(this.#chat, this.#access, options.mutes);
    this.#presence.bind?.(new RemoteRoster(this.#rooms, this.#chat));
  }

  /** Bytes of replay history kept in memory, its bound, and how many messages the bound evicted. */
  get historyMemory(): { usedBytes: number; maxBytes: number; evicted: number } {
    const { usedBytes, maxBytes, evicted } = this.#historyBudget.budget;
    return { usedBytes, maxBytes, evicted };
  }

  /** Members currently connected. */
  get size(): number {
    return this.#presence.size;
  }

  /** How many members, rooms and operators there are now (IRC's LUSERS). */
  census(): { members: number; rooms: number; operators: number } {
    return {
      members: this.#presence.size,
      rooms: this.#rooms.size,
      operators: this.#operatorsOnline,
    };
  }

  /** Every member online (a read-only view, for the IRC codec's WHO of a mask). */
  members(): Iterable<Member> {
    return this.#presence.all();
  }

  /** Looks a member up by nick, ignoring case and normalisation. */
  member(nick: string): Member | undefined {
    return this.#presence.find(foldNick(nick));
  }

  /** Looks a room up by name, ignoring case. */
  room(name: string): Room | undefined {
    return this.#rooms.find(name);
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
    const folded = foldNick(nick);
    const operator = hello.fingerprint !== undefined && this.#operators.has(hello.fingerprint);
    // Operators are named by fingerprint, so a ban on their address does not lock them out.
    const ban = operator
      ? undefined
      : readAccess(() => this.#access.findBan(hello.fingerprint, hello.address));
    if (ban) {
      throw new ChatError(
        "banned",
        `You are banned from this server${ban.reason ? `: ${ban.reason}` : ""}`,
      );
    }
    const ghost = this.#claims.claim(nick, folded, hello.fingerprint);
    if (!ghost && this.#presence.size >= this.maxClients) {
      throw new ChatError("server_full", `Server is full (${this.maxClients} clients)`);
    }
    if (ghost) this.#disconnect(ghost, "dropped", "replaced by a new connection", REPLACED_BYE);
    const member = new Member(
      this.#nextMemberId++,
      nick,
      folded,
      hello.client,
      sink,
      hello.echo ?? true,
    );
    member.fingerprint = hello.fingerprint;
    member.address = hello.address;
    member.operator = operator;
    if (operator) this.#operatorsOnline++;
    const lobby = this.#rooms.open(LOBBY);
    this.#presence.add(member);
    this.#rooms.enter(member, lobby);
    member.current = lobby;
    // Field by field, in the order native clients see (motd goes before nick): no spread
    // objects per join. The nick is set on the next lines.
    const welcome = {
      type: "welcome",
      protocol: PROTOCOL_VERSION,
      server: this.serverName,
    } as Omit<WelcomeEvent, keyof RoomSnapshot>;
    if (this.motd) welcome.motd = this.motd;
    welcome.nick = nick;
    const rateLimit = this.rateLimit;
    if (rateLimit) welcome.rateLimit = { rate: rateLimit.rate, burst: rateLimit.burst };
    if (this.#welcomeFiles && hello.uploads !== false) welcome.files = this.#welcomeFiles(member);
    sink.deliver(this.#rooms.snapshotInto(lobby, welcome));
    this.#rooms.announceJoin(lobby, member);
    return member;
  }

  /** {@linkcode Hub.join} once a cluster's presence claimed the nick (a promise then). */
  enter(raw: HelloRequest, sink: MemberSink): Member | Promise<Member> {
    const { nick: typed, fingerprint } = cleanHello(raw);
    const nick = normalizeNick(typed, this.maxNickLength);
    return this.#claims.enter(nick, foldNick(nick), fingerprint, () => this.join(raw, sink));
  }

  /**
   * Handles a line as typed: a `/command`, or a message to `roomName` (the
   * member's current room by default). `//text` sends `/text` literally.
   * Errors go to the member as `error` events; returns whether it succeeded
   * (a promise when it waits on a store, or behind a request that does).
   */
  input(member: Member, line: string, roomName?: string): boolean | Promise<boolean> {
    if (isPlainMessage(line)) return this.message(member, line, roomName);
    const typed = parseTypedLine(line);
    return typed.kind === "command"
      ? this.command(member, typed.name, typed.args, roomName)
      : this.message(member, typed.text, roomName);
  }

  /**
   * Charges a request a front end answers itself (an IRC client's LUSERS,
   * ISON, MOTD, an unknown command) to the member's rate limit, in turn
   * with its other requests, exactly as a command is charged: whether it
   * may be answered (refused or disconnected past the limit).
   */
  charge(member: Member): boolean | Promise<boolean> {
    return this.#attempt(member, () => {});
  }

  /** Sends `text` literally (never as a command) to `roomName` or the current room. */
  message(member: Member, text: string, roomName?: string): boolean | Promise<boolean> {
    return runRequest(member, this.#sayRequest, this.#allowed, member, text, roomName);
  }

  /** A message as a request: one function for all, not a closure a line. */
  readonly #sayRequest = (member: Member, text: string, roomName: string | undefined) =>
    this.#say(member, text, this.#rooms.target(member, roomName), "say");

  /** Where `member` may send a file, or why not (`file_share.ts`); charges nothing. */
  checkFileTarget(member: Member, target: FileTarget): CheckedTarget {
    return checkFileTarget(this.#chat, member, target);
  }

  /** Announces a file `member` uploaded, as a request of its own (`file_share.ts`). */
  shareFile(
    member: Member,
    target: FileTarget,
    file: SharedFile,
    text: string,
  ): boolean | Promise<boolean> {
    return this.#attempt(member, () => shareFile(this.#chat, member, target, file, text));
  }

  /** Runs the command `name` with the argument string `args`. */
  command(
    member: Member,
    name: string,
    args: string,
    roomName?: string,
  ): boolean | Promise<boolean> {
    const command = this.#commands.find(name, member);
    return this.#attempt(member, () => {
      if (!command) throw unknownCommand(this.#commands, name, member);
      if (command.op && !member.operator) {
        throw new ChatError(
          "not_operator",
          `/${command.name} is for operators only (the server names them with --op)`,
        );
      }
      const parsed = parseArgs(command, args);
      // The room is resolved only by commands that use it, so /quit or /nick
      // work whatever room the frame named.
      const rooms = this.#rooms;
      const context: CommandContext = {
        member,
        get room() {
          return rooms.target(member, roomName);
        },
        flags: parsed.flags,
        chat: this.#chat,
        reply: (event) => member.sink.deliver(event),
      };
      return command.run(context, parsed.args);
    }, command?.name !== "quit");
  }

  /** The member leaves at its own request; its connection is closed. */
  quit(member: Member, reason?: string): void {
    this.#disconnect(member, "quit", this.#chat.leaveReason(member, reason), {
      type: "bye",
      reason: "quit",
      message: "Goodbye",
    });
  }

  /**
   * Removes a member from every room and the server, telling each room why.
   * Safe to call more than once.
   */
  leave(member: Member, reason: LeaveReason, message?: string, banned = false): void {
    if (member.gone) return;
    if (member.remote) return member.remote.disconnect(reason, message, undefined, banned);
    member.gone = true;
    for (const room of [...member.rooms.values()]) {
      this.#rooms.exit(member, room, reason, message, banned);
    }
    member.current = undefined;
    if (member.operator) this.#operatorsOnline--;
    this.#presence.remove(member);
  }

  /** Tells every member the server is going away and ends their connections. */
  shutdown(message = "Server shutting down"): void {
    for (const member of [...this.#presence.all()]) {
      member.gone = true;
      member.sink.end({ type: "bye", reason: "shutdown", message });
    }
    this.#presence.clear();
    this.#operatorsOnline = 0;
    this.#rooms.clear();
  }

  /**
   * Sums up held-back joins and leaves of rooms that may announce again.
   * Call it now and then (the server does, about once a second).
   */
  tick(): void {
    this.#announcements.tick();
  }

  /** Writes what the store still holds in memory (at shutdown). */
  closeStore(): void {
    this.#store.close();
  }

  /**
   * Sends a message (or `/me` action, or notice) to a room the member is in.
   * A shared room log answers with a promise: the request is done when it is
   * stored, and refused with `cluster_unavailable` when it could not be.
   */
  #say(member: Member, text: string, room: Room, kind: MessageKind): void | Promise<void> {
    this.#mutes.refuse(member);
    const clean = cleanMessage(text, this.maxMessageLength, this.maxMessageLines);
    const stored = this.#rooms.emit(
      room,
      { type: "msg", ts: this.#now(), from: member.nick, text: clean, kind },
      member.echo ? undefined : member,
    );
    return stored?.then(() => {}, clusterUnavailable);
  }

  #disconnect(
    member: Member,
    reason: LeaveReason,
    message: string | undefined,
    bye: ByeEvent,
    banned = false,
  ): void {
    if (member.remote) return member.remote.disconnect(reason, message, bye, banned);
    this.leave(member, reason, message, banned);
    member.sink.end(bye);
  }

  /** The member's request, in turn, and charged unless `charge` is false (member_requests.ts). */
  #attempt(
    member: Member,
    action: () => void | Promise<void>,
    charge = true,
  ): boolean | Promise<boolean> {
    return runRequest(member, action, charge ? this.#allowed : () => true);
  }
}

function isAccessStore(store: unknown): store is AccessStore {
  return typeof (store as AccessStore | undefined)?.findBan === "function";
}
