/**
 * The screen as a pure function of the UI state and the terminal size: a
 * header, the message pane of the shown room, and the input line(s).
 * Nothing here writes to a terminal; see `terminal_screen.ts` for that.
 *
 * @module
 */

import { formatTime } from "../../protocol/text_format.ts";
import type { ChatView } from "./chat_view.ts";
import type { RoomView, ViewLine } from "./room_pane.ts";
import type { LineEditor } from "./line_editor.ts";
import { sanitizeText } from "../../core/sanitize.ts";
import { graphemes, graphemeWidth, pad, textWidth, truncate, wrapLine } from "./text_width.ts";

/** Terminal size in character cells. */
export interface Size {
  /** Width in cells. */
  columns: number;
  /** Height in cells. */
  rows: number;
}

/** How to draw. */
export interface RenderOptions {
  /** Use SGR colours and attributes (off for NO_COLOR / --no-color). */
  color: boolean;
  /** "Now", for timestamps that need a date. */
  now?: number;
}

/** What the terminal should show. */
export interface Screen {
  /** Exactly `size.rows` rows; with colour they contain SGR sequences. */
  rows: string[];
  /** Where the cursor goes (0-based). */
  cursor: { row: number; column: number };
  /** Furthest the shown room can scroll up, in rows. */
  maxScroll: number;
  /** Rows of the message pane (a page for PgUp/PgDn). */
  paneRows: number;
  /** Whether the pane shows the oldest line the client has (time to fetch older ones). */
  atTop?: boolean;
}

const RESET = "\x1b[0m";
/** Before a message typed while offline, until the server has it. */
export const QUEUED_MARK = "(queued)";
/** What the header says for each connection state. */
const STATE_LABELS: Record<ChatView["state"], string> = {
  connecting: "connecting",
  connected: "connected",
  reconnecting: "reconnecting",
  refused: "refused, retrying",
  disconnected: "disconnected",
};
const NICK_COLORS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/** A stable colour for a nick: the same nick always gets the same one. */
export function nickColor(nick: string): number {
  let hash = 2166136261;
  for (const char of nick.toLowerCase()) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 16777619);
  }
  return NICK_COLORS[(hash >>> 0) % NICK_COLORS.length];
}

/** The nick column's width for a terminal `columns` wide. */
export function nickColumnWidth(columns: number): number {
  return columns >= 70 ? 12 : columns >= 45 ? 8 : columns >= 30 ? 5 : 3;
}

/** Whether timestamps fit: below 30 columns the text needs the room. */
function showTime(columns: number): boolean {
  return columns >= 30;
}

/** Builds the whole screen. */
export function renderScreen(
  view: ChatView,
  editor: LineEditor,
  size: Size,
  options: RenderOptions,
): Screen {
  const style = styler(options.color);
  const columns = Math.max(1, size.columns);
  const room = view.current;
  const prompt = `[${room?.name ?? "…"}${view.transfer ? ` | ${view.transfer}` : ""}] `;
  const input = layoutInput(editor, columns, textWidth(prompt));
  const maxInputRows = Math.max(1, Math.floor(size.rows / 3));
  const inputRows = Math.min(input.rows.length, maxInputRows);
  // Keep the cursor's row visible when the input is taller than its area.
  const inputTop = Math.max(
    0,
    Math.min(input.cursorRow - inputRows + 1, input.rows.length - inputRows),
  );
  const showHeader = size.rows >= 3;
  const paneRows = Math.max(0, size.rows - inputRows - (showHeader ? 1 : 0));

  const rows: string[] = [];
  if (showHeader) rows.push(header(view, columns, style));
  const pane = room ? paneContent(room, columns, paneRows, style, options.now) : {
    rows: [],
    maxScroll: 0,
    atTop: false,
  };
  for (let i = pane.rows.length; i < paneRows; i++) rows.push("");
  rows.push(...pane.rows);
  const promptWidth = textWidth(prompt);
  for (let i = inputTop; i < inputTop + inputRows; i++) {
    const lead = i === 0 ? style(prompt, "1") : " ".repeat(promptWidth);
    rows.push(lead + input.rows[i]);
  }
  return {
    // Whatever happened above, no row may be wider than the terminal.
    rows: rows.slice(0, size.rows).map((row) => fitRow(row, columns)),
    cursor: {
      row: size.rows - inputRows + (input.cursorRow - inputTop),
      column: promptWidth + input.cursorColumn,
    },
    maxScroll: pane.maxScroll,
    paneRows,
    atTop: pane.atTop,
  };
}

