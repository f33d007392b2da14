/**
 * Asks for a password on the terminal without echoing it, like ssh: the
 * terminal is raw only while the line is typed.
 *
 * @module
 */

const ENTER = new Set([0x0d, 0x0a]);
const BACKSPACE = new Set([0x7f, 0x08]);
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;

/**
 * Decodes typed bytes into the password; returns undefined on Ctrl-C, or
 * on Ctrl-D with nothing typed. Escape sequences (arrow keys) are ignored.
 */
export class HiddenLine {
  #bytes: number[] = [];
  #escape = false;

  /** Feeds typed bytes; returns "done", "abort" or "more". */
  feed(chunk: Uint8Array): "done" | "abort" | "more" {
    for (const byte of chunk) {
      if (this.#escape) {
        // Skip an escape sequence up to its final byte (a letter or ~).
        if ((byte >= 0x40 && byte <= 0x7e && byte !== 0x5b && byte !== 0x4f) || byte === 0x7e) {
          this.#escape = false;
        }
        continue;
      }
      if (byte === 0x1b) this.#escape = true;
      else if (ENTER.has(byte)) return "done";
      else if (byte === CTRL_C) return "abort";
      else if (byte === CTRL_D) {
        if (this.#bytes.length === 0) return "abort";
        return "done";
      } else if (BACKSPACE.has(byte)) {
        // Drop one UTF-8 character: continuation bytes, then its lead byte.
        while (this.#bytes.length > 0 && (this.#bytes.at(-1)! & 0xc0) === 0x80) this.#bytes.pop();
        this.#bytes.pop();
      } else if (byte === CTRL_U) this.#bytes = [];
      else if (byte >= 0x20) this.#bytes.push(byte);
    }
    return "more";
  }

  /** What was typed. */
  get value(): string {
    return new TextDecoder().decode(new Uint8Array(this.#bytes));
  }
}

/**
 * Prompts on the terminal and reads a line without echo. Returns undefined
 * when the user gives up (Ctrl-C, or Ctrl-D on an empty line).
 */
export async function promptPassword(prompt: string): Promise<string | undefined> {
  const encoder = new TextEncoder();
  Deno.stdout.writeSync(encoder.encode(prompt));
  Deno.stdin.setRaw(true);
  const line = new HiddenLine();
  const buffer = new Uint8Array(256);
  try {
    while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) return undefined;
      const state = line.feed(buffer.subarray(0, n));
      if (state === "abort") return undefined;
      if (state === "done") return line.value;
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stdout.writeSync(encoder.encode("\r\n"));
  }
}
