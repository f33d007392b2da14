/**
 * The page's link to the chat: the terminal client's `ReconnectingSession`
 * (same backoff, offline queue, confirmations and "may arrive twice"
 * warning) over a {@linkcode WebSocketPipe}, feeding a
 * {@linkcode ChatModel}. Typed lines go through the one parser every client
 * uses (`parseTypedLine`), aimed at the conversation shown: a room's name
 * rides along (so `/me` and `/part` act there), and plain text in a private
 * conversation becomes `/msg <nick> <text>`.
 *
 * @module
 */

import { parseTypedLine } from "../core/typed_line.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { ReconnectingSession } from "../client/reconnecting_session.ts";
import { FixedServer } from "../client/resolver.ts";
import { RefusedError } from "../client/chat_session.ts";
import { type Alert, ChatModel } from "./chat_model.ts";
import { webSocketOpener, webSocketUrl } from "./web_socket_pipe.ts";
import { FileUploads, type UploadGrant } from "./file_uploads.ts";
import { FileDownloads } from "./file_downloads.ts";

/** Who the page is to the server: what `ChatSession` needs, and the fingerprint to show. */
export interface WebIdentity {
  /** The raw 32-byte public key, base64url: what the hello carries. */
  publicKey: string;
  /** `SHA256:...`, as the terminal client's `--whoami` shows its own. */
  fingerprint: string;
  /** Whether this visit made the key (the first visit from this browser). */
  created: boolean;
  /** Signs a server's challenge. */
  sign(nonce: string, binding: string): Promise<string>;
}

/** What the hello carries as the client's name. */
export const CLIENT_NAME = "lanchat-web";

/** What `/send` or `/get` typed in the page says. */
export const PAGE_FILES_HINT =
  "To send a file, drop it on the conversation, paste it, or pick it with 📎; " +
  "a shared file's Download button fetches it";

/** Most messages one "load older" asks for. */
export const HISTORY_PAGE = 50;

/** How to join. */
export interface JoinRequest {
  nick: string;
  /** For a private server; kept in memory only, for reconnects. */
  password?: string;
  identity?: WebIdentity;
}

/** Why the first connection failed, in words, and the server's code when it refused. */
export class JoinError extends Error {
  /**
   * Builds the failure.
   *
   * @param code the server's error code (`nick_taken`, `password_required`, ...), or `unreachable`
   */
  constructor(readonly code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JoinError";
  }
}

/** Asks the server what key proofs are bound to (`/binding`: its certificate's fingerprint, or `plain`). */
export async function fetchBinding(): Promise<string> {
  const response = await fetch("/binding", { cache: "no-store" });
  if (!response.ok) throw new Error(`the server answered ${response.status} for /binding`);
  return (await response.text()).trim();
}

/** See the module doc. */
export class WebClient {
  /** What the page shows (a fresh one after {@linkcode WebClient.rejoin}). */
  model: ChatModel = new ChatModel();
  /** What the last connection's key proof was bound to (the server's certificate, or `plain`). */
  binding: string | undefined;
  /** Files being sent from the page (drop, paste, picker). */
  readonly uploads: FileUploads = new FileUploads(
    () => this.changed(),
    (text) => this.model.addInfo(text),
  );
  /** Files being fetched by the page's Download buttons (they go on across conversations). */
  readonly downloads: FileDownloads = new FileDownloads(
    () => this.changed(),
    (text) => this.model.addInfo(text),
  );
  /** The session's upload token and largest file (every welcome brings a new one). */
  grant: UploadGrant | undefined;
  #session: ReconnectingSession | undefined;
  #request: JoinRequest | undefined;
  #rejoining = false;

  /**
   * @param changed called after every change of the model
   * @param alert called for a mention or a private message from someone else
   */
  constructor(
    readonly changed: () => void,
    readonly alert: (alert: Alert) => void = () => {},
  ) {}

