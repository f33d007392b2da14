/**
 * A small screen before the chat starts, when several servers answered on
 * the LAN: the arrow keys move, Enter joins, Esc, q or Ctrl-C leaves.
 *
 * @module
 */

import type { FoundServer } from "../../discovery/browse.ts";
import { formatHostPort } from "../../net/host_port.ts";
import { shownName } from "../find_server.ts";
import { KeyDecoder, type KeyEvent } from "./key_decoder.ts";
import { truncate } from "./text_width.ts";

/** Which server is highlighted, moved by keys; pure, so it is tested without a terminal. */
export class ServerPicker {
  /** The highlighted row. */
  selected = 0;

  /**
   * A pick among `servers` (at least one).
   *
   * @param servers the servers that answered, in the order shown
   */
  constructor(readonly servers: readonly FoundServer[]) {}

  /** Reacts to one key: the server picked, "cancel", or undefined to go on. */
  handle(event: KeyEvent): FoundServer | "cancel" | undefined {
    if (event.type === "key") {
      if (event.name === "up") this.selected = Math.max(0, this.selected - 1);
      else if (event.name === "down") {
        this.selected = Math.min(this.servers.length - 1, this.selected + 1);
      } else if (event.name === "enter") return this.servers[this.selected];
      else if (event.name === "escape") return "cancel";
    } else if (event.type === "ctrl" && (event.key === "c" || event.key === "d")) return "cancel";
    else if (event.type === "text" && /^[qQ]$/.test(event.text)) return "cancel";
    return undefined;
  }

  /**
   * The screen's lines: a title, one row per server (the highlighted one
   * marked), the keys. On a terminal of `size`, the rows shown are a window
   * around the highlighted one that fits, and no line is wider than the
   * screen (a redraw moves up as many lines as it drew: one that wrapped, or
   * scrolled off the top, would leave copies behind).
   */
  lines(size?: { columns: number; rows: number }): string[] {
    const room = size ? Math.max(1, size.rows - 3) : this.servers.length;
    const first = Math.max(
      0,
      Math.min(this.selected - Math.floor(room / 2), this.servers.length - room),
    );
    const shown = this.servers.slice(first, first + room);
    const rows = shown.map((server, offset) => {
      const mark = first + offset === this.selected ? ">" : " ";
      const where = formatHostPort(server.addresses[0], server.port);
      const how = [server.txt.tls ? "TLS" : "not encrypted", server.txt.password ? "private" : ""]
        .filter(Boolean).join(", ");
      return `${mark} ${shownName(server)}  ${where}  (${how})`;
    });
    const count = this.servers.length;
    const title = `${count} lanchat servers answered on the LAN; which one?` +
      (shown.length < count ? ` (${first + 1}-${first + shown.length} shown)` : "");
    const lines = [title, ...rows, "Up/Down to choose, Enter to join, Esc or q to leave"];
    return size ? lines.map((line) => truncate(line, Math.max(1, size.columns - 1))) : lines;
  }
}

/**
 * Shows the pick on the terminal (raw only while it is shown) and returns
 * the server chosen, or undefined when the user left.
 */
export async function pickServer(
  servers: readonly FoundServer[],
): Promise<FoundServer | undefined> {
  const picker = new ServerPicker(servers);
  const decoder = new KeyDecoder();
  const text = new TextDecoder();
  const encoder = new TextEncoder();
  let drawn = 0;
  const draw = () => {
    const lines = picker.lines(Deno.consoleSize());
    const up = drawn > 0 ? `\x1b[${drawn}A\r` : "";
    Deno.stdout.writeSync(encoder.encode(`${up}\x1b[J${lines.join("\r\n")}\r\n`));
    drawn = lines.length;
  };
  Deno.stdin.setRaw(true);
  const buffer = new Uint8Array(256);
  try {
    draw();
    while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) return undefined;
      for (const event of decoder.feed(text.decode(buffer.subarray(0, n), { stream: true }))) {
        const answer = picker.handle(event);
        if (answer === "cancel") return undefined;
        if (answer !== undefined) return answer;
      }
      draw();
    }
  } finally {
    Deno.stdin.setRaw(false);
  }
}
