/// <reference lib="dom" />
/** @jsxImportSource preact */
/**
 * The chat's header: the rooms drawer's toggle (with the count of unread
 * lines elsewhere, so a phone shows it), the conversation's name, the
 * connection's state (always visible: a dot and a word on a phone, the
 * session's own words on a desktop), the members toggle (a people icon and
 * the count) and the settings button.
 *
 * @module
 */

import type { ChatModel, ConnectionState } from "./chat_model.ts";

/** Which panel is open: a drawer (rooms, members) or the settings. */
export type Panel = "none" | "rooms" | "members" | "settings";

/** The element each panel's toggle controls (its `id`). */
export const PANEL_IDS: Record<Exclude<Panel, "none">, string> = {
  rooms: "sidebar",
  members: "members",
  settings: "settings",
};

/** The connection's state in a word, for where the session's sentence does not fit. */
const STATE_WORDS: Record<ConnectionState["state"], string> = {
  connecting: "Connecting",
  connected: "Connected",
  offline: "Offline",
  failed: "Failed",
};

/** Two people: what the members button shows beside the count. */
function PeopleIcon() {
  return (
    <svg
      class="icon"
      viewBox="0 0 24 24"
      width="18"
      height="18"
      aria-hidden="true"
      focusable="false"
    >
      <circle cx="9" cy="8" r="3.5" fill="currentColor" />
      <path d="M2 20c0-3.9 3.1-7 7-7s7 3.1 7 7z" fill="currentColor" />
      <circle cx="16.5" cy="7" r="3" fill="currentColor" opacity="0.7" />
      <path
        d="M14.6 12.3c.6-.2 1.2-.3 1.9-.3 3.6 0 6.5 2.9 6.5 6.5V20h-5.2c0-3-1.2-5.7-3.2-7.7z"
        fill="currentColor"
        opacity="0.7"
      />
    </svg>
  );
}

/** See the module doc. */
export function Header(
  { model, panel, toggle }: { model: ChatModel; panel: Panel; toggle: (p: Panel) => void },
) {
  const chat = model.shown;
  const elsewhere = model.conversations.filter((c) => c.key !== model.current);
  const unread = elsewhere.reduce((sum, c) => sum + c.unread, 0);
  const mention = elsewhere.some((c) => c.unread > 0 && c.mention);
  const members = chat?.kind === "room" ? chat.members.length : 0;
  return (
    <header class="top">
      <button
        type="button"
        class="toggle rooms-toggle"
        aria-expanded={panel === "rooms"}
        aria-controls={PANEL_IDS.rooms}
        data-testid="rooms-toggle"
        onClick={() => toggle("rooms")}
      >
        <span aria-hidden="true">☰</span> <span class="label">Rooms</span>
        {unread > 0
          ? (
            <>
              <span
                class={`unread ${mention ? "unread-mention" : ""}`}
                data-testid="rooms-unread"
                aria-hidden="true"
              >
                {unread > 99 ? "99+" : unread}
              </span>
              <span class="visually-hidden">
                , {unread} unread{mention ? ", mentions you" : ""}
              </span>
            </>
          )
          : null}
      </button>
      <h1 class="title">
        <bdi>{chat?.name ?? model.server}</bdi>
        <span class="server">
          <bdi>{model.server}</bdi> as <bdi>{model.nick}</bdi>
        </span>
        {chat?.kind === "room" && chat.topic
          ? (
            <span class="topic" data-testid="room-topic" title={chat.topic}>
              <bdi>{chat.topic}</bdi>
            </span>
          )
          : null}
      </h1>
      <ConnectionBadge connection={model.connection} />
      {chat?.kind === "room"
        ? (
          <button
            type="button"
            class="toggle members-toggle"
            aria-expanded={panel === "members"}
            aria-controls={PANEL_IDS.members}
            aria-label={`${members} ${members === 1 ? "member" : "members"}`}
            data-testid="members-toggle"
            onClick={() => toggle("members")}
          >
            <PeopleIcon />
            <span class="count">{members}</span>
          </button>
        )
        : null}
      <button
        type="button"
        class="toggle"
        aria-expanded={panel === "settings"}
        aria-controls={PANEL_IDS.settings}
        data-testid="settings-button"
        onClick={() => toggle("settings")}
        aria-label="Settings"
      >
        <span aria-hidden="true">⚙</span> <span class="label">Settings</span>
      </button>
    </header>
  );
}

function ConnectionBadge({ connection }: { connection: ConnectionState }) {
  const { state, message } = connection;
  const words = state === "connected" ? "Connected" : message;
  return (
    <p
      class={`connection state-${state}`}
      role="status"
      aria-live="polite"
      title={words}
      data-testid="connection-state"
      data-state={state}
    >
      <span class="dot" aria-hidden="true" />
      <span class="connection-word" aria-hidden="true">{STATE_WORDS[state]}</span>
      <span class="connection-text">{words}</span>
    </p>
  );
}
