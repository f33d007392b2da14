/**
 * Drives a program in a real terminal: a tmux session on a private socket,
 * typed into with send-keys and read with capture-pane.
 *
 * @module
 */

import { delay } from "./_waiting.ts";

/** A detached tmux session of a fixed size, killed on dispose. */
export class TmuxSession implements AsyncDisposable {
  readonly #socket = `lanchat-test-${crypto.randomUUID().slice(0, 8)}`;

  private constructor() {}

  /** Starts `command` (run by sh) in a `columns` x `rows` terminal. */
  static async start(command: string, columns = 80, rows = 24): Promise<TmuxSession> {
    const session = new TmuxSession();
    await session.#tmux(
      "new-session",
      "-d",
      "-s",
      "main",
      "-x",
      String(columns),
      "-y",
      String(rows),
      command,
    );
    return session;
  }

  /** Types literal text. */
  async type(text: string): Promise<void> {
    await this.#tmux("send-keys", "-t", "main", "-l", text);
  }

  /** Presses named keys (tmux names: Enter, C-c, Left, ...). */
  async press(...keys: string[]): Promise<void> {
    await this.#tmux("send-keys", "-t", "main", ...keys);
  }

  /** Resizes the terminal, as a person dragging the window would. */
  async resize(columns: number, rows: number): Promise<void> {
    await this.#tmux("resize-window", "-t", "main", "-x", String(columns), "-y", String(rows));
  }

  /** Pastes `text` the way a terminal does: bracketed if the program asked for it. */
  async paste(text: string): Promise<void> {
    await this.#tmux("set-buffer", "-b", "lanchat", text);
    await this.#tmux("paste-buffer", "-p", "-b", "lanchat", "-t", "main");
  }

  /** Copies everything the program writes to the terminal, as raw bytes, into `path`. */
  async recordOutput(path: string): Promise<void> {
    await this.#tmux("pipe-pane", "-O", "-t", "main", `cat >> '${path}'`);
  }

  /** The pane's title, as escape sequences (OSC 0 or 2) would set it. */
  async title(): Promise<string> {
    return (await this.#tmux("display-message", "-p", "-t", "main", "#{pane_title}")).trim();
  }

  /** The visible screen, one string per row, trailing spaces removed. */
  async screen(): Promise<string[]> {
    const text = await this.#tmux("capture-pane", "-p", "-t", "main");
    return text.replace(/\n$/, "").split("\n").map((line) => line.trimEnd());
  }

  /** Polls the screen until `match` holds; throws with the screen after `ms`. */
  async waitFor(match: (rows: string[]) => boolean, ms = 10_000): Promise<string[]> {
    const deadline = performance.now() + ms;
    let rows: string[] = [];
    while (performance.now() < deadline) {
      rows = await this.screen();
      if (match(rows)) return rows;
      await delay(50);
    }
    throw new Error(`Screen never matched in ${ms} ms:\n${rows.join("\n")}`);
  }

  async #tmux(...args: string[]): Promise<string> {
    const result = await new Deno.Command("tmux", {
      args: ["-L", this.#socket, ...args],
      stdout: "piped",
      stderr: "piped",
      env: { TERM: "xterm-256color" },
    }).output();
    if (!result.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(result.stderr)}`);
    }
    return new TextDecoder().decode(result.stdout);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#tmux("kill-server").catch(() => {});
  }
}
