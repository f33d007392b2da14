import type { ChatEvent } from "../core/events.ts";
import type { ChatSession } from "./chat_session.ts";
import { EventPrinter, reportEnd } from "./line_mode.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The editable input line at the bottom of the terminal. Incoming text is
 * printed above it: the line is erased, the text written, and the line drawn
 * again, so what is being typed is never mixed with what arrives. A line
 * wider than the terminal scrolls sideways instead of wrapping, which keeps
 * the redraw to one row.
 */
export class PromptLine {
  text: string[] = [];
  cursor = 0;

  constructor(public prompt: string) {}

  /** Inserts typed characters at the cursor. */
  insert(chars: string): void {
    const added = [...chars];
    this.text.splice(this.cursor, 0, ...added);
    this.cursor += added.length;
  }

  /** Deletes the character before the cursor. */
  backspace(): void {
    if (this.cursor === 0) return;
    this.text.splice(this.cursor - 1, 1);
    this.cursor--;
  }

  /** Deletes the word before the cursor (Ctrl-W). */
  deleteWord(): void {
    let start = this.cursor;
    while (start > 0 && this.text[start - 1] === " ") start--;
    while (start > 0 && this.text[start - 1] !== " ") start--;
    this.text.splice(start, this.cursor - start);
    this.cursor = start;
  }

  /** Moves the cursor by `delta` characters, within the line. */
  move(delta: number): void {
    this.cursor = Math.max(0, Math.min(this.text.length, this.cursor + delta));
  }

  /** Empties the line and returns what it held. */
  take(): string {
    const line = this.text.join("");
    this.text = [];
    this.cursor = 0;
    return line;
  }

  /**
   * The escape sequence that redraws the line on a terminal `columns` wide:
   * the prompt, then a window of the text that keeps the cursor visible.
   */
  render(columns: number): string {
    const room = Math.max(8, columns - this.prompt.length - 1);
    const start = Math.max(0, this.cursor - room + 1);
    const visible = this.text.slice(start, start + room).join("");
    const cursorColumn = this.prompt.length + (this.cursor - start) + 1;
    return `\r\x1b[2K${this.prompt}${visible}\x1b[${cursorColumn}G`;
  }
}

/**
 * Interactive mode for a terminal: raw input with a simple line editor
 * (Backspace, Ctrl-U, Ctrl-W, Left/Right, Home/End), incoming events printed
 * above the input line. Enter sends; Ctrl-C, or Ctrl-D on an empty line,
 * quits. The terminal is always restored. Returns the exit code.
 */
export async function runInteractive(session: ChatSession): Promise<number> {
  const printer = new EventPrinter();
  const line = new PromptLine("");
  const columns = () => {
    try {
      return Deno.consoleSize().columns;
    } catch {
      return 80;
    }
  };
  const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  const redraw = () => write(line.render(columns()));
  // One write per update: the erased line, the new text, the input line
  // again, so the terminal never shows a half-done state.
  const show = (lines: string[]) => {
    write("\r\x1b[2K" + lines.map((l) => l + "\r\n").join("") + line.render(columns()));
  };
  const setPrompt = () => {
    line.prompt = `[${printer.currentRoom ?? "?"}] > `;
  };

  Deno.stdin.setRaw(true);
  const onResize = () => redraw();
  try {
    Deno.addSignalListener("SIGWINCH", onResize);
  } catch {
    // Not on this platform.
  }
  const stop = Promise.withResolvers<"signal">();
  const onTerm = () => stop.resolve("signal");
  Deno.addSignalListener("SIGTERM", onTerm);

  let bye: ChatEvent | undefined;
  let failure: unknown;
  try {
    show(printer.lines(session.welcome));
    setPrompt();
    redraw();
    const received = (async () => {
      for await (const event of session.events()) {
        if (event.type === "bye") bye = event;
        const lines = printer.lines(event);
        setPrompt();
        show(lines);
      }
    })().catch((error) => {
      failure = error;
    });
    const typed = readKeys(line, session, redraw);
    const ended = await Promise.race([
      received.then(() => "connection" as const),
      typed,
      stop.promise,
    ]);
    if (ended === "quit" || ended === "signal") {
      await session.send({ type: "cmd", name: "quit", args: "" }).catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([received, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      return 0;
    }
  } finally {
    write("\r\x1b[2K");
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // stdin already gone.
    }
    try {
      Deno.removeSignalListener("SIGWINCH", onResize);
    } catch {
      // Not on this platform.
    }
    Deno.removeSignalListener("SIGTERM", onTerm);
    session.close();
  }
  return reportEnd(bye, failure, console.error);
}

/** Reads keys until the user quits; resolves "quit". */
async function readKeys(
  line: PromptLine,
  session: ChatSession,
  redraw: () => void,
): Promise<"quit"> {
  const buffer = new Uint8Array(4096);
  let pending = "";
  while (true) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) return "quit";
    pending += decoder.decode(buffer.subarray(0, n), { stream: true });
    // Keys: escape sequences first, then single characters.
    while (pending.length > 0) {
      const escape = /^\x1b(?:\[[0-9;]*[A-Za-z~]|O[A-Za-z]|.)?/.exec(pending);
      if (escape) {
        if (escape[0] === "\x1b" && pending.length === 1) break; // wait for the rest
        pending = pending.slice(escape[0].length);
        const key = escape[0];
        if (key === "\x1b[D" || key === "\x1bOD") line.move(-1);
        else if (key === "\x1b[C" || key === "\x1bOC") line.move(1);
        else if (key === "\x1b[H" || key === "\x1b[1~" || key === "\x1bOH") line.move(-Infinity);
        else if (key === "\x1b[F" || key === "\x1b[4~" || key === "\x1bOF") line.move(Infinity);
        else if (key === "\x1b[3~") {
          line.move(1);
          line.backspace();
        }
        redraw();
        continue;
      }
      const char = String.fromCodePoint(pending.codePointAt(0)!);
      pending = pending.slice(char.length);
      switch (char) {
        case "\x03": // Ctrl-C
          return "quit";
        case "\x04": // Ctrl-D on an empty line
          if (line.text.length === 0) return "quit";
          break;
        case "\r":
        case "\n": {
          const text = line.take();
          redraw();
          if (text.trim() !== "") await session.sendLine(text);
          break;
        }
        case "\x7f":
        case "\b":
          line.backspace();
          break;
        case "\x15": // Ctrl-U
          line.take();
          break;
        case "\x17": // Ctrl-W
          line.deleteWord();
          break;
        case "\x01": // Ctrl-A
          line.move(-Infinity);
          break;
        case "\x05": // Ctrl-E
          line.move(Infinity);
          break;
        default:
          if (char >= " ") line.insert(char);
      }
      redraw();
    }
  }
}
