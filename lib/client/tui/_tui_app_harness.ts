/**
 * Test-only: runs the terminal UI on a fake terminal against a fake
 * session, for the runTui() tests.
 *
 * @module
 */

import type { FileCommands } from "../file_commands.ts";
import assert from "node:assert/strict";
import type { MessageEvent, WelcomeEvent } from "../../core/events.ts";
import type { ServerFrame } from "../../protocol/wire_frames.ts";
import type { ClientFrame } from "../../protocol/client_frames.ts";
import { FakeTerminal } from "./_fake_terminal.ts";
import { runTui, type TuiResult, type TuiSession } from "./tui_app.ts";

/** The clock the UI is given: 09:15 on 24 November 2026. */
export const NOW: number = new Date(2026, 10, 24, 9, 15).getTime();
/** The Enter key, as a terminal sends it. */
export const ENTER = "\r";
/** The Tab key. */
export const TAB = "\t";
/** The Up arrow key. */
export const UP = "\x1b[A";
/** The Page Up key. */
export const PAGE_UP = "\x1b[5~";
/** The Page Down key. */
export const PAGE_DOWN = "\x1b[6~";
/** Ctrl-C. */
export const CTRL_C = "\x03";

/** A chat session whose events the test emits and whose sent frames it reads. */
export class FakeSession implements TuiSession {
  /** Every frame the UI sent, in order. */
  readonly sent: ClientFrame[] = [];
  #events: ServerFrame[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  /** Answer `/quit` with a goodbye and the end of the stream, as the server does. */
  answerQuit = true;

  /**
   * Builds a session that the server welcomed with `welcome`.
   *
   * @param welcome the server's answer to the hello
   */
  constructor(readonly welcome: WelcomeEvent) {}

  /** Delivers `events` to the UI, as if the server sent them. */
  emit(...events: ServerFrame[]): void {
    this.#events.push(...events);
    this.#wake?.();
  }

  /** Ends the event stream, as when the server closes the connection. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *events(): AsyncIterable<ServerFrame> {
    while (true) {
      const event = this.#events.shift();
      if (event) {
        yield event;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  send(frame: ClientFrame): Promise<void> {
    this.sent.push(frame);
    if (this.answerQuit && frame.type === "cmd" && frame.name === "quit") {
      this.emit({ type: "bye", reason: "quit", message: "Goodbye" });
      this.end();
    }
    return Promise.resolve();
  }
}

let nextId = 1;

/** A message from `from` in `room` (#lobby), with the next id. */
export function msg(from: string, text: string, room = "#lobby"): MessageEvent {
  return { type: "msg", room, id: nextId++, ts: NOW, from, text, kind: "say" };
}

/** A UI running on a fake terminal, with what the test needs to drive and read it. */
export interface RunningTui extends AsyncDisposable {
  /** The terminal the UI draws on and reads keys from. */
  terminal: FakeTerminal;
  /** The session the UI talks to. */
  session: FakeSession;
  /** How the UI ended, once it has. */
  result: Promise<TuiResult>;
  /** Waits until the screen satisfies `check`; fails with the screen if it never does. */
  waitFor(check: (rows: string[]) => boolean, what: string): Promise<string[]>;
  /** The bottom row: the prompt and the typed text. */
  inputRow(): string;
}

/** Runs the UI on a fake terminal as ana in #lobby with bob and carol; disposing ends it. */
export async function startTui(
  options: {
    columns?: number;
    rows?: number;
    color?: boolean;
    nick?: string;
    files?: FileCommands;
  } = {},
): Promise<RunningTui> {
  const terminal = new FakeTerminal(options.columns ?? 60, options.rows ?? 16);
  const nick = options.nick ?? "ana";
  const session = new FakeSession({
    type: "welcome",
    protocol: 1,
    server: "lan",
    nick,
    room: "#lobby",
    members: [nick, "bob", "carol"],
    history: [],
  });
  const result = runTui(session, terminal, {
    color: options.color ?? false,
    now: () => NOW,
    files: options.files,
  });
  await terminal.idle();
  return {
    terminal,
    session,
    result,
    async waitFor(check, what) {
      const deadline = Date.now() + 2000;
      while (!check(terminal.screenText())) {
        if (Date.now() > deadline) {
          throw new Error(
            `Timed out waiting for ${what}; screen:\n${terminal.screenText().join("\n")}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return terminal.screenText();
    },
    inputRow: () => terminal.screenText().at(-1)!,
    async [Symbol.asyncDispose]() {
      session.end();
      await result;
    },
  };
}

/** A check that some row of the screen contains `text`. */
export function showing(text: string): (rows: string[]) => boolean {
  return (rows) => rows.some((row) => row.includes(text));
}

/** Asserts the terminal is back to normal: cooked input, main screen, no paste mode, cursor shown. */
export function assertRestored(terminal: FakeTerminal): void {
  assert.deepEqual(
    {
      rawMode: terminal.rawMode,
      altScreen: terminal.altScreen,
      bracketedPaste: terminal.bracketedPaste,
      cursorVisible: terminal.cursorVisible,
    },
    { rawMode: false, altScreen: false, bracketedPaste: false, cursorVisible: true },
  );
}
