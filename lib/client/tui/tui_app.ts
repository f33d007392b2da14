import { ConnectError } from "../../errors.ts";
import { COMMANDS } from "../../core/commands/default_commands.ts";
import type { WelcomeEvent } from "../../core/events.ts";
import type { ByeFrame } from "../../protocol/wire_frames.ts";
import { type FileCommands, withFileHelp } from "../file_commands.ts";
import { TuiFiles } from "./tui_files.ts";
import type { SessionEvent } from "../session_events.ts";
import type { ClientFrame } from "../../protocol/client_frames.ts";
import { sanitizeText } from "../../core/sanitize.ts";
import { parseTypedLine, type TypedLine } from "../../core/typed_line.ts";
import { ChatView } from "./chat_view.ts";
import { KeyDecoder, type KeyEvent } from "./key_decoder.ts";
import { LineEditor } from "./line_editor.ts";
import { renderScreen, type Screen } from "./render_screen.ts";
import { ScreenWriter, type TerminalIO } from "./terminal.ts";

/** The part of a chat session the UI uses (a `ChatSession`, or a fake in tests). */
export interface TuiSession {
  /** The server's answer to the hello. */
  readonly welcome: WelcomeEvent;
  /** The server's events and the session's status, until it ends. */
  events(): AsyncIterable<SessionEvent>;
  /**
   * Sends, or (for a reconnecting session) queues while offline: "queued"
   * (or "retrying" for a `/nick` that the next attempt to reconnect uses).
   */
  send(frame: ClientFrame): Promise<unknown>;
}

/** Settings of the terminal UI. */
export interface TuiOptions {
  /** Colours and attributes (false for NO_COLOR / --no-color). */
  color: boolean;
  /** Resolves when the process is asked to stop (SIGTERM, SIGHUP). */
  stop?: Promise<unknown>;
  /** The clock, for timestamps. */
  now?: () => number;
  /** Shown under the welcome (e.g. a new server's certificate fingerprint). */
  notices?: string[];
  /** `/send`, `/get`, `/cancel` (absent: those lines go to the server). */
  files?: FileCommands;
}

/** How the UI ended. */
export interface TuiResult {
  /** The server's goodbye, if it sent one. */
  bye?: ByeFrame;
  /** The error that ended the connection, if any. */
  failure?: unknown;
  /** True when the user quit (Ctrl-C, Ctrl-D, /quit, a stop signal). */
  quit: boolean;
}

/** The client's own commands, completed with the server's. */
const FILE_VERBS = ["/send", "/get", "/cancel"];

/** How long a lone ESC waits for the rest of a key's sequence before it is the Escape key. */
const ESC_PAUSE_MS = 50;

/** Coalesces bursts of events into one redraw. */
const RENDER_DELAY_MS = 8;
/** How long to wait for the server's goodbye after asking to quit. */
const QUIT_TIMEOUT_MS = 2000;

/**
 * The full-screen terminal UI: a header, the message pane of the current
 * room, and the input line, redrawn from {@linkcode ChatView} state on every
 * change. The terminal is restored however it ends (the caller also restores
 * it on signals and uncaught errors).
 */
export async function runTui(
  session: TuiSession,
  terminal: TerminalIO,
  options: TuiOptions,
): Promise<TuiResult> {
  const app = new TuiApp(session, terminal, options);
  return await app.run();
}

class TuiApp {
  readonly view = new ChatView();
  readonly editor = new LineEditor();
  readonly #writer: ScreenWriter;
  #screen: Screen | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #completion: { start: number; matches: string[]; index: number } | undefined;
  readonly #files: TuiFiles | undefined;
  #bye: ByeFrame | undefined;
  #failure: unknown;
  /** Set once the terminal is given back: nothing may draw after that. */
  #closed = false;

