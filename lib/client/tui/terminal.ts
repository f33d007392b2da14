/**
 * The real terminal behind the UI, and the interface tests replace with a
 * fake one.
 *
 * @module
 */

import type { Screen } from "./render_screen.ts";

/** What the terminal UI needs of a terminal. */
export interface TerminalIO {
  /** Current size in cells. */
  size(): { columns: number; rows: number };
  /** Writes escape sequences and text. */
  write(text: string): void;
  /** Raw input bytes, until the input closes. */
  input(): AsyncIterable<Uint8Array>;
  /** Calls `listener` when the size changes; returns the unsubscribe function. */
  onResize(listener: () => void): () => void;
  /** Enters full-screen mode: raw input, alternate screen, bracketed paste. */
  enter(): void;
  /** Undoes {@linkcode enter}; safe to call any number of times. */
  restore(): void;
}

/** Enter: alternate screen, clear, bracketed paste on. */
export const ENTER_SEQUENCE = "\x1b[?1049h\x1b[H\x1b[2J\x1b[?2004h";
/** Leave: attributes reset, bracketed paste off, cursor shown, main screen back. */
export const RESTORE_SEQUENCE = "\x1b[0m\x1b[?2004l\x1b[?25h\x1b[?1049l";

/**
 * Draws screens with as little output as it can: only rows that changed
 * since the last frame, each in one write together with the cursor move.
 */
export class ScreenWriter {
  #previous: string[] = [];

  /**
   * Writes screens to `terminal`.
   *
   * @param terminal where the screen is written
   */
  constructor(readonly terminal: TerminalIO) {}

  /** Forgets what is on screen, so the next draw repaints everything (after a resize). */
  invalidate(): void {
    this.#previous = [];
  }

  /** Draws `screen`. */
  draw(screen: Screen): void {
    let out = "\x1b[?25l";
    if (this.#previous.length !== screen.rows.length) out += "\x1b[H\x1b[2J";
    screen.rows.forEach((row, i) => {
      if (this.#previous[i] === row) return;
      // Clear first, then write: an erase after a row that fills the last
      // column would wipe that column on xterm-like terminals.
      out += `\x1b[${i + 1};1H\x1b[2K${row}\x1b[0m`;
    });
    out += `\x1b[${screen.cursor.row + 1};${screen.cursor.column + 1}H\x1b[?25h`;
    this.#previous = [...screen.rows];
    this.terminal.write(out);
  }
}

const encoder = new TextEncoder();

/** The process's own terminal: Deno.stdin / Deno.stdout. */
export class DenoTerminal implements TerminalIO {
  #entered = false;

  size(): { columns: number; rows: number } {
    try {
      return Deno.consoleSize();
    } catch {
      return { columns: 80, rows: 24 };
    }
  }

  write(text: string): void {
    const bytes = encoder.encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }

  async *input(): AsyncIterable<Uint8Array> {
    const buffer = new Uint8Array(16 * 1024);
    while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) return;
      yield buffer.subarray(0, n);
    }
  }

  onResize(listener: () => void): () => void {
    try {
      Deno.addSignalListener("SIGWINCH", listener);
      return () => Deno.removeSignalListener("SIGWINCH", listener);
    } catch {
      return () => {}; // No SIGWINCH on this platform.
    }
  }

  enter(): void {
    Deno.stdin.setRaw(true);
    this.#entered = true;
    this.write(ENTER_SEQUENCE);
  }

  restore(): void {
    if (!this.#entered) return;
    this.#entered = false;
    try {
      this.write(RESTORE_SEQUENCE);
    } catch {
      // stdout is gone; nothing to restore on it.
    }
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // stdin is gone.
    }
  }
}
