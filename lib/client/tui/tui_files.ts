/**
 * The terminal UI's side of `/send`, `/get` and `/cancel` (issue 18): a
 * progress bar before the input line, the outcome as a line in the shown
 * room, Esc or Ctrl-C to cancel, and Tab completing the path of a `/send`.
 *
 * @module
 */

import {
  expandHome,
  type FileCommandAnswer,
  FileCommands,
  type Transfer,
} from "../file_commands.ts";
import type { ChatView } from "./chat_view.ts";

/** Cells of the progress bar. */
const BAR_CELLS = 10;
/** Longest file name shown beside the bar, in characters. */
const BAR_NAME = 16;

/** Ties {@linkcode FileCommands} to the terminal UI's view. */
export class TuiFiles {
  /**
   * Shows `files`' transfers in `view`, asking for a redraw on each change.
   *
   * @param redraw asks the UI to draw soon
   */
  constructor(readonly files: FileCommands, readonly view: ChatView, readonly redraw: () => void) {
    files.onChange = () => {
      view.transfer = progressBar([...files.running]);
      redraw();
    };
    files.onNote = (_, message) => {
      view.note(message, "notice");
      redraw();
    };
  }

  /** Runs `text` when it is a file command; false when it is not one. */
  submit(text: string): boolean {
    if (!FileCommands.handles(text) || text.includes("\n")) return false;
    const room = this.view.current?.name;
    const started = this.files.start(text, room === undefined ? undefined : { room });
    const settle = ({ ok, message }: FileCommandAnswer) => {
      this.view.note(message, ok ? "notice" : "error");
      this.redraw();
    };
    if ("outcome" in started) {
      this.view.note(
        `${started.kind === "send" ? "sending" : "fetching"} ${started.name}… (Esc cancels)`,
        "notice",
      );
      started.outcome.then(settle);
    } else settle(started);
    return true;
  }

  /** Cancels the transfers under way (Esc, Ctrl-C), saying so; false when there were none. */
  cancel(): boolean {
    if (this.files.running.size === 0) return false;
    this.submit("/cancel");
    return true;
  }

  /**
   * Paths that complete `word`, the word before the cursor of a `/send`
   * line (directories end with `/`); none for other lines.
   */
  static completePath(line: string, start: number, word: string): string[] {
    if (start === 0 || !/^\/send\s/i.test(line)) return [];
    if (word === "--to") return [];
    const slash = word.lastIndexOf("/");
    const dir = slash < 0 ? "." : slash === 0 ? "/" : word.slice(0, slash);
    const prefix = word.slice(slash + 1);
    const expanded = expandHome(dir);
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(expanded)];
    } catch {
      return [];
    }
    const head = slash < 0 ? "" : word.slice(0, slash + 1);
    return entries
      .filter((e) =>
        e.name.startsWith(prefix) && (prefix.startsWith(".") || !e.name.startsWith("."))
      )
      .map((e) => `${head}${e.name}${e.isDirectory ? "/" : " "}`)
      .sort();
  }
}

/** `a.bin ████░░░░░░ 42%` for the first transfer, `+1` when there are more. */
export function progressBar(running: Transfer[]): string | undefined {
  const first = running[0];
  if (!first) return undefined;
  // An upload stops at 99 % (and a cell short) until the server answers.
  const fraction = first.fraction();
  const full = Math.min(Math.round(fraction * BAR_CELLS), fraction < 1 ? BAR_CELLS - 1 : BAR_CELLS);
  const name = first.name.length > BAR_NAME ? `${first.name.slice(0, BAR_NAME - 1)}…` : first.name;
  const arrow = first.kind === "send" ? "↑" : "↓";
  const more = running.length > 1 ? ` +${running.length - 1}` : "";
  if (first.waiting) return `${arrow} ${name} waiting${more}`;
  return `${arrow} ${name} ${"█".repeat(full)}${"░".repeat(BAR_CELLS - full)} ${
    Math.floor(fraction * 100)
  }%${more}`;
}