/** Wraps text in an SGR attribute (colour, bold), or leaves it plain without colour. */
export type Style = (text: string, sgr: string) => string;

const COLORED: Style = (text, sgr) => (text ? `\x1b[${sgr}m${text}${RESET}` : "");
const PLAIN: Style = (text) => text;

function styler(color: boolean): Style {
  return color ? COLORED : PLAIN;
}

/**
 * Each pane line's rows from its last layout: a redraw (every key press)
 * lays out again only what changed, however long a message is.
 */
const layouts = new WeakMap<
  ViewLine,
  { columns: number; style: Style; time: string | undefined; rows: string[] }
>();

/** {@linkcode layoutLine}, reusing the last layout of the line while nothing it depends on changed. */
function cachedLayout(line: ViewLine, columns: number, style: Style, now?: number): string[] {
  const time = line.ts === undefined ? undefined : formatTime(line.ts, now);
  const last = layouts.get(line);
  if (last && last.columns === columns && last.style === style && last.time === time) {
    return last.rows;
  }
  const rows = layoutLine(line, columns, style, now);
  layouts.set(line, { columns, style, time, rows });
  return rows;
}

function header(view: ChatView, columns: number, style: Style): string {
  const room = view.current;
  const away = room?.away?.length ? `, ${room.away.length} away` : "";
  const members = room
    ? `${room.memberCount} member${room.memberCount === 1 ? "" : "s"}${away}`
    : "";
  // The topic comes last but one: a narrow terminal cuts it, not the state.
  const topic = room?.topic ? truncate(room.topic, Math.max(10, columns >> 1)) : "";
  const leftWith = (state: string) =>
    sanitizeText(
      [` ${view.server || "lanchat"}`, room?.name ?? "", members, topic, state]
        .filter(Boolean)
        .join(" │ "),
    );
  const unread = [...view.rooms.values()]
    .filter((r) => r !== room && r.unread > 0)
    .map((r) => `${r.name} ${r.unread}${r.mentions ? "!" : ""}`)
    .join("  ");
  const right = unread ? `${sanitizeText(unread)} ` : "";
  // After a failover, the server it is on now ("connected to b:7000"), when it fits.
  const label = STATE_LABELS[view.state];
  const onHost = view.host && view.state === "connected"
    ? leftWith(`${label} to ${view.host}`)
    : "";
  const left = onHost && textWidth(onHost) + textWidth(right) < columns ? onHost : leftWith(label);
  const space = columns - textWidth(left) - textWidth(right);
  const text = space >= 1
    ? left + " ".repeat(space) + right
    : pad(truncate(left + " " + right, columns), columns);
  return style(text, "7");
}

/** The pane's rows, newest at the bottom, honouring the room's scroll position. */
function paneContent(
  room: RoomView,
  columns: number,
  height: number,
  style: Style,
  now?: number,
): { rows: string[]; maxScroll: number; atTop: boolean } {
  if (height <= 0) return { rows: [], maxScroll: 0, atTop: false };
  const marker = room.scroll > 0 ? 1 : 0;
  const want = height - marker + room.scroll;
  // Lay out lines from the newest (above any hidden ones) until enough rows.
  const collected: string[][] = [];
  let count = 0;
  let index = room.lines.length - room.hidden - 1;
  for (; index >= 0 && count < want + height; index--) {
    const rows = cachedLayout(room.lines[index], columns, style, now);
    collected.push(rows);
    count += rows.length;
  }
  const all = collected.reverse().flat();
  // If lines remain above, the exact maximum is not known yet; allow a page more.
  const maxScroll = Math.max(0, all.length - (height - 1)) + (index >= 0 ? height : 0);
  const scroll = Math.min(room.scroll, Math.max(0, all.length - (height - marker)));
  const end = all.length - scroll;
  const rows = all.slice(Math.max(0, end - (height - marker)), end);
  const atTop = index < 0 && end - (height - marker) <= 0;
  if (marker) {
    const text = room.newBelow > 0
      ? `${room.newBelow} new message${room.newBelow === 1 ? "" : "s"} below (PgDn)`
      : "more below (PgDn)";
    const label = `── ${text} `;
    const rule = label + "─".repeat(Math.max(0, columns - textWidth(label)));
    rows.push(style(truncate(rule, columns, ""), "1;33"));
  }
  return { rows, maxScroll, atTop };
}

