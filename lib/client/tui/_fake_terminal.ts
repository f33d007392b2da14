/**
 * An in-memory terminal for tests of the terminal UI.
 *
 * @module
 */

import { ENTER_SEQUENCE, RESTORE_SEQUENCE, type TerminalIO } from "./terminal.ts";
import { graphemes, graphemeWidth } from "./text_width.ts";

const encoder = new TextEncoder();

/** A cell of a wide character's right half: it shows nothing of its own. */
const CONTINUATION = "";

/** The private modes the terminal UI may set and reset. */
const PRIVATE_MODES = new Set(["1049", "2004", "25"]);

interface Buffer {
  cells: string[][];
  cursor: { row: number; column: number };
}

/**
 * A terminal for tests: a grid of cells that interprets what the terminal UI
 * writes, and input the test feeds it.
 *
 * It understands exactly the output of `ScreenWriter`, `ENTER_SEQUENCE` and
 * `RESTORE_SEQUENCE`: cursor positioning (`ESC[r;cH`, `ESC[H`), erasing
 * (`ESC[K`, `ESC[1K`, `ESC[2K`, `ESC[J`, `ESC[1J`, `ESC[2J`), SGR
 * (`ESC[...m`, accepted and not recorded), the private modes 1049 (alternate
 * screen), 2004 (bracketed paste) and 25 (cursor shown), BEL (counted) and
 * printable text, placed by display width (a wide character takes two
 * cells). Anything else, another escape sequence or a control character such
 * as a tab or a newline, throws, so a test notices output the UI should not
 * produce (an unsanitised message, for one).
 *
 * Text wraps like xterm: writing the last column leaves the cursor there
 * with a wrap pending, `ESC[K` then erases that last column, and the next
 * character goes to the next row (scrolling at the bottom). A full-screen UI
 * never relies on this; {@linkcode FakeTerminal.autowraps} counts it.
 *
 * @example
 * ```ts ignore
 * // `session` is a ReconnectingSession connected to a test server.
 * const terminal = new FakeTerminal(40, 10);
 * const result = runTui(session, terminal, { color: false });
 * terminal.type("hello\r");
 * await terminal.idle();
 * terminal.screenText(); // the rows as a person sees them
 * ```
 */
export class FakeTerminal implements TerminalIO {
  #columns: number;
  #rows: number;
  #main: Buffer;
  #alternate: Buffer | undefined;
  #pendingWrap = false;
  #entered = false;
  readonly #resizeListeners = new Set<() => void>();
  readonly #chunks: Uint8Array[] = [];
  #inputEnded = false;
  #wakeReader: (() => void) | undefined;
  #readerIdle = false;
  #idleWaiters: (() => void)[] = [];

  /** Times BEL was written. */
  bells = 0;
  /** Whether {@linkcode enter} put the (pretend) tty in raw mode and it is not restored. */
  rawMode = false;
  /** Whether the alternate screen is shown (private mode 1049). */
  altScreen = false;
  /** Whether the application asked for bracketed paste (private mode 2004). */
  bracketedPaste = false;
  /** Whether the cursor is shown (private mode 25). */
  cursorVisible = true;
  /** Times text ran past the right edge and wrapped to the next row. */
  autowraps = 0;
  /** Every string passed to {@linkcode write}, in order. */
  readonly writes: string[] = [];

  /** A terminal `columns` wide and `rows` high, blank, on its main screen. */
  constructor(columns = 80, rows = 24) {
    this.#columns = columns;
    this.#rows = rows;
    this.#main = this.#blankBuffer();
  }