  /** Whether a session is running (joined, possibly offline now). */
  get joined(): boolean {
    return this.#session !== undefined;
  }

  /** Whether the session has ended for good (a quit, a refusal, replaced by another tab): nothing more is sent. */
  get ended(): boolean {
    return this.#session !== undefined &&
      (this.#rejoining || this.model.connection.state === "failed");
  }

  /**
   * Starts a new session after the last one ended, as the same nick (the
   * one the server last confirmed), password and key, in a fresh model; the
   * rooms that were open are joined again, the one shown last.
   *
   * @throws {JoinError} when the connection fails or is refused (the old model stays)
   */
  async rejoin(): Promise<void> {
    const request = this.#request;
    if (!request || !this.ended || this.#rejoining) return;
    this.#rejoining = true;
    const old = this.model;
    old.connection = { state: "connecting", message: "Connecting…" };
    this.changed();
    const fresh = new ChatModel();
    fresh.hidden = old.hidden;
    try {
      await this.join({ ...request, nick: old.nick || request.nick }, fresh);
    } catch (error) {
      old.connection = { state: "failed", message: (error as Error).message };
      old.addInfo(`Could not join again: ${(error as Error).message}`, "error");
      this.changed();
      throw error;
    } finally {
      this.#rejoining = false;
    }
    const rooms = old.conversations.filter((c) => c.kind === "room" && !fresh.find(c.key));
    const shown = old.shown;
    // The one shown last, so that it is shown again; the others quietly.
    rooms.sort((a, b) => Number(a.key === shown?.key) - Number(b.key === shown?.key));
    for (const room of rooms) {
      if (room.key !== shown?.key) fresh.quietJoins.add(room.key);
      void this.#session?.send({ type: "cmd", name: "join", args: room.name }).catch(() => {});
    }
  }

  /**
   * Joins the server that served the page; then runs until the session
   * ends (a quit, a final refusal).
   *
   * @throws {JoinError} when the first connection fails or is refused
   */
  async join(request: JoinRequest, model?: ChatModel): Promise<void> {
    const url = webSocketUrl(location);
    const host = location.hostname;
    const port = Number(location.port) || (location.protocol === "https:" ? 443 : 80);
    let session: ReconnectingSession;
    try {
      session = await ReconnectingSession.connect({
        host,
        port,
        nick: request.nick,
        client: CLIENT_NAME,
        ...(request.password ? { password: request.password } : {}),
        ...(request.identity ? { identity: request.identity } : {}),
        openPipe: webSocketOpener(url, async () => (this.binding = await fetchBinding())),
        resolver: new FixedServer({ host, port }),
      });
    } catch (error) {
      const code = error instanceof RefusedError ? error.code : "unreachable";
      const message = error instanceof RefusedError ? error.reason : (error as Error).message;
      throw new JoinError(code, message, { cause: error });
    }
    this.#session = session;
    this.#request = request;
    if (model) this.model = model;
    this.model.connection = { state: "connected", message: "Connected" };
    this.model.apply(session.welcome);
    this.grant = session.welcome.files;
    // The server's own list of commands, for completion (its answer is not shown).
    this.model.helpAsked = true;
    void session.send({ type: "cmd", name: "help", args: "" }).catch(() => {});
    this.changed();
    void this.#run(session);
  }

  async #run(session: ReconnectingSession): Promise<void> {
    const model = this.model;
    try {
      for await (const event of session.events()) {
        if (event.type === "welcome") this.grant = event.files;
        if (event.type === "status" && (event.state === "offline" || event.state === "failed")) {
          this.uploads.lost();
        }
        const alert = model.apply(event);
        if (alert) this.alert(alert);
        this.changed();
      }
    } catch (error) {
      model.addInfo(`The session ended: ${(error as Error).message}`, "error");
    }
    this.uploads.lost();
    if (model.connection.state !== "failed") {
      model.connection = { state: "failed", message: "Disconnected" };
    }
    this.changed();
  }

  /**
   * Sends a line as typed, aimed at the conversation shown. Resolves to
   * false when it was refused (the offline queue is full, or the session
   * has ended: the page says so beside the input); the caller keeps the text.
   */
  async sendLine(line: string): Promise<boolean> {
    const session = this.#session;
    const chat = this.model.shown;
    if (!session || !chat || line.trim() === "" || this.ended) return false;
    const typed = parseTypedLine(line);
    if (typed.kind === "command" && /^(send|get)$/i.test(typed.name)) {
      // The page's files need no command (the server's /send and /get are text clients' hints).
      this.model.addInfo(PAGE_FILES_HINT, "status");
      this.changed();
      return true;
    }
    const frame = this.#frameFor(line);
    if (typeof frame === "string") {
      this.model.addInfo(frame, "error");
      this.changed();
      return false;
    }
    try {
      const outcome = await session.send(frame);
      const text = frame.type === "msg"
        ? frame.text
        : frame.type === "cmd" && frame.name === "msg" && chat.kind === "dm" &&
            parseTypedLine(line).kind === "message"
        ? line
        : undefined;
      if (outcome === "queued" && text !== undefined) this.model.addQueued(chat.key, text);
      if (outcome === "queued" && text === undefined) {
        this.model.addInfo(
          `Not connected: "${line}" will be sent when the connection is back`,
          "status",
        );
      }
    } catch (error) {
      this.model.addInfo((error as Error).message, "error");
      this.changed();
      return false;
    }
    this.changed();
    return true;
  }

  /** Sends files (dropped, pasted or picked) to the conversation shown. */
  sendFiles(files: Iterable<File>): void {
    const chat = this.model.shown;
    if (!chat || this.ended) return;
    const target = chat.kind === "dm" ? { to: chat.name } : { room: chat.name };
    for (const file of files) this.uploads.start(file, target, this.grant);
  }

  /** Asks for the page of messages before the oldest shown in room `key`. */
  loadOlder(key: string): void {
    const room = this.model.find(key);
    if (
      !this.#session || !room || room.kind !== "room" || room.loadingOlder || room.more === false
    ) return;
    if (this.model.connection.state !== "connected") return;
    room.loadingOlder = true;
    const before = this.model.oldestId(key);
    const args = before === undefined ? `${HISTORY_PAGE}` : `${HISTORY_PAGE} ${before}`;
    void this.#session.send({ type: "cmd", name: "history", args, room: room.name }).catch(() => {
      room.loadingOlder = false;
    });
    this.changed();
  }

  /** Leaves for good (the page is closing). */
  close(): void {
    this.#session?.close();
  }

  /** The frame for a typed line, or why it cannot be sent here. */
  #frameFor(line: string): ClientFrame | string {
    const chat = this.model.shown!;
    const typed = parseTypedLine(line);
    if (chat.kind === "dm") {
      if (typed.kind === "message") {
        return { type: "cmd", name: "msg", args: `${chat.name} ${typed.text}` };
      }
      // A private /me: the core's /describe.
      if (typed.name.toLowerCase() === "me") {
        return { type: "cmd", name: "describe", args: `${chat.name} ${typed.args}` };
      }
      return { type: "cmd", name: typed.name, args: typed.args };
    }
    if (typed.kind === "message") return { type: "msg", text: typed.text, room: chat.name };
    // `/history [count]` pages back from the oldest message shown, as in the terminal UI.
    const count = /^\s*(\d*)\s*$/.exec(typed.args)?.[1];
    const oldest = this.model.oldestId(chat.key);
    if (typed.name.toLowerCase() === "history" && count !== undefined && oldest !== undefined) {
      return {
        type: "cmd",
        name: "history",
        args: `${count || HISTORY_PAGE} ${oldest}`,
        room: chat.name,
      };
    }
    return { type: "cmd", name: typed.name, args: typed.args, room: chat.name };
  }
}