/** One line of the pane, wrapped, with the hanging indent under the nick column. */
export function layoutLine(line: ViewLine, columns: number, style: Style, now?: number): string[] {
  const nickWidth = nickColumnWidth(columns);
  const time = !showTime(columns)
    ? ""
    : line.ts === undefined
    ? "     "
    : formatTime(line.ts, now).padStart(5);
  const timeWidth = time ? textWidth(time) + 1 : 0;
  const indent = timeWidth + nickWidth + 3;
  const textWidthAvailable = Math.max(1, columns - indent);
  const { label, labelStyle, textStyle } = describe(line);
  const nickCell = pad(truncate(label, nickWidth), nickWidth, "right");
  // The separator marks mentions (») and our own lines (┃), with or without colour.
  const separator = line.mention ? " » " : line.own ? " ┃ " : " │ ";
  const head = (time ? style(time, "2") + " " : "") + style(nickCell, labelStyle) +
    style(separator, line.mention ? "1;33" : "2");
  const body = line.kind === "action"
    ? `${line.nick} ${line.text}`
    : line.queued
    ? `${QUEUED_MARK} ${line.text}`
    : line.text;
  const rows: string[] = [];
  for (const paragraph of body.split("\n")) {
    for (const row of wrapLine(paragraph, textWidthAvailable)) {
      rows.push(
        (rows.length === 0 ? head : " ".repeat(indent)) +
          (line.queued ? style(row, "2") : textStyle ? style(row, textStyle) : row),
      );
    }
  }
  return rows;
}

function describe(line: ViewLine): { label: string; labelStyle: string; textStyle: string } {
  switch (line.kind) {
    case "msg": {
      const nick = line.nick ?? "?";
      const labelStyle = line.mention ? "7;1" : `${line.own ? "1;" : ""}${nickColor(nick)}`;
      return { label: nick, labelStyle, textStyle: line.mention ? "1" : "" };
    }
    case "action":
      return { label: "*", labelStyle: `1;${nickColor(line.nick ?? "")}`, textStyle: "3" };
    case "nick_notice":
      // A notice: the nick between dashes, as IRC clients show one.
      return {
        label: `-${line.nick ?? "?"}-`,
        labelStyle: String(nickColor(line.nick ?? "")),
        textStyle: "",
      };
    case "dm": {
      const peer = line.dm?.peer ?? "?";
      return {
        label: line.dm?.outgoing ? `→${peer}` : `${peer}→`,
        labelStyle: "1;35",
        textStyle: "35",
      };
    }
    case "join":
      return { label: "-->", labelStyle: "32", textStyle: "2" };
    case "leave":
      return { label: "<--", labelStyle: "31", textStyle: "2" };
    case "notice":
      return { label: "--", labelStyle: "2", textStyle: "2" };
    case "error":
      return { label: "!", labelStyle: "1;31", textStyle: "31" };
    case "info":
      return { label: "-", labelStyle: "2", textStyle: "36" };
  }
}

/**
 * The input text laid out in rows of `columns - promptWidth` cells, hard
 * wrapped (line breaks from a paste start new rows), with the cursor's row
 * and column.
 */
export function layoutInput(
  editor: LineEditor,
  columns: number,
  promptWidth: number,
): { rows: string[]; cursorRow: number; cursorColumn: number } {
  const width = Math.max(1, columns - promptWidth - 1);
  const rows: string[] = [""];
  let column = 0;
  let cursorRow = 0;
  let cursorColumn = 0;
  const chars = editor.chars;
  for (let i = 0; i <= chars.length; i++) {
    if (i === editor.cursor) {
      cursorRow = rows.length - 1;
      cursorColumn = column;
    }
    if (i === chars.length) break;
    const char = chars[i];
    if (char === "\n") {
      rows.push("");
      column = 0;
      continue;
    }
    const w = graphemeWidth(char);
    if (column + w > width) {
      rows.push("");
      column = 0;
      if (i === editor.cursor) {
        cursorRow = rows.length - 1;
        cursorColumn = 0;
      }
    }
    rows[rows.length - 1] += char;
    column += w;
  }
  return { rows, cursorRow, cursorColumn };
}

/** Cuts a row (which may hold SGR sequences) to `columns` cells. */
export function fitRow(row: string, columns: number): string {
  let width = 0;
  let out = "";
  const parts = row.split(/(\x1b\[[0-9;]*m)/);
  for (const part of parts) {
    if (part.startsWith("\x1b[")) {
      out += part;
      continue;
    }
    for (const grapheme of graphemes(part)) {
      const w = graphemeWidth(grapheme);
      if (width + w > columns) return out + (out.includes("\x1b[") ? RESET : "");
      out += grapheme;
      width += w;
    }
  }
  return out;
}