  /** The cursor, 0-based. */
  get cursor(): { row: number; column: number } {
    return { ...this.#buffer.cursor };
  }

  size(): { columns: number; rows: number } {
    return { columns: this.#columns, rows: this.#rows };
  }

  /** Interprets `text` as a terminal would; throws on anything it does not understand. */
  write(text: string): void {
    this.writes.push(text);
    let run = "";
    const flush = () => {
      if (run) this.#print(run);
      run = "";
    };
    let i = 0;
    while (i < text.length) {
      const char = text[i];
      const code = char.charCodeAt(0);
      if (char === "\x1b") {
        flush();
        i += this.#escape(text.slice(i));
        continue;
      }
      if (char === "\x07") {
        flush();
        this.bells++;
      } else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
        throw new Error(
          `Unexpected control character U+${code.toString(16).padStart(4, "0")} in output ${
            JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))
          }`,
        );
      } else {
        run += char;
      }
      i++;
    }
    flush();
  }

  /** Returns the chunks the test feeds, until {@linkcode endInput}. */
  input(): AsyncIterable<Uint8Array> {
    return this.#read();
  }

  onResize(listener: () => void): () => void {
    const wrapped = () => listener();
    this.#resizeListeners.add(wrapped);
    return () => this.#resizeListeners.delete(wrapped);
  }

  /** Raw mode on, then the enter sequence, like the real terminal. */
  enter(): void {
    this.rawMode = true;
    this.#entered = true;
    this.write(ENTER_SEQUENCE);
  }

  /** The restore sequence and raw mode off, once. */
  restore(): void {
    if (!this.#entered) return;
    this.#entered = false;
    this.write(RESTORE_SEQUENCE);
    this.rawMode = false;
  }

  /** The shown screen's rows, trailing spaces trimmed. */
  screenText(): string[] {
    return this.#buffer.cells.map((row) => row.join("").trimEnd());
  }

  /** Feeds `text` as typed: one chunk per character, as a person types. */
  type(text: string): void {
    for (const char of text) this.#feed(encoder.encode(char));
  }

  /** Feeds one chunk at once: a key's escape sequence, or bytes split however the test likes. */
  press(input: string | Uint8Array): void {
    this.#feed(typeof input === "string" ? encoder.encode(input) : input);
  }

  /** Pastes `text` as one chunk, bracketed when the application enabled bracketed paste. */
  paste(text: string): void {
    this.press(this.bracketedPaste ? `\x1b[200~${text}\x1b[201~` : text);
  }

  /** Closes the input (end of file). */
  endInput(): void {
    this.#inputEnded = true;
    this.#wakeReader?.();
  }

  /**
   * Resolves once the reader has taken every chunk fed so far and asks for
   * more: the UI has handled that input and drawn.
   */
  idle(): Promise<void> {
    if (this.#readerIdle && this.#chunks.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Changes the size, keeping what fits, and tells the resize listeners. */
  resize(columns: number, rows: number): void {
    const resizeBuffer = (buffer: Buffer): Buffer => {
      const cells = Array.from(
        { length: rows },
        (_, r) => Array.from({ length: columns }, (_, c) => buffer.cells[r]?.[c] ?? " "),
      );
      // A wide character cut in half at the new right edge disappears.
      for (const row of cells) {
        if (row[columns - 1] !== CONTINUATION && graphemeWidth(row[columns - 1]) === 2) {
          row[columns - 1] = " ";
        }
        if (row[0] === CONTINUATION) row[0] = " ";
      }
      return {
        cells,
        cursor: {
          row: Math.min(buffer.cursor.row, rows - 1),
          column: Math.min(buffer.cursor.column, columns - 1),
        },
      };
    };
    this.#columns = columns;
    this.#rows = rows;
    this.#pendingWrap = false;
    this.#main = resizeBuffer(this.#main);
    if (this.#alternate) this.#alternate = resizeBuffer(this.#alternate);
    for (const listener of [...this.#resizeListeners]) listener();
  }

  get #buffer(): Buffer {
    return this.altScreen && this.#alternate ? this.#alternate : this.#main;
  }

  #blankBuffer(): Buffer {
    return {
      cells: Array.from({ length: this.#rows }, () => this.#blankRow()),
      cursor: { row: 0, column: 0 },
    };
  }

  #blankRow(): string[] {
    return Array.from({ length: this.#columns }, () => " ");
  }

  /** Interprets the escape sequence at the start of `text`; returns its length. */
  #escape(text: string): number {
    const csi = /^\x1b\[([?]?)([0-9;]*)([\x40-\x7e])/.exec(text);
    if (!csi) {
      throw new Error(`Unknown escape sequence ${JSON.stringify(text.slice(0, 12))}`);
    }
    const [whole, privateMarker, params, final] = csi;
    const unknown = () => new Error(`Unknown escape sequence ${JSON.stringify(whole)}`);
    if (privateMarker) {
      if (!PRIVATE_MODES.has(params) || (final !== "h" && final !== "l")) throw unknown();
      this.#setMode(params, final === "h");
      return whole.length;
    }
    const numbers = params === "" ? [] : params.split(";").map((p) => (p === "" ? 0 : Number(p)));
    const buffer = this.#buffer;
    switch (final) {
      case "H": {
        if (numbers.length > 2) throw unknown();
        const [row = 1, column = 1] = numbers;
        buffer.cursor = {
          row: clamp(Math.max(1, row) - 1, 0, this.#rows - 1),
          column: clamp(Math.max(1, column) - 1, 0, this.#columns - 1),
        };
        this.#pendingWrap = false;
        return whole.length;
      }
      case "K": {
        if (numbers.length > 1) throw unknown();
        const mode = numbers[0] ?? 0;
        const { row, column } = buffer.cursor;
        if (mode === 0) this.#erase(row, column, this.#columns);
        else if (mode === 1) this.#erase(row, 0, column + 1);
        else if (mode === 2) this.#erase(row, 0, this.#columns);
        else throw unknown();
        this.#pendingWrap = false;
        return whole.length;
      }
      case "J": {
        if (numbers.length > 1) throw unknown();
        const mode = numbers[0] ?? 0;
        const { row, column } = buffer.cursor;
        if (mode === 0) {
          this.#erase(row, column, this.#columns);
          for (let r = row + 1; r < this.#rows; r++) this.#erase(r, 0, this.#columns);
        } else if (mode === 1) {
          for (let r = 0; r < row; r++) this.#erase(r, 0, this.#columns);
          this.#erase(row, 0, column + 1);
        } else if (mode === 2) {
          for (let r = 0; r < this.#rows; r++) this.#erase(r, 0, this.#columns);
        } else {
          throw unknown();
        }
        this.#pendingWrap = false;
        return whole.length;
      }
      case "m":
        return whole.length;
      default:
        throw unknown();
    }
  }

  #setMode(mode: string, on: boolean): void {
    if (mode === "2004") this.bracketedPaste = on;
    else if (mode === "25") this.cursorVisible = on;
    else if (on && !this.altScreen) {
      // 1049h: save the cursor, show a cleared alternate screen.
      this.#alternate = this.#blankBuffer();
      this.altScreen = true;
      this.#pendingWrap = false;
    } else if (!on && this.altScreen) {
      // 1049l: back to the main screen as it was, cursor restored.
      this.altScreen = false;
      this.#alternate = undefined;
      this.#pendingWrap = false;
    }
  }

  /** Blanks the cells `[from, to)` of `row`, and both halves of any wide character cut. */
  #erase(row: number, from: number, to: number): void {
    const cells = this.#buffer.cells[row];
    for (let c = Math.max(0, from); c < Math.min(to, this.#columns); c++) this.#clearCell(cells, c);
  }

  #clearCell(cells: string[], column: number): void {
    if (cells[column] === CONTINUATION && column > 0) cells[column - 1] = " ";
    if (cells[column + 1] === CONTINUATION) cells[column + 1] = " ";
    cells[column] = " ";
  }

  #print(text: string): void {
    const buffer = this.#buffer;
    for (const grapheme of graphemes(text)) {
      const width = graphemeWidth(grapheme);
      if (width === 0) {
        // A zero-width character joins the cell before the cursor.
        const cells = buffer.cells[buffer.cursor.row];
        let column = this.#pendingWrap ? buffer.cursor.column : buffer.cursor.column - 1;
        if (cells[column] === CONTINUATION) column--;
        if (column >= 0) cells[column] += grapheme;
        continue;
      }
      if (this.#pendingWrap || buffer.cursor.column + width > this.#columns) this.#wrap();
      const { row, column } = buffer.cursor;
      const cells = buffer.cells[row];
      this.#clearCell(cells, column);
      if (width === 2) this.#clearCell(cells, column + 1);
      cells[column] = grapheme;
      if (width === 2) cells[column + 1] = CONTINUATION;
      if (column + width >= this.#columns) {
        buffer.cursor.column = this.#columns - 1;
        this.#pendingWrap = true;
      } else {
        buffer.cursor.column = column + width;
      }
    }
  }

  /** Moves to the start of the next row, scrolling at the bottom. */
  #wrap(): void {
    const buffer = this.#buffer;
    this.autowraps++;
    this.#pendingWrap = false;
    buffer.cursor.column = 0;
    if (buffer.cursor.row < this.#rows - 1) {
      buffer.cursor.row++;
    } else {
      buffer.cells.shift();
      buffer.cells.push(this.#blankRow());
    }
  }

  #feed(chunk: Uint8Array): void {
    if (this.#inputEnded) throw new Error("Input was already ended");
    this.#chunks.push(chunk);
    this.#readerIdle = false;
    this.#wakeReader?.();
  }

  async *#read(): AsyncGenerator<Uint8Array> {
    while (true) {
      const chunk = this.#chunks.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.#inputEnded) return;
      this.#readerIdle = true;
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
      await new Promise<void>((resolve) => (this.#wakeReader = resolve));
      this.#wakeReader = undefined;
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}
