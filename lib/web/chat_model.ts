/**
 * What the page shows, as plain data: the conversations (rooms and private
 * ones, listed alike), their lines, members, unread counts and mention
 * marks, the "new messages" marker, and the connection's state. The
 * session's events go in through {@linkcode ChatModel.apply}; the page
 * renders from the fields. No DOM and no clock of its own (the time of a
 * line comes from the server), so it is unit-tested like the terminal UI's
 * `ChatView`.
 *
 * @module
 */

import type { MessageEvent, RoomSnapshot } from "../core/events.ts";
import { applyAway, awayText, roomTopicText, topicText } from "./chat_status.ts";
import type { SessionEvent } from "../client/session_events.ts";
import {
  type Alert,
  type ChatLine,
  type CommandInfo,
  type ConnectionState,
  type Conversation,
  dmKey,
  type LineKind,
  MAX_LINES,
  mentions,
  MESSAGE_KINDS,
  messageLineKind,
  roomKey,
} from "./conversation.ts";

export * from "./conversation.ts";

/** See the module doc. */
export class ChatModel {
  /** Conversations in the order they were opened. */
  readonly conversations: Conversation[] = [];
  /** The key of the conversation shown. */
  current = "";
  nick = "";
  server = "";
  connection: ConnectionState = { state: "connecting", message: "Connecting…" };
  /** The server's commands, once it listed them. */
  commands: CommandInfo[] = [];
  /** The page is hidden (another tab): everything counts as unread. */
  hidden = false;
  /** Lines that arrived while hidden, for the tab title. */
  unseen = 0;
  /** A `/help` the page asked for itself: its answer feeds completion, unseen. */
  helpAsked = false;
  /** Rooms joined again after a reconnect: their `joined` does not switch the conversation shown. */
  readonly quietJoins: Set<string> = new Set();
  #nextKey = 1;

  /** The conversation shown. */
  get shown(): Conversation | undefined {
    return this.find(this.current);
  }

  /** The conversation with `key`, if open. */
  find(key: string): Conversation | undefined {
    return this.conversations.find((c) => c.key === key);
  }

