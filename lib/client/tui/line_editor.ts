import { graphemes } from "./text_width.ts";

/** Most entries kept in the input history. */
const HISTORY_LIMIT = 500;

/**
 * The input line: text as grapheme clusters (so the cursor never lands
 * inside an emoji or after half a combining sequence), a cursor, and the
 * history of sent lines. Pure state; rendering is elsewhere.
 */
export class LineEditor {
  #chars: string[] = [];
  #cursor = 0;
  readonly #history: string[] = [];
  /** Position in history while browsing it; `history.length` means the draft. */
  #browse = 0;
  #draft = "";

  /** The text being edited. */
  get text(): string {
    return this.#chars.join("");
  }

  /** The text as grapheme clusters. */
  get chars(): readonly string[] {
    return this.#chars;
  }

  /** Cursor position, in grapheme clusters from the start. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Whether there is nothing typed. */
  get empty(): boolean {
    return this.#chars.length === 0;
  }

  /** Replaces the whole text and puts the cursor at its end. */
  set(text: string): void {
    this.#chars = graphemes(text);
    this.#cursor = this.#chars.length;
  }

  /** Inserts text at the cursor. */
  insert(text: string): void {
    // Re-segment around the cursor: a combining mark typed after a letter
    // joins that letter's cluster.
    const before = this.#chars.slice(0, this.#cursor).join("") + text;
    const after = this.#chars.slice(this.#cursor).join("");
    const head = graphemes(before);
    this.#chars = graphemes(before + after);
    this.#cursor = Math.min(head.length, this.#chars.length);
  }

  /** Deletes the cluster before the cursor (Backspace). */
  backspace(): void {
    if (this.#cursor === 0) return;
    this.#chars.splice(this.#cursor - 1, 1);
    this.#cursor--;
  }

  /** Deletes the cluster under the cursor (Delete). */
  deleteForward(): void {
    if (this.#cursor < this.#chars.length) this.#chars.splice(this.#cursor, 1);
  }

  /** Moves the cursor one character left. */
  left(): void {
    this.#cursor = Math.max(0, this.#cursor - 1);
  }

  /** Moves the cursor one character right. */
  right(): void {
    this.#cursor = Math.min(this.#chars.length, this.#cursor + 1);
  }

  /** Moves the cursor to the start of the line. */
  home(): void {
    this.#cursor = 0;
  }

  /** Moves the cursor to the end of the line. */
  end(): void {
    this.#cursor = this.#chars.length;
  }

  /** Moves to the start of the previous word (Alt-B, Ctrl-Left). */
  wordLeft(): void {
    this.#cursor = this.#wordStartBefore(this.#cursor);
  }

  /** Moves past the end of the next word (Alt-F, Ctrl-Right). */
  wordRight(): void {
    let i = this.#cursor;
    while (i < this.#chars.length && isSpace(this.#chars[i])) i++;
    while (i < this.#chars.length && !isSpace(this.#chars[i])) i++;
    this.#cursor = i;
  }

  /** Deletes from the start of the line to the cursor (Ctrl-U). */
  killToStart(): void {
    this.#chars.splice(0, this.#cursor);
    this.#cursor = 0;
  }

  /** Deletes from the cursor to the end of the line (Ctrl-K). */
  killToEnd(): void {
    this.#chars.splice(this.#cursor);
  }

  /** Deletes the word before the cursor (Ctrl-W, Alt-Backspace). */
  deleteWordBack(): void {
    const start = this.#wordStartBefore(this.#cursor);
    this.#chars.splice(start, this.#cursor - start);
    this.#cursor = start;
  }

  /** Shows the previous history entry (Up), keeping the draft. */
  historyUp(): void {
    if (this.#browse === 0) return;
    if (this.#browse === this.#history.length) this.#draft = this.text;
    this.#browse--;
    this.set(this.#history[this.#browse]);
  }

  /** Shows the next history entry, or the draft after the last (Down). */
  historyDown(): void {
    if (this.#browse >= this.#history.length) return;
    this.#browse++;
    this.set(this.#browse === this.#history.length ? this.#draft : this.#history[this.#browse]);
  }

  /** Empties the line, records it in history, and returns it (Enter). */
  submit(): string {
    const text = this.text;
    if (text.trim() !== "" && this.#history.at(-1) !== text) {
      this.#history.push(text);
      if (this.#history.length > HISTORY_LIMIT) this.#history.shift();
    }
    this.#browse = this.#history.length;
    this.#draft = "";
    this.#chars = [];
    this.#cursor = 0;
    return text;
  }

  /** The word being typed at the cursor and where it starts (for completion). */
  wordAtCursor(): { start: number; word: string } {
    let start = this.#cursor;
    while (start > 0 && !isSpace(this.#chars[start - 1])) start--;
    return { start, word: this.#chars.slice(start, this.#cursor).join("") };
  }

  /** Replaces the clusters from `start` to the cursor with `text`. */
  replaceBeforeCursor(start: number, text: string): void {
    const replacement = graphemes(text);
    this.#chars.splice(start, this.#cursor - start, ...replacement);
    this.#cursor = start + replacement.length;
  }

  #wordStartBefore(position: number): number {
    let i = position;
    while (i > 0 && isSpace(this.#chars[i - 1])) i--;
    while (i > 0 && !isSpace(this.#chars[i - 1])) i--;
    return i;
  }
}

function isSpace(char: string): boolean {
  return char === " " || char === "\n" || char === "\t";
}
