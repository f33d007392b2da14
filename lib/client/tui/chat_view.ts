import type { AwayEvent, MessageEvent, RoomSnapshot, SharedFile } from "../../core/events.ts";
import type { SessionEvent } from "../session_events.ts";
import { fileText, formatEvent } from "../../protocol/text_format.ts";
import { foldRoom } from "../../core/room_name.ts";
import {
  dropQueuedLine,
  emptyRoom,
  type LineKind,
  oldestMessageId,
  pushLine,
  type RoomView,
  type ViewLine,
} from "./room_pane.ts";

/** How /help shows /history: in the terminal UI it pages back from what is shown. */
const TUI_HISTORY_USAGE = "/history [count]";
const TUI_HISTORY_HELP =
  "Load older messages above the ones shown (50 by default); PgUp at the top does the same";

/**
 * The connection as the header shows it. `refused`: offline, and the server
 * answers each attempt to come back with a refusal (the nick is taken, it is
 * full); the pane says which.
 */
export type ConnectionState =
  | "connecting"
  | "connected"
  | "reconnecting"
  | "refused"
  | "disconnected";

/**
 * Everything the terminal UI shows, built from server events. Pure: no
 * terminal, no socket. {@linkcode ChatView.apply} returns whether the event
 * deserves the bell.
 */
export class ChatView {
  /** The server's name, from its welcome (empty before it). */
  server = "";
  /** Our nick, as the server knows it. */
  nick = "";
  /** The connection, as the header shows it. */
  state: ConnectionState = "connecting";
  /** A file transfer's progress bar, shown before the input line (absent: none under way). */
  transfer: string | undefined;
  /** The server it failed over to (`host:port`), once it reconnected to another one. */
  host: string | undefined;
  /** Rooms by folded name, in the order they were joined. */
  readonly rooms = new Map<string, RoomView>();
  #current = "";