  /**
   * Applies one of the session's events; returns what deserves a
   * notification (a mention or a private message from someone else).
   */
  apply(event: SessionEvent): Alert | undefined {
    switch (event.type) {
      case "welcome": {
        this.nick = event.nick;
        this.server = event.server;
        const first = this.conversations.length === 0;
        const room = this.#snapshot(event);
        if (first) {
          this.current = room.key;
          // The server's welcome: after the replay, above anything new, never "new" itself.
          if (event.motd) this.#add(room, { kind: "motd", text: event.motd });
        }
        return;
      }
      case "joined":
      case "rejoined": {
        const room = this.#snapshot(event);
        if (event.type === "joined" && !this.quietJoins.delete(room.key)) this.show(room.key);
        return;
      }
      case "parted": {
        const key = roomKey(event.room);
        this.close(key);
        if (this.current === key || !this.find(this.current)) this.show(roomKey(event.current));
        return;
      }
      case "msg":
        return this.#message(event);
      case "dm": {
        const own = event.from === this.nick;
        const other = own ? event.to : event.from;
        const chat = this.#open(dmKey(other), other, "dm");
        this.#settle(chat, event.text);
        const { kind, from: nick, text, ts, file } = event;
        this.#add(chat, { kind: messageLineKind(kind, "dm"), nick, text, ts, own, file });
        if (own) return;
        this.#unread(chat, true);
        return { key: chat.key, title: `${event.from} (private)`, body: event.text };
      }
      case "join": {
        const room = this.#open(roomKey(event.room), event.room, "room");
        if (!room.members.includes(event.nick)) {
          room.members = sorted([...room.members, event.nick]);
        }
        this.#add(room, {
          kind: "event",
          nick: event.nick,
          text: `${event.nick} joined`,
          ts: event.ts,
          id: event.id,
        });
        return;
      }
      case "leave": {
        const room = this.find(roomKey(event.room));
        if (!room) return;
        room.members = room.members.filter((m) => m !== event.nick);
        const why = event.message ? `: ${event.message}` : "";
        const verb = {
          part: "left",
          quit: "quit",
          timeout: "timed out",
          dropped: "was dropped",
          shutdown: "left",
          kicked: "was kicked",
        }[event.reason];
        this.#add(room, {
          kind: "event",
          nick: event.nick,
          text: `${event.nick} ${verb}${why}`,
          ts: event.ts,
          id: event.id,
        });
        return;
      }
      case "nick": {
        if (event.old === this.nick) this.nick = event.new;
        const text = `${event.old} is now known as ${event.new}`;
        for (const name of event.rooms) {
          const room = this.find(roomKey(name));
          if (!room) continue;
          room.members = sorted(room.members.map((m) => (m === event.old ? event.new : m)));
          this.#add(room, { kind: "event", nick: event.new, text, ts: event.ts });
        }
        const dm = this.find(dmKey(event.old));
        if (dm && !this.find(dmKey(event.new))) {
          if (this.current === dm.key) this.current = dmKey(event.new);
          dm.key = dmKey(event.new);
          dm.name = event.new;
          this.#add(dm, { kind: "event", nick: event.new, text, ts: event.ts });
        }
        return;
      }
      case "who": {
        const room = this.find(roomKey(event.room));
        if (room) [room.members, room.away] = [[...event.members], event.away];
        const away = new Set(event.away);
        const names = event.members.map((n) => away.has(n) ? `${n} (away)` : n);
        this.#info(`${event.room} (${event.members.length}): ${names.join(", ")}`);
        return;
      }
      case "rooms":
        this.#info(
          `Rooms: ${
            event.rooms.map((r) => `${r.room} (${r.members})${r.topic ? ` ${r.topic}` : ""}`)
              .join(", ")
          }`,
        );
        return;
      case "topic": {
        const room = this.find(roomKey(event.room));
        if (!room) return;
        room.topic = event.text || undefined;
        this.#add(room, { kind: "event", nick: event.nick, text: topicText(event), ts: event.ts });
        return;
      }
      case "room_topic":
        this.#info(roomTopicText(event));
        return;
      case "away": {
        for (const name of event.rooms) {
          const room = this.find(roomKey(name));
          if (room) applyAway(room, event);
        }
        // Said where it matters: the private conversation with them, or to the user.
        const dm = this.find(dmKey(event.nick));
        if (dm) {
          this.#add(dm, { kind: "event", nick: event.nick, text: awayText(event, this.nick) });
        } else if (event.dm || event.nick === this.nick) this.#info(awayText(event, this.nick));
        return;
      }
      case "help":
        this.commands = event.commands.map(({ name, usage, help }) => ({ name, usage, help }));
        if (this.helpAsked) {
          this.helpAsked = false;
          return;
        }
        this.#info(event.commands.map((c) => `${c.usage} — ${c.help}`).join("\n"));
        return;
      case "history":
        // An --after, --around or --between page says nothing about what is older.
        this.#older(event.room, event.messages, event.query ? undefined : event.more);
        return;
      case "notice":
        this.#info(event.message);
        return;
      case "whois": {
        const parts = [
          `${event.nick}: ${event.client}`,
          event.fingerprint ?? "no key",
          event.registered ? "registered" : "not registered",
          ...(event.operator ? ["operator"] : []),
          ...(event.address ? [event.address] : []),
          ...(event.node ? [`on node ${event.node}`] : []),
          `in ${event.rooms.join(", ") || "no room"}`,
          ...(event.away !== undefined ? [`away: ${event.away}`] : []),
        ];
        this.#info(parts.join("; "));
        return;
      }
      case "bans":
        this.#info(
          event.bans.length === 0
            ? "No bans"
            : event.bans.map((b) =>
              `${b.kind} ${b.value}${b.nick ? ` (${b.nick})` : ""} by ${b.by}${
                b.reason ? `: ${b.reason}` : ""
              }`
            ).join("\n"),
        );
        return;
      case "error":
        this.#info(event.message, "error");
        return;
      case "invalid_frame":
        this.#info(event.message, "error");
        return;
      case "bye":
        if (event.code === "session_replaced") {
          // Said once, in the page's words; the session's "failed" status repeats the server's.
          const message =
            `${this.nick} joined from another tab or device with this key; this tab is disconnected`;
          this.connection = { state: "failed", message, replaced: true };
          this.#info(message, "error");
        } else this.#info(event.message, "status");
        return;
      case "status":
        if (event.state === "offline") {
          this.connection = { state: "offline", message: event.message };
        } else if (event.state === "connected") {
          this.connection = { state: "connected", message: "Connected" };
        } else if (event.state === "failed") {
          if (this.connection.replaced) return;
          this.connection = { state: "failed", message: event.message };
          this.#info(event.message, "error");
        } else this.#info(event.message, "status");
        return;
      default:
        return;
    }
  }

  /** Shows conversation `key`; its unread lines get the "new messages" marker. */
  show(key: string): void {
    const chat = this.find(key);
    if (!chat) return;
    this.current = key;
    if (chat.unread > 0 && !this.hidden) {
      chat.markerBefore = chat.lines.at(-Math.min(chat.unread, chat.lines.length))?.key;
    }
    if (!this.hidden) {
      chat.unread = 0;
      chat.mention = false;
    }
  }

  /** Opens (or shows) the private conversation with `nick`. */
  openDm(nick: string): void {
    this.show(this.#open(dmKey(nick), nick, "dm").key);
  }

  /** Closes a conversation (a private one the user closes, a room left). */
  close(key: string): void {
    const at = this.conversations.findIndex((c) => c.key === key);
    if (at < 0) return;
    this.conversations.splice(at, 1);
    if (this.current === key) {
      const next = this.conversations[Math.max(0, at - 1)];
      if (next) this.show(next.key);
    }
  }

  /** The page became hidden or visible; when visible, the one shown is read. */
  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    if (!hidden) {
      this.unseen = 0;
      this.show(this.current);
    }
  }

  /** A line the user sent while offline: shown as queued until its echo comes. */
  addQueued(key: string, text: string): void {
    const chat = this.find(key);
    if (chat) this.#add(chat, { kind: "queued", nick: this.nick, text, own: true });
  }

  /** A line of the page's own in the conversation shown (a refusal, a hint). */
  addInfo(text: string, kind: LineKind = "notice"): void {
    this.#info(text, kind);
  }

  /** The oldest message id shown in a room (what `/history` pages back from). */
  oldestId(key: string): number | undefined {
    const ids = this.find(key)?.lines.map((l) => l.id).filter((id) => id !== undefined) ?? [];
    return ids.length > 0 ? Math.min(...(ids as number[])) : undefined;
  }

  #message(event: MessageEvent): Alert | undefined {
    const room = this.#open(roomKey(event.room), event.room, "room");
    if (room.lines.some((l) => l.id === event.id && l.kind !== "event")) return;
    const own = event.from === this.nick;
    if (own) this.#settle(room, event.text);
    const mention = !own && mentions(event.text, this.nick);
    this.#add(room, {
      kind: messageLineKind(event.kind),
      nick: event.from,
      text: event.text,
      ts: event.ts,
      id: event.id,
      own,
      mention,
      file: event.file,
    });
    if (own) return;
    this.#unread(room, mention);
    return mention
      ? { key: room.key, title: `${event.from} in ${event.room}`, body: event.text }
      : undefined;
  }

  /** A room's members and history from a welcome, `joined` or rejoin. */
  #snapshot({ room: name, members, history, topic, away }: RoomSnapshot): Conversation {
    const room = this.#open(roomKey(name), name, "room");
    room.members = [...members];
    room.topic = topic?.text;
    room.away = away;
    const known = new Set(room.lines.map((l) => l.id));
    const fresh = history.filter((m) => !known.has(m.id));
    for (const m of fresh) this.#add(room, this.#replayed(m));
    if (fresh.length > 0) room.awaitingLive = true;
    return room;
  }

  /** A message from history (a join's replay, a `/history` page) as a line's fields. */
  #replayed(m: MessageEvent): Partial<ChatLine> & Pick<ChatLine, "kind" | "text"> {
    return {
      kind: messageLineKind(m.kind),
      nick: m.from,
      text: m.text,
      ts: m.ts,
      id: m.id,
      file: m.file,
      own: m.from === this.nick,
      history: true,
    };
  }

  /** Older messages from `/history`, put before what is shown. */
  #older(name: string, messages: MessageEvent[], more: boolean | undefined): void {
    const room = this.find(roomKey(name));
    if (!room) return;
    room.loadingOlder = false;
    if (more !== undefined) room.more = more;
    const oldest = this.oldestId(room.key) ?? Infinity;
    const lines = messages.filter((m) => m.id < oldest).map((m) => this.#line(this.#replayed(m)));
    room.lines.unshift(...lines);
  }

  /** A new message came to `chat`: unread unless it is shown and the page visible. */
  #unread(chat: Conversation, mention: boolean): void {
    if (this.hidden) this.unseen++;
    if (chat.key === this.current && !this.hidden) return;
    if (chat.unread === 0 && chat.key === this.current) chat.markerBefore = chat.lines.at(-1)?.key;
    chat.unread++;
    chat.mention ||= mention || chat.kind === "dm";
  }

  /** The echo of a line sent while offline arrived: its queued stand-in goes. */
  #settle(chat: Conversation, text: string): void {
    const at = chat.lines.findIndex((l) => l.kind === "queued" && l.text === text);
    if (at >= 0) chat.lines.splice(at, 1);
  }

  #open(key: string, name: string, kind: Conversation["kind"]): Conversation {
    let chat = this.find(key);
    if (!chat) {
      chat = {
        key,
        name,
        kind,
        lines: [],
        members: [],
        unread: 0,
        mention: false,
        loadingOlder: false,
      };
      this.conversations.push(chat);
    }
    return chat;
  }

  #info(text: string, kind: LineKind = "notice"): void {
    const chat = this.shown ?? this.conversations[0];
    if (chat) this.#add(chat, { kind, text });
  }

  #line(fields: Partial<ChatLine> & Pick<ChatLine, "kind" | "text">): ChatLine {
    return { own: false, mention: false, history: false, ...fields, key: this.#nextKey++ };
  }

  #add(chat: Conversation, fields: Partial<ChatLine> & Pick<ChatLine, "kind" | "text">): void {
    const line = this.#line(fields);
    if (line.own && !line.history) {
      // The user spoke: everything above has been seen.
      chat.markerBefore = undefined;
      chat.awaitingLive = false;
    } else if (chat.awaitingLive && !line.history && MESSAGE_KINDS.has(line.kind)) {
      // The first message from someone else after replayed history starts what is new.
      chat.markerBefore ??= line.key;
      chat.awaitingLive = false;
    }
    chat.lines.push(line);
    if (chat.lines.length > MAX_LINES) chat.lines.splice(0, chat.lines.length - MAX_LINES);
  }
}

function sorted(nicks: string[]): string[] {
  return [...new Set(nicks)].sort((a, b) => a.localeCompare(b));
}
