/// <reference lib="dom" />
/** @jsxImportSource preact */
/**
 * The page: the join form (nick, and the password of a private server),
 * then the chat: conversations in a sidebar (unread counts, mention
 * marks), the one shown with its members, the input, the connection's
 * state always in the header, and the settings (the key's fingerprint,
 * notifications). Every string from the server is rendered as text.
 *
 * @module
 */

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Conversation } from "./chat_model.ts";
import { Composer } from "./composer.tsx";
import { Header, type Panel, PANEL_IDS } from "./header.tsx";
import { MessageLog } from "./message_log.tsx";
import { DownloadList, dropTarget, UploadList } from "./file_view.tsx";
import { nickColorClass } from "./nick_color.ts";
import { Settings } from "./settings.tsx";
import { JoinError, WebClient } from "./web_client.ts";
import type { IdentityOutcome } from "./web_identity.ts";

const NICK_KEY = "lanchat.nick";

/** After switching conversation by an action whose control goes away (a member, joining a room): type there next. */
function focusInput(): void {
  document.querySelector<HTMLElement>('[data-testid="message-input"]')?.focus();
}

/** The page's title without unread count. */
const TITLE = "lanchat";

/** See the module doc. */
export function App({ identity }: { identity: IdentityOutcome }) {
  const [, setVersion] = useState(0);
  const client = useMemo(
    () =>
      new WebClient(() => setVersion((v) => v + 1), (alert) => {
        if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
        if (!document.hidden && document.hasFocus()) return;
        const note = new Notification(alert.title, { body: alert.body, tag: alert.key });
        note.onclick = () => {
          globalThis.focus();
          client.model.show(alert.key);
          setVersion((v) => v + 1);
        };
      }),
    [],
  );
  const model = client.model;

  useEffect(() => {
    const visibility = () => {
      model.setHidden(document.hidden);
      setVersion((v) => v + 1);
    };
    document.addEventListener("visibilitychange", visibility);
    globalThis.addEventListener("pagehide", () => client.close());
    return () => document.removeEventListener("visibilitychange", visibility);
  }, []);

  const unseen = model.unseen;
  useEffect(() => {
    document.title = unseen > 0
      ? `(${unseen}) ${TITLE}`
      : model.server
      ? `${model.server} – ${TITLE}`
      : TITLE;
  });

  if (!client.joined) return <JoinForm client={client} identity={identity} />;
  return <Chat client={client} identity={identity} refresh={() => setVersion((v) => v + 1)} />;
}

