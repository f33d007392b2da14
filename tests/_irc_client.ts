/**
 * A raw IRC client for socket tests: lines in, lines out, nothing
 * interpreted; shared by the IRC test files.
 */

import { LinePeer } from "./_line_peer.ts";

/** See the module doc. */
export class IrcClient extends LinePeer {
  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<IrcClient> {
    return new IrcClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Connects to 127.0.0.1:`port` and registers as `nick` (see {@linkcode IrcClient.register}). */
  static async registered(port: number, nick: string, caps = ""): Promise<IrcClient> {
    const client = await IrcClient.connect(port);
    try {
      await client.register(nick, caps);
    } catch (error) {
      await client[Symbol.asyncDispose]();
      throw error;
    }
    return client;
  }

  /** Sends lines, each with CR LF. */
  send(...lines: string[]): Promise<void> {
    return this.write(lines.map((line) => `${line}\r\n`).join(""));
  }

  /** Waits for a line with this command (or numeric) after the source, from line `from` on. */
  async command(
    command: string,
    from = 0,
    also: (line: string) => boolean = () => true,
  ): Promise<string> {
    try {
      return await this.waitLine((line) => ircCommand(line) === command && also(line), from);
    } catch (error) {
      throw new Error(`No ${command}; lines:\n${this.lines.join("\n")}`, { cause: error });
    }
  }

  /** CAP REQ of `caps` (when any), NICK and USER, then the welcome's end (366). */
  async register(nick: string, caps = ""): Promise<void> {
    if (caps) await this.send("CAP LS 302", `CAP REQ :${caps}`, "CAP END");
    await this.send(`NICK ${nick}`, `USER ${nick} 0 * :${nick} test`);
    await this.command("366");
  }

  /** Sends `line`, then waits for the line the codec answers next with `command`. */
  async ask(line: string, command: string): Promise<string> {
    const from = this.lines.length;
    await this.send(line);
    return await this.command(command, from);
  }
}

/** The command of a line, after its tags and source. */
export function ircCommand(line: string): string {
  const words = line.replace(/^@\S+ /, "").split(" ");
  return words[0].startsWith(":") ? words[1] : words[0];
}