  constructor(
    readonly session: TuiSession,
    readonly terminal: TerminalIO,
    readonly options: TuiOptions,
  ) {
    this.#writer = new ScreenWriter(terminal);
    this.#files = options.files &&
      new TuiFiles(options.files, this.view, () => this.#requestRender());
  }

  async run(): Promise<TuiResult> {
    this.view.apply(this.session.welcome);
    this.options.files?.observe(this.session.welcome);
    for (const notice of this.options.notices ?? []) this.view.note(notice, "notice");
    this.terminal.enter();
    const unsubscribe = this.terminal.onResize(() => {
      this.#writer.invalidate();
      this.render();
    });
    try {
      this.render();
      const received = this.#receive();
      const typed = this.#readKeys();
      const ended = await Promise.race([
        received.then(() => "connection" as const),
        typed,
        (this.options.stop ?? new Promise(() => {})).then(() => "quit" as const),
      ]);
      if (ended === "quit") {
        this.view.note("Leaving…", "notice");
        this.render();
        await this.session.send({ type: "cmd", name: "quit", args: "" }).catch(() => {});
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          received,
          new Promise((resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS))),
        ]);
        clearTimeout(timer);
        return { quit: true, bye: this.#bye };
      }
      return { quit: this.#bye?.reason === "quit", bye: this.#bye, failure: this.#failure };
    } finally {
      this.#closed = true;
      clearTimeout(this.#timer);
      unsubscribe();
      this.terminal.restore();
    }
  }

  /** Draws now. */
  render(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    this.#screen = renderScreen(this.view, this.editor, this.terminal.size(), {
      color: this.options.color,
      now: this.options.now?.(),
    });
    this.#writer.draw(this.#screen);
  }

  /** Draws soon, once for a burst of changes. */
  #requestRender(): void {
    if (this.#closed) return;
    this.#timer ??= setTimeout(() => this.render(), RENDER_DELAY_MS);
  }

  async #receive(): Promise<void> {
    try {
      for await (const received of this.session.events()) {
        const event = this.options.files ? withFileHelp(received) : received;
        if (event.type === "bye") this.#bye = event;
        this.options.files?.observe(event);
        // A reconnect refused for good (a changed certificate) is the reason
        // to report, not the goodbye that came before it.
        if (event.type === "status" && event.state === "failed" && event.refused) {
          this.#bye = undefined;
          this.#failure = new ConnectError(event.message);
        }
        if (this.view.apply(event) && !this.#closed) this.terminal.write("\x07");
        this.#requestRender();
      }
    } catch (error) {
      this.#failure = error;
    }
    this.view.state = "disconnected";
    this.render();
  }

  async #readKeys(): Promise<"quit"> {
    const decoder = new KeyDecoder();
    const text = new TextDecoder();
    // A lone ESC is the Escape key when nothing follows it soon (a key's
    // sequence arrives at once): reported after a short pause, not at the
    // next key press. (The Escape key never quits.)
    let escTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      for await (const chunk of this.terminal.input()) {
        clearTimeout(escTimer);
        for (const key of decoder.feed(text.decode(chunk, { stream: true }))) {
          if ((await this.handle(key)) === "quit") return "quit";
        }
        this.render();
        if (decoder.waiting) {
          escTimer = setTimeout(async () => {
            for (const key of decoder.flush()) await this.handle(key);
            this.render();
          }, ESC_PAUSE_MS);
        }
      }
      return "quit";
    } finally {
      clearTimeout(escTimer);
    }
  }

  /** Applies one key press or paste. */
  async handle(key: KeyEvent): Promise<"quit" | void> {
    if (!(key.type === "key" && key.name === "tab")) this.#completion = undefined;
    const editor = this.editor;
    switch (key.type) {
      case "text":
      case "paste":
        // Typed or pasted text is shown on our own terminal: tabs become
        // spaces and control or escape sequences are dropped (a paste keeps
        // its line breaks).
        editor.insert(sanitizeText(key.text, { multiline: key.type === "paste" }));
        return;
      case "ctrl":
        return this.#control(key.key);
      case "key":
        break;
    }
    switch (key.name) {
      case "enter":
        return await this.#submit();
      case "tab":
        return this.#complete();
      case "backspace":
        return editor.backspace();
      case "delete":
        return editor.deleteForward();
      case "left":
        return editor.left();
      case "right":
        return editor.right();
      case "home":
        return editor.home();
      case "end":
        return editor.end();
      case "word-left":
        return editor.wordLeft();
      case "word-right":
        return editor.wordRight();
      case "delete-word-back":
        return editor.deleteWordBack();
      case "up":
        return editor.historyUp();
      case "down":
        return editor.historyDown();
      case "pageup":
      case "pagedown": {
        const screen = this.#screen;
        const page = Math.max(1, (screen?.paneRows ?? 10) - 2);
        this.view.scroll(key.name === "pageup" ? page : -page, screen?.maxScroll ?? 0);
        if (key.name === "pageup" && screen?.atTop) {
          // Scrolled past the top: fetch an older page from the server.
          const before = this.view.olderPageBefore();
          const room = this.view.current?.name;
          if (before !== undefined) {
            await this.session.send({ type: "cmd", name: "history", args: `50 ${before}`, room })
              .catch(() => {});
          }
        }
        return;
      }
      case "escape":
        this.#files?.cancel();
        return;
    }
  }

  #control(key: string): "quit" | void {
    const editor = this.editor;
    switch (key) {
      case "c":
        // Ctrl-C stops a transfer under way first; with none, it quits.
        if (this.#files?.cancel()) return;
        return "quit";
      case "d":
        if (editor.empty) return "quit";
        return editor.deleteForward();
      case "a":
        return editor.home();
      case "e":
        return editor.end();
      case "u":
        return editor.killToStart();
      case "k":
        return editor.killToEnd();
      case "w":
        return editor.deleteWordBack();
      case "b":
        return editor.left();
      case "f":
        return editor.right();
      case "n":
        return this.view.cycle(1);
      case "p":
        return this.view.cycle(-1);
      case "l":
        this.#writer.invalidate();
        return;
    }
  }

  async #submit(): Promise<"quit" | void> {
    const text = this.editor.submit();
    if (text.trim() === "") return;
    if (this.#files?.submit(text)) return;
    const room = this.view.current?.name;
    let frame: ClientFrame;
    const parsed = parseTypedLine(text);
    // A multi-line paste is one message, sent as typed (even if it starts with "/").
    const typed: TypedLine = parsed.kind === "command" && text.includes("\n")
      ? { kind: "message", text }
      : parsed;
    if (typed.kind === "command") {
      frame = {
        type: "cmd",
        name: typed.name,
        args: this.#historyArgs(typed.name, typed.args),
        room,
      };
    } else frame = { type: "msg", text: typed.text, room };
    try {
      const result = await this.session.send(frame);
      if (result === "queued") {
        // Shown as typed, marked, in the room it will go to.
        if (frame.type === "msg") this.view.queued(room, frame.text);
        else this.view.note(`Not connected: ${text} is queued, sent once reconnected`, "notice");
      }
    } catch (error) {
      this.view.note(`${(error as Error).message}; the text is back in the input line`, "error");
      this.editor.set(text);
    }
  }

  /**
   * `/history [count]` pages back from the oldest message shown, as PgUp at
   * the top does (the UI shows no ids to page by); anything else goes as typed.
   */
  #historyArgs(name: string, args: string): string {
    const count = /^\s*(\d*)\s*$/.exec(args)?.[1];
    const before = this.view.oldestMessageId();
    if (name.toLowerCase() !== "history" || count === undefined || before === undefined) {
      return args;
    }
    return `${count || 50} ${before}`;
  }

  #complete(): void {
    const editor = this.editor;
    if (!this.#completion) {
      const { start, word } = editor.wordAtCursor();
      if (word === "" && !/^\/send\s/i.test(editor.text)) return;
      const lower = word.toLowerCase();
      let matches: string[];
      const paths = this.#files ? TuiFiles.completePath(editor.text, start, word) : [];
      if (paths.length > 0) {
        matches = paths;
      } else if (start === 0 && word.startsWith("/")) {
        matches = [...COMMANDS.map((c) => `/${c.name}`), ...(this.#files ? FILE_VERBS : [])]
          .filter((name) => name.startsWith(lower))
          .map((name) => `${name} `);
      } else {
        const suffix = start === 0 ? ": " : " ";
        const members = this.view.current?.members ?? [];
        matches = members
          .filter((nick) => nick !== this.view.nick && nick.toLowerCase().startsWith(lower))
          .map((nick) => nick + suffix);
      }
      if (matches.length === 0) return;
      this.#completion = { start, matches, index: 0 };
    } else {
      this.#completion.index = (this.#completion.index + 1) % this.#completion.matches.length;
    }
    const { start, matches, index } = this.#completion;
    editor.replaceBeforeCursor(start, matches[index]);
  }
}
