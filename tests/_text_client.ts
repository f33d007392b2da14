/**
 * A plain-text test client that talks to the server the way `nc` does.
 *
 * @module
 */

import { LinePeer } from "./_line_peer.ts";

/** A plain-text test client, like `nc`. */
export class TextClient extends LinePeer {
  /**
   * Connects; with `nick`, answers the nick prompt (after the password
   * prompt, given a password) and waits for the welcome.
   */
  static async connect(port: number, nick?: string, password?: string): Promise<TextClient> {
    const client = new TextClient(await Deno.connect({ hostname: "127.0.0.1", port }));
    if (password !== undefined) await client.write(`${password}\r\n`);
    if (nick) {
      await client.write(`${nick}\r\n`);
      await client.waitLine((line) => line.startsWith("Welcome to") && line.includes(nick));
    }
    return client;
  }

  /**
   * The nick prompt has no line break (a person's typing ends that line), so
   * without an echo it prefixes the next line: drop it.
   */
  protected override normalize(line: string): string {
    return line.replace(/^((Nick|Password)\? )+/, "");
  }

  /** Sends one line with CRLF, as telnet would. */
  sendLine(line: string): Promise<void> {
    return this.write(`${line}\r\n`);
  }
}