  /** The room shown. */
  get current(): RoomView | undefined {
    return this.rooms.get(foldRoom(this.#current));
  }

  /** Applies a server event; returns true when it should ring the bell. */
  apply(event: SessionEvent): boolean {
    switch (event.type) {
      case "status":
        if (event.host) this.host = event.host;
        if (event.state !== "warning") {
          this.state = event.state === "connected"
            ? "connected"
            : event.state === "offline"
            ? (event.refusal === undefined ? "reconnecting" : "refused")
            : "disconnected";
        }
        this.note(event.message, event.state === "failed" ? "error" : "notice");
        return false;
      case "welcome": {
        if (this.server) {
          // A reconnection: the rooms are still here; add what was missed,
          // and stay on the room the user was looking at.
          if (event.server !== this.server) {
            this.note(`The server now calls itself ${event.server} (it was ${this.server})`);
            this.server = event.server;
          }
          this.nick = event.nick;
          this.state = "connected";
          // Everyone comes back in the lobby: news only if the user is in it.
          if (this.#room(event.room)) {
            this.#enter(event.room, event.members, event.history, event.memberCount, false);
            this.#status(event);
          }
          return false;
        }
        this.server = event.server;
        this.nick = event.nick;
        this.state = "connected";
        const room = this.#enter(event.room, event.members, event.history, event.memberCount);
        this.#status(event);
        room.lines.push({ kind: "info", text: `Welcome to ${event.server}, ${event.nick}!` });
        for (const line of (event.motd ?? "").split("\n").filter(Boolean)) {
          room.lines.push({ kind: "info", text: `motd: ${line}` });
        }
        room.lines.push({
          kind: "info",
          text:
            "Type /help for commands; Tab completes; PgUp/PgDn scroll; Ctrl-N/Ctrl-P switch rooms",
        });
        return false;
      }
      case "joined": {
        const room = this.#enter(event.room, event.members, event.history, event.memberCount);
        this.#status(event);
        // Where the eye is: which room this is, who is in it, its topic (as a text client is told).
        for (const text of formatEvent({ ...event, history: [] })) {
          pushLine(room, { kind: "info", text });
        }
        return false;
      }
      case "rejoined":
        // Back in a room after a reconnect: not a room change.
        this.#enter(event.room, event.members, event.history, event.memberCount, false);
        this.#status(event);
        return false;
      case "invalid_frame":
        this.note(`${event.message} (ignored)`, "error");
        return false;
      case "parted":
        this.rooms.delete(foldRoom(event.room));
        if (foldRoom(this.#current) === foldRoom(event.room)) this.switchTo(event.current);
        this.note(`You left ${event.room}`);
        return false;
      case "msg":
        return this.#message(event, false);
      case "join": {
        const room = this.#room(event.room);
        if (!room) return false;
        if (!room.members.includes(event.nick)) {
          room.members = [...room.members, event.nick].sort();
          room.memberCount++;
        }
        pushLine(room, {
          kind: "join",
          ts: event.ts,
          text: `${event.nick} joined ${event.room}`,
        });
        return false;
      }
      case "leave": {
        const room = this.#room(event.room);
        if (!room) return false;
        room.members = room.members.filter((m) => m !== event.nick);
        room.memberCount = Math.max(room.members.length, room.memberCount - 1);
        const how = event.code === "banned" ? "was banned" : {
          part: `left ${event.room}`,
          quit: "quit",
          timeout: "timed out",
          dropped: "was dropped",
          shutdown: "left: server shutting down",
          kicked: "was kicked",
        }[event.reason];
        const detail = event.message ? ` (${event.message})` : "";
        pushLine(room, { kind: "leave", ts: event.ts, text: `${event.nick} ${how}${detail}` });
        return false;
      }
      case "nick": {
        if (event.old === this.nick) this.nick = event.new;
        for (const name of event.rooms) {
          const room = this.#room(name);
          if (!room) continue;
          room.members = room.members.map((m) => (m === event.old ? event.new : m)).sort();
          pushLine(room, {
            kind: "notice",
            ts: event.ts,
            text: `${event.old} is now known as ${event.new}`,
          });
        }
        return false;
      }
      case "dm": {
        const outgoing = event.from === this.nick;
        const room = this.current;
        if (!room) return false;
        pushLine(room, {
          kind: "dm",
          ts: event.ts,
          nick: event.from,
          dm: { peer: outgoing ? event.to : event.from, outgoing },
          // A private /me reads as one: "* ana waves"; a notice as "-ana- hello".
          text: event.kind === "action"
            ? `* ${event.from} ${shownText(event)}`
            : event.kind === "notice"
            ? `-${event.from}- ${shownText(event)}`
            : shownText(event),
          own: outgoing,
        });
        return !outgoing;
      }
      case "topic": {
        const room = this.#room(event.room);
        if (!room) return false;
        room.topic = event.text || undefined;
        pushLine(room, {
          kind: "notice",
          ts: event.ts,
          text: event.text
            ? `${event.nick} set the topic: ${event.text}`
            : `${event.nick} cleared the topic`,
        });
        return false;
      }
      case "room_topic":
      case "rooms":
        for (const line of formatEvent(event)) this.note(line);
        return false;
      case "away":
        this.#away(event);
        return false;
      case "who": {
        const room = this.#room(event.room);
        if (room) {
          room.members = event.members;
          room.memberCount = event.members.length;
          room.away = event.away;
        }
        for (const line of formatEvent(event)) this.note(line);
        return false;
      }
      case "help":
        for (const c of event.commands) {
          // The terminal UI shows no message ids: its /history pages back from what is shown.
          const [usage, help] = c.name === "history" ? [TUI_HISTORY_USAGE, TUI_HISTORY_HELP] : [
            c.usage,
            c.help,
          ];
          this.note(`${usage} — ${help}${c.op ? " (operators only)" : ""}`);
        }
        return false;
      case "notice":
        // The pane marks notices itself; the text form's "* " would double it.
        this.note(event.message);
        return false;
      case "whois":
      case "bans":
        for (const line of formatEvent(event)) this.note(line);
        return false;
      case "challenge":
        return false;
      case "pong":
        this.note("pong");
        return false;
      case "ping":
        return false;
      case "history": {
        const room = this.#room(event.room);
        if (!room) return false;
        // Scrolling to the top asks by itself; otherwise someone typed /history.
        const typed = !room.olderPending;
        // Older messages go above what is shown.
        const older = event.messages.map((m) => this.#messageLine(m, true));
        // Only what is older than what we show (a page can overlap the replay).
        const oldest = oldestMessageId(room) ?? Infinity;
        const added = older.filter((l) => (l.id ?? 0) < oldest);
        room.lines.unshift(...added);
        room.olderPending = false;
        // An --after, --around or --between page says nothing about the beginning.
        const paging = event.query === undefined;
        if (paging && !event.more && !room.atBeginning) {
          room.atBeginning = true;
          room.lines.unshift({ kind: "notice", text: `── the beginning of ${event.room} ──` });
        }
        // What was added is above, out of sight: say so where the eye is.
        if (typed) {
          const n = added.length;
          pushLine(room, {
            kind: "info",
            text: n > 0
              ? `${n} older message${n === 1 ? "" : "s"} added above (PgUp to read)`
              : paging && (!event.more || room.atBeginning)
              ? `No older messages: that is the beginning of ${room.name}`
              : "Those messages are shown already; /history without an id loads the ones above",
          });
        }
        return false;
      }
      case "error":
        this.note(event.message, "error");
        return false;
      case "bye":
        this.note(event.message, "notice");
        return false;
    }
  }

  /** Adds a local line to the shown room. */
  note(text: string, kind: LineKind = "info"): void {
    const room = this.current;
    if (room) pushLine(room, { kind, text });
  }

  /**
   * Shows a message typed while offline in `roomName`, marked as queued,
   * until the server has it (its echo replaces the line).
   */
  queued(roomName: string | undefined, text: string): void {
    const room = roomName === undefined ? this.current : this.#room(roomName);
    if (room) pushLine(room, { kind: "msg", nick: this.nick, text, own: true, queued: true });
  }

  /** Shows the room `name` (if joined); clears its unread counts. */
  switchTo(name: string): void {
    const room = this.rooms.get(foldRoom(name));
    if (!room) return;
    this.#current = room.name;
    room.unread = 0;
    room.mentions = 0;
  }

  /** Shows the next (1) or previous (-1) joined room. */
  cycle(delta: number): void {
    const names = [...this.rooms.values()].map((r) => r.name);
    if (names.length < 2) return;
    const index = names.findIndex((n) => foldRoom(n) === foldRoom(this.#current));
    this.switchTo(names[(index + delta + names.length) % names.length]);
  }

  /** Scrolls the shown room by `rows` (positive: back in time), within `[0, max]`. */
  scroll(rows: number, max: number): void {
    const room = this.current;
    if (!room) return;
    room.scroll = Math.max(0, Math.min(max, room.scroll + rows));
    if (room.scroll === 0) {
      room.hidden = 0;
      room.newBelow = 0;
    }
  }

  /** The id of the oldest message the shown room holds (undefined: none). */
  oldestMessageId(): number | undefined {
    return oldestMessageId(this.current);
  }

  /**
   * The id to page back from when the shown room is scrolled to its top,
   * or undefined when there is nothing to ask (asked already, at the
   * beginning, or no message shown yet). Marks the request as pending.
   */
  olderPageBefore(): number | undefined {
    const room = this.current;
    if (!room || room.olderPending || room.atBeginning) return undefined;
    const oldest = oldestMessageId(room);
    if (oldest === undefined || oldest <= 1) return undefined;
    room.olderPending = true;
    return oldest;
  }

  /** Whether `text` from someone else mentions our nick as a word. */
  mentions(text: string): boolean {
    if (!this.nick) return false;
    // Nicks hold letters, digits, "_", "-" and "."; only "." is special in a
    // pattern (and "\\-" is invalid with the "u" flag).
    const escaped = this.nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, "iu").test(text);
  }

  #message(event: MessageEvent, history: boolean): boolean {
    const room = this.#room(event.room);
    if (!room) return false;
    const line = this.#messageLine(event, history);
    if (line.own && event.kind === "say") dropQueuedLine(room, line.text);
    pushLine(room, line);
    if (room !== this.current) {
      room.unread++;
      if (line.mention) room.mentions++;
    }
    return line.mention === true && !history;
  }

  /** A message as a pane line: cleaned, and marked as ours or as mentioning us. */
  #messageLine(event: MessageEvent, history: boolean): ViewLine {
    const own = event.from === this.nick;
    return {
      kind: event.kind === "action" ? "action" : event.kind === "notice" ? "nick_notice" : "msg",
      ts: event.ts,
      nick: event.from,
      text: shownText(event),
      own,
      mention: !own && this.mentions(event.text),
      history,
      id: event.id,
    };
  }

  #enter(
    name: string,
    members: string[],
    history: MessageEvent[],
    memberCount = members.length,
    show = true,
  ): RoomView {
    let room = this.rooms.get(foldRoom(name));
    if (!room) {
      room = emptyRoom(name);
      room.lines.push(...history.map((message) => this.#messageLine(message, true)));
      if (history.length > 0) {
        const n = history.length;
        room.lines.push({
          kind: "notice",
          text: `── ${n === 1 ? "1 message" : `${n} messages`} from before you joined ──`,
        });
      }
      this.rooms.set(foldRoom(name), room);
    } else {
      // Back after a reconnection: the history holds only what we missed.
      for (const message of history) pushLine(room, this.#messageLine(message, true));
    }
    room.members = [...members];
    room.memberCount = Math.max(memberCount, room.members.length);
    if (show || !this.current) this.switchTo(name);
    return room;
  }

  /** A room's topic and away members, as a welcome or joined snapshot says. */
  #status(snapshot: RoomSnapshot): void {
    const room = this.#room(snapshot.room);
    if (!room) return;
    room.topic = snapshot.topic?.text;
    room.away = snapshot.away;
  }

  /** Someone went away or came back: the rooms' lists, and a line where it concerns us. */
  #away(event: AwayEvent): void {
    for (const name of event.rooms) {
      const room = this.#room(name);
      if (!room) continue;
      const others = (room.away ?? []).filter((nick) => nick !== event.nick);
      room.away = event.message === undefined ? others : [...others, event.nick].sort();
    }
    const shown = this.current;
    const here = shown !== undefined &&
      event.rooms.some((r) => foldRoom(r) === foldRoom(shown.name));
    if (!event.dm && !here && event.nick !== this.nick) return;
    const [text] = formatEvent(event);
    if (shown) {
      pushLine(shown, { kind: "notice", ts: event.ts, text: text.replace(/^\[[^\]]*\] \* /, "") });
    }
  }

  #room(name: string): RoomView | undefined {
    return this.rooms.get(foldRoom(name));
  }
}

/** A message's text as shown: a shared file as its name, size, type and `/get <id>`. */
function shownText(event: { text: string; file?: SharedFile }): string {
  return event.file ? fileText(event.file) : event.text;
}
