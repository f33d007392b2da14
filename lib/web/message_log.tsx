/// <reference lib="dom" />
/** @jsxImportSource preact */
/**
 * The conversation shown: its lines (each as text, never as HTML; the
 * nick in a `<bdi>`, the text with `dir="auto"`, so no bidi control can
 * turn the line around), the "new messages" marker, and the "load older"
 * trigger that pages back with `/history` when the reader scrolls to the top
 * (or at once, while everything fits on screen, to learn whether the room
 * has anything older; if not, the log says it starts here).
 *
 * @module
 */

import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { ChatLine, Conversation } from "./chat_model.ts";
import { nickColorClass } from "./nick_color.ts";
import { FileShown } from "./file_view.tsx";
import type { FileDownloads } from "./file_downloads.ts";

/** `14:05`, or `Nov 24 14:05` for another day, in the reader's time zone. */
export function formatTime(ts: number, now: number = Date.now()): string {
  const date = new Date(ts);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (new Date(now).toDateString() === date.toDateString()) return time;
  const month = date.toLocaleString("en", { month: "short" });
  return `${month} ${date.getDate()} ${time}`;
}

const FLAGS = { "data-own": "false", "data-mention": "false", "data-history": "false" };

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function Line({ line, downloads }: { line: ChatLine; downloads: FileDownloads }) {
  if (line.kind === "motd") {
    // The server's welcome, not a message: a box of its own, no time, no nick.
    return (
      <li class="line kind-motd" data-testid="message" data-kind="motd" data-nick="" {...FLAGS}>
        <span class="motd-label">Message of the day</span>
        <span class="text" dir="auto" data-testid="message-text">{line.text}</span>
      </li>
    );
  }
  const classes = [
    "line",
    `kind-${line.kind}`,
    line.own ? "own" : "",
    line.mention ? "mention" : "",
    line.history ? "history" : "",
  ].filter(Boolean).join(" ");
  const nick = line.nick !== undefined && line.kind !== "event"
    ? (
      <bdi class={`nick ${nickColorClass(line.nick)}`} data-testid="message-nick">
        {line.kind === "action"
          ? `* ${line.nick}`
          : line.kind === "nick_notice"
          ? `-${line.nick}-`
          : line.nick}
      </bdi>
    )
    : null;
  return (
    <li
      class={classes}
      data-testid="message"
      data-kind={line.kind}
      data-nick={line.nick ?? ""}
      data-own={String(line.own)}
      data-mention={String(line.mention)}
      data-history={String(line.history)}
      {...(line.id !== undefined ? { "data-id": String(line.id) } : {})}
    >
      {line.ts !== undefined
        ? (
          <time
            class="time"
            dateTime={new Date(line.ts).toISOString()}
            data-testid="message-time"
          >
            {formatTime(line.ts)}
          </time>
        )
        : <span class="time" />}
      {nick}
      <span class="text" dir="auto" data-testid="message-text">
        {line.file ? <FileShown file={line.file} downloads={downloads} /> : line.text}
      </span>
      {line.kind === "queued" ? <span class="queued-note">(waiting to be sent)</span> : null}
    </li>
  );
}

/** The lines of `chat`; asks for older ones (`onOlder`) when scrolled to the top. */
export function MessageLog(
  { chat, onOlder, downloads }: {
    chat: Conversation;
    onOlder: () => void;
    downloads: FileDownloads;
  },
) {
  const box = useRef<HTMLDivElement>(null);
  /** Whether the reader was at the bottom before this render (then stay there). */
  const stuck = useRef(true);
  const firstKey = useRef<number | undefined>(undefined);
  const heightBefore = useRef(0);
  // Older messages can be asked for from a message shown (a room with none
  // has nothing to page back from: a new, empty room offers no button).
  const canLoad = chat.kind === "room" && chat.more !== false &&
    (chat.more === true || chat.lines.some((line) => line.id !== undefined));

  // Before the DOM changes: remember the height, to keep the view when older lines come in above.
  heightBefore.current = box.current?.scrollHeight ?? 0;

  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    const first = chat.lines[0]?.key;
    const prepended = firstKey.current !== undefined && first !== undefined &&
      first < firstKey.current;
    firstKey.current = first;
    if (prepended && !stuck.current) {
      element.scrollTop += element.scrollHeight - heightBefore.current;
    } else if (stuck.current) element.scrollTop = element.scrollHeight;
    // Everything fits: no scrolling up will ask for more, so ask now (for
    // what is older than a message shown). The answer either fills the log
    // or says this is the start of the room.
    const fits = element.scrollHeight <= element.clientHeight + 1;
    if (canLoad && !chat.loadingOlder && fits && chat.lines.some((l) => l.id !== undefined)) {
      onOlder();
    }
  });

  useEffect(() => {
    stuck.current = true;
    firstKey.current = undefined;
    const element = box.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [chat.key]);

  const onScroll = () => {
    const element = box.current;
    if (!element) return;
    stuck.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    if (element.scrollTop < 40 && canLoad && !chat.loadingOlder) onOlder();
  };

  return (
    <div
      class="log"
      ref={box}
      onScroll={onScroll}
      role="log"
      aria-live="polite"
      aria-label={`Messages in ${chat.name}`}
      data-testid="message-log"
      tabIndex={0}
    >
      {canLoad
        ? (
          <button
            type="button"
            class="load-older"
            data-testid="load-older"
            disabled={chat.loadingOlder}
            onClick={onOlder}
          >
            {chat.loadingOlder ? "Loading older messages…" : "Load older messages"}
          </button>
        )
        : chat.kind === "room" && chat.more === false
        ? <p class="log-start" data-testid="history-start">This is the start of {chat.name}</p>
        : null}
      <ul class="lines">
        {chat.lines.map((line) => [
          line.key === chat.markerBefore
            ? (
              <li
                key={`marker-${line.key}`}
                class="marker"
                role="separator"
                data-testid="new-messages-marker"
              >
                New messages
              </li>
            )
            : null,
          <Line key={line.key} line={line} downloads={downloads} />,
        ])}
      </ul>
    </div>
  );
}