function JoinForm({ client, identity }: { client: WebClient; identity: IdentityOutcome }) {
  const [nick, setNick] = useState(() => localStorage.getItem(NICK_KEY) ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<JoinError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const needsPassword = error?.code === "password_required" || error?.code === "access_denied";

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      localStorage.setItem(NICK_KEY, nick.trim());
      await client.join({
        nick: nick.trim(),
        password: password === "" ? undefined : password,
        identity: identity.identity,
      });
    } catch (caught) {
      setError(caught instanceof JoinError ? caught : new JoinError("unreachable", String(caught)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="join">
      <form class="join-form" onSubmit={submit} aria-label="Join the chat" data-testid="join-form">
        <h1>lanchat</h1>
        <label for="nick">Nick</label>
        <input
          id="nick"
          name="nick"
          value={nick}
          onInput={(e) => setNick(e.currentTarget.value)}
          required
          maxLength={64}
          autoComplete="nickname"
          autoCapitalize="off"
          spellcheck={false}
          autoFocus
          data-testid="nick-input"
          aria-invalid={error !== undefined && !needsPassword}
        />
        <label for="password">
          Password <span class="hint">(private servers only)</span>
        </label>
        <input
          id="password"
          name="password"
          type="password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          autoComplete="current-password"
          data-testid="password-input"
          aria-invalid={needsPassword}
        />
        <button type="submit" disabled={busy} data-testid="join-button">
          {busy ? "Joining…" : "Join"}
        </button>
        {error ? <p class="error" role="alert" data-testid="join-error">{error.message}</p> : null}
      </form>
    </main>
  );
}

function Chat(
  { client, identity, refresh }: {
    client: WebClient;
    identity: IdentityOutcome;
    refresh: () => void;
  },
) {
  const model = client.model;
  const chat = model.shown;
  // The nick the server confirmed (after `/nick`) is the one the join form offers next time,
  // stored in the same commit that shows the change (not after the paint).
  useLayoutEffect(() => {
    if (model.nick !== "") localStorage.setItem(NICK_KEY, model.nick);
  }, [model.nick]);
  const [panel, setPanel] = useState<Panel>("none");
  const [dropping, setDropping] = useState(false);
  const toggle = (which: Panel) => setPanel(panel === which ? "none" : which);
  usePanelFocus(panel, () => setPanel("none"));
  const open = (key: string) => {
    model.show(key);
    setPanel("none");
    refresh();
  };
  const nicks = chat?.kind === "dm"
    ? [chat.name]
    : (chat?.members ?? []).filter((n) => n !== model.nick);

  return (
    <div class={`chat panel-${panel}`}>
      <Header model={model} panel={panel} toggle={toggle} />
      <Sidebar client={client} open={open} refresh={refresh} />
      <main
        class={`conversation${dropping ? " dropping" : ""}`}
        aria-label={chat ? `Conversation ${chat.name}` : "Conversation"}
        data-testid="conversation"
        {...dropTarget(client, setDropping)}
      >
        {chat
          ? (
            <MessageLog
              chat={chat}
              onOlder={() => client.loadOlder(chat.key)}
              downloads={client.downloads}
            />
          )
          : null}
        <EndedBanner client={client} />
        <UploadList uploads={client.uploads} />
        <DownloadList downloads={client.downloads} />
        <Composer
          label={chat ? `Message ${chat.name}` : "Message"}
          commands={model.commands}
          nicks={nicks}
          onSend={(line) => client.sendLine(line)}
          {...(client.grant ? { onFiles: (files: File[]) => client.sendFiles(files) } : {})}
        />
      </main>
      {chat?.kind === "room"
        ? (
          <Members
            chat={chat}
            self={model.nick}
            onPick={(nick) => {
              model.openDm(nick);
              setPanel("none");
              refresh();
              focusInput();
            }}
          />
        )
        : null}
      {panel === "rooms" || panel === "members"
        ? (
          // A phone's drawer (the members' up to 1000 px wide) closes on a tap beside it.
          <div
            class={`backdrop backdrop-${panel}`}
            data-testid="drawer-backdrop"
            aria-hidden="true"
            onClick={() => setPanel("none")}
          />
        )
        : null}
      {panel === "settings"
        ? <Settings identity={identity} binding={client.binding} onClose={() => setPanel("none")} />
        : null}
    </div>
  );
}

/**
 * Once the session has ended for good (a quit, a refusal, another tab with
 * the same key): why, that typed lines stay in the box, and a button that
 * joins again without reloading the page.
 */
function EndedBanner({ client }: { client: WebClient }) {
  const [busy, setBusy] = useState(false);
  if (!client.ended && !busy) return null;
  const { message, replaced } = client.model.connection;
  const again = async () => {
    setBusy(true);
    try {
      await client.rejoin();
      focusInput();
    } catch {
      // The model says why (a line in the log and the header).
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="ended" role="alert" data-testid="session-ended">
      <p>
        {busy ? "Joining again…" : message}
        {busy
          ? null
          : <span class="hint">Nothing more is sent; what you type stays in the box.</span>}
      </p>
      <button type="button" disabled={busy} data-testid="reconnect-button" onClick={again}>
        {replaced ? "Use lanchat here" : "Join again"}
      </button>
    </div>
  );
}

/**
 * Keyboard use of the panels: opening one moves the focus into it, Escape
 * closes it, and closing gives the focus back to its toggle (when the
 * focus would otherwise be lost with the panel).
 */
function usePanelFocus(panel: Panel, close: () => void): void {
  const before = useRef<Panel>("none");
  useEffect(() => {
    const was = before.current;
    before.current = panel;
    if (panel !== "none") {
      document.getElementById(PANEL_IDS[panel])?.focus();
    } else if (was !== "none") {
      const id = PANEL_IDS[was];
      const active = document.activeElement;
      const lost = active === null || active === document.body ||
        document.getElementById(id)?.contains(active) === true;
      const opener = document.querySelector<HTMLElement>(`[aria-controls="${id}"]`);
      if (lost && opener && opener.offsetParent !== null) opener.focus();
    }
    if (panel === "none") return;
    const onKey = (event: KeyboardEvent) => {
      // The completion list takes its own Escape first.
      if (event.key !== "Escape" || event.defaultPrevented) return;
      event.preventDefault();
      close();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [panel]);
}

function Sidebar(
  { client, open, refresh }: {
    client: WebClient;
    open: (key: string) => void;
    refresh: () => void;
  },
) {
  const model = client.model;
  const [room, setRoom] = useState("");
  const join = async (event: Event) => {
    event.preventDefault();
    const name = room.trim();
    if (name === "") return;
    if (await client.sendLine(`/join ${name.startsWith("#") ? name : `#${name}`}`)) {
      setRoom("");
      focusInput();
    }
  };
  const item = (c: Conversation) => (
    <li key={c.key}>
      <button
        type="button"
        class={`room ${c.key === model.current ? "current" : ""} ${c.mention ? "has-mention" : ""}`}
        aria-current={c.key === model.current ? "page" : undefined}
        data-testid="room-item"
        data-room={c.name}
        data-kind={c.kind}
        data-unread={String(c.unread)}
        onClick={() => open(c.key)}
      >
        <bdi class={c.kind === "dm" ? `name ${nickColorClass(c.name)}` : "name"}>{c.name}</bdi>
        {c.mention
          ? (
            <span class="mention-mark" data-testid="mention-marker" aria-label="mentions you">
              @
            </span>
          )
          : null}
        {c.unread > 0
          ? (
            <span class="unread" data-testid="unread-count" aria-label={`${c.unread} unread`}>
              {c.unread}
            </span>
          )
          : null}
      </button>
    </li>
  );
  const rooms = model.conversations.filter((c) => c.kind === "room");
  const dms = model.conversations.filter((c) => c.kind === "dm");
  const current = model.shown;
  return (
    <nav id="sidebar" class="sidebar" aria-label="Conversations" tabIndex={-1}>
      <h2>Rooms</h2>
      <ul class="rooms" data-testid="room-list">{rooms.map(item)}</ul>
      <form class="join-room" onSubmit={join}>
        <input
          value={room}
          onInput={(e) => setRoom(e.currentTarget.value)}
          placeholder="#room"
          aria-label="Room to join"
          data-testid="join-room-input"
          autoCapitalize="off"
        />
        <button type="submit" data-testid="join-room-button">Join</button>
      </form>
      <h2>Private</h2>
      {dms.length > 0
        ? <ul class="rooms" data-testid="dm-list">{dms.map(item)}</ul>
        : <p class="hint">Pick a member to talk in private</p>}
      {current
        ? (
          <button
            type="button"
            class="leave"
            data-testid="leave-button"
            title={current.kind === "room" ? `Leave ${current.name}` : `Close ${current.name}`}
            onClick={() => {
              if (current.kind === "room") void client.sendLine("/part");
              else {
                model.close(current.key);
                refresh();
              }
            }}
          >
            {current.kind === "room" ? `Leave ${current.name}` : `Close ${current.name}`}
          </button>
        )
        : null}
    </nav>
  );
}

function Members(
  { chat, self, onPick }: { chat: Conversation; self: string; onPick: (nick: string) => void },
) {
  const away = new Set(chat.away);
  const mark = (nick: string) =>
    away.has(nick)
      ? <span class="away" data-testid="away-mark" title="away" aria-label="away">(away)</span>
      : null;
  return (
    <aside id="members" class="members" aria-label={`Members of ${chat.name}`} tabIndex={-1}>
      <h2>Members ({chat.members.length})</h2>
      <ul data-testid="member-list">
        {chat.members.map((nick) => (
          <li key={nick} data-testid="member" data-nick={nick}>
            {nick === self
              ? (
                <span class="member self">
                  <bdi class={`nick ${nickColorClass(nick)}`}>{nick}</bdi>
                  <span class="you">(you)</span>
                  {mark(nick)}
                </span>
              )
              : (
                <button
                  type="button"
                  class="member"
                  onClick={() => onPick(nick)}
                  aria-label={`Talk to ${nick} in private`}
                >
                  <bdi class={`nick ${nickColorClass(nick)}`}>{nick}</bdi>
                  {mark(nick)}
                </button>
              )}
          </li>
        ))}
      </ul>
    </aside>
  );
}
