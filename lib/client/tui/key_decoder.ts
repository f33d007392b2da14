/**
 * Turns raw terminal input into key presses and pastes.
 *
 * @module
 */

/** Named keys the editor and the screen react to. */
export type KeyName =
  | "enter"
  | "tab"
  | "backspace"
  | "delete"
  | "up"
  | "down"
  | "left"
  | "right"
  | "home"
  | "end"
  | "pageup"
  | "pagedown"
  | "word-left"
  | "word-right"
  | "delete-word-back"
  | "escape";

/** One thing the user did: typed text, pressed a key, or pasted. */
export type KeyEvent =
  | { type: "text"; text: string }
  | { type: "key"; name: KeyName }
  /** Ctrl plus a letter, e.g. `{ type: "ctrl", key: "c" }`. */
  | { type: "ctrl"; key: string }
  /** A bracketed paste, line breaks as `\n`. */
  | { type: "paste"; text: string };

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

const CSI_KEYS: Record<string, KeyName> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  "1~": "home",
  "7~": "home",
  "4~": "end",
  "8~": "end",
  "3~": "delete",
  "5~": "pageup",
  "6~": "pagedown",
};

/**
 * A stateful decoder: feed it decoded input as it arrives; it returns the
 * events complete so far and keeps partial escape sequences and pastes for
 * the next chunk.
 */
export class KeyDecoder {
  #pending = "";
  #paste: string | undefined;

  /** Decodes `input` (already UTF-8 decoded) into events. */
  feed(input: string): KeyEvent[] {
    this.#pending += input;
    const events: KeyEvent[] = [];
    let text = "";
    const flushText = () => {
      if (text) events.push({ type: "text", text });
      text = "";
    };
    while (this.#pending.length > 0) {
      if (this.#paste !== undefined) {
        const end = this.#pending.indexOf(PASTE_END);
        if (end === -1) {
          // Keep a tail that may be the start of the end marker.
          const keep = partialSuffix(this.#pending, PASTE_END);
          this.#paste += this.#pending.slice(0, this.#pending.length - keep);
          this.#pending = this.#pending.slice(this.#pending.length - keep);
          break;
        }
        this.#paste += this.#pending.slice(0, end);
        this.#pending = this.#pending.slice(end + PASTE_END.length);
        events.push({ type: "paste", text: this.#paste.replace(/\r\n?/g, "\n") });
        this.#paste = undefined;
        continue;
      }
      const char = this.#pending[0];
      if (char === "\x1b") {
        const consumed = this.#escape(events, flushText);
        if (consumed === 0) break; // incomplete: wait for more input
        this.#pending = this.#pending.slice(consumed);
        continue;
      }
      const code = char.charCodeAt(0);
      this.#pending = this.#pending.slice(1);
      if (char === "\r" || char === "\n") {
        flushText();
        events.push({ type: "key", name: "enter" });
      } else if (char === "\t") {
        flushText();
        events.push({ type: "key", name: "tab" });
      } else if (char === "\x7f" || char === "\b") {
        flushText();
        events.push({ type: "key", name: "backspace" });
      } else if (code < 0x20) {
        flushText();
        events.push({ type: "ctrl", key: String.fromCharCode(code + 0x60) });
      } else {
        text += char;
      }
    }
    flushText();
    return events;
  }

  /**
   * Whether a lone ESC is waiting. The caller may call {@linkcode flush}
   * after a short pause to report it as the Escape key.
   */
  get waiting(): boolean {
    return this.#pending === "\x1b";
  }

  /** Reports a pending lone ESC as the Escape key. */
  flush(): KeyEvent[] {
    if (this.#pending !== "\x1b") return [];
    this.#pending = "";
    return [{ type: "key", name: "escape" }];
  }

  /** Handles an escape sequence at the start of #pending; returns chars used, 0 if incomplete. */
  #escape(events: KeyEvent[], flushText: () => void): number {
    const input = this.#pending;
    if (input.length === 1) return 0;
    if (input.startsWith(PASTE_START)) {
      flushText();
      this.#paste = "";
      return PASTE_START.length;
    }
    if (PASTE_START.startsWith(input)) return 0;
    const second = input[1];
    if (second === "[" || second === "O") {
      const match = /^\x1b[[O]([0-9;]*)([A-Za-z~])/.exec(input);
      if (!match) {
        // Incomplete (or garbage): wait unless it can no longer complete.
        return /^\x1b[[O][0-9;]*$/.test(input) ? 0 : 2;
      }
      flushText();
      const [whole, params, final] = match;
      const parts = params.split(";");
      const modifier = Number(parts[1] ?? 1);
      const key = final === "~" ? `${parts[0]}~` : final;
      let name = CSI_KEYS[key];
      // Ctrl (5) or Alt (3) with Left/Right moves by words.
      if ((modifier === 5 || modifier === 3) && name === "left") name = "word-left";
      if ((modifier === 5 || modifier === 3) && name === "right") name = "word-right";
      if (name) events.push({ type: "key", name });
      return whole.length;
    }
    flushText();
    // Alt + key arrives as ESC then the key.
    if (second === "b" || second === "B") events.push({ type: "key", name: "word-left" });
    else if (second === "f" || second === "F") events.push({ type: "key", name: "word-right" });
    else if (second === "\x7f" || second === "\b") {
      events.push({ type: "key", name: "delete-word-back" });
    } else {
      // A lone Escape followed by ordinary typing: the key that follows is
      // typed as usual, not swallowed.
      events.push({ type: "key", name: "escape" });
      return 1;
    }
    return 2;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker`. */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) {
    if (marker.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}
