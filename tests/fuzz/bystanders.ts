/**
 * The members that watch a whole client-to-server fuzz run: two healthy
 * native clients that must keep chatting, and a text (nc) bystander that
 * must see nothing unsafe.
 *
 * @module
 */

import { unsafeInText } from "../../lib/core/_hostile_text.ts";
import { NativeClient } from "../_native_client.ts";
import { unsafeReceived } from "./connection_checks.ts";
import { close, Inbox, writeAll } from "./inbox.ts";

const encoder = new TextEncoder();

/**
 * A text (nc) member in #lobby for the whole run: it sees every join,
 * message and leave of the cases there, asks /whois of the hostile members
 * it saw join (their client names are hostile text), /who and /rooms, and
 * every byte it gets must be safe for a terminal.
 */
export class TextBystander implements AsyncDisposable {
  readonly #conn: Deno.TcpConn;
  readonly #inbox: Inbox;
  readonly #asking: Promise<void>;
  #running = true;
  #asked = 0;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#inbox = new Inbox(conn);
    this.#asking = this.#ask();
  }

  /** Connects as a text client, says its nick and waits for the welcome. */
  static async connect(port: number, seed: number): Promise<TextBystander> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const bystander = new TextBystander(conn);
    const nick = `textwatch-${(seed >>> 0).toString(36)}`;
    await writeAll(conn, encoder.encode(`${nick}\r\n`));
    if (!await bystander.#inbox.until(() => bystander.#text().includes(`, ${nick}!`), 5000)) {
      await bystander[Symbol.asyncDispose]();
      throw new Error(`the text bystander was not welcomed: ${bystander.#text()}`);
    }
    return bystander;
  }

  /** How many hostile members the bystander saw join. */
  get joinsSeen(): number {
    return this.#text().match(/-> (hx|tx)\d+ joined/g)?.length ?? 0;
  }

  /** How many /whois answers about a hostile member came back. */
  get whoisAnswers(): number {
    return this.#text().match(/^(hx|tx)\d+: .*client /gm)?.length ?? 0;
  }

  #text(): string {
    return new TextDecoder().decode(this.#inbox.bytes);
  }

  /** Asks /whois of each hostile member as soon as its join shows (it may leave soon after). */
  async #ask(): Promise<void> {
    let seenBytes = 0;
    let carry = "";
    while (this.#running && !this.#inbox.ended) {
      await this.#inbox.until(() => !this.#running || this.#inbox.chunks.length > seenBytes, 200);
      const fresh = this.#inbox.chunks.slice(seenBytes);
      seenBytes += fresh.length;
      const text = carry + fresh.map((chunk) => new TextDecoder().decode(chunk)).join("");
      carry = text.slice(text.lastIndexOf("\n") + 1);
      const lines = [...text.matchAll(/-> ((?:hx|tx)\d+) joined/g)].map((m) => `/whois ${m[1]}`);
      if (this.#asked++ % 50 === 0) lines.push("/who", "/rooms");
      if (lines.length === 0) continue;
      try {
        await writeAll(this.#conn, encoder.encode(lines.map((line) => line + "\r\n").join("")));
      } catch {
        return; // Closed: problem() says so.
      }
    }
  }

  /** What went wrong, if anything: a disconnection or an unsafe byte. */
  problem(): string | undefined {
    if (this.#inbox.ended) {
      return `the text bystander was disconnected: ${this.#text().slice(-300)}`;
    }
    const unsafe = unsafeInText(this.#inbox.bytes);
    return unsafe ? `the text bystander (nc) got ${unsafe}` : undefined;
  }

  /** Stops asking, closes the connection and waits for the reader. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#running = false;
    await this.#asking;
    close(this.#conn);
    await this.#inbox.done;
  }
}

/**
 * Two native members connected for the whole run. Each check, one says
 * something the other must receive (and pings); between checks, their room
 * events must arrive in id order, with no error and no goodbye.
 */
export class HealthWatch implements AsyncDisposable {
  readonly #clients: NativeClient[];
  readonly #lastId = [0, 0];
  #checks = 0;

  private constructor(clients: NativeClient[]) {
    this.#clients = clients;
  }

  /** Connects the two healthy members, tagged with the run's seed. */
  static async connect(port: number, seed: number): Promise<HealthWatch> {
    const tag = (seed >>> 0).toString(36);
    const a = await NativeClient.connect(port, `healthy-a-${tag}`);
    try {
      const b = await NativeClient.connect(port, `healthy-b-${tag}`);
      return new HealthWatch([a, b]);
    } catch (error) {
      await a[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** How many checks ran so far. */
  get checks(): number {
    return this.#checks;
  }

  /** Returns a problem, or undefined when both clients still chat. */
  async check(): Promise<string | undefined> {
    const n = this.#checks++;
    const from = n % 2;
    const sender = this.#clients[from];
    const receiver = this.#clients[1 - from];
    for (const [i, client] of this.#clients.entries()) {
      const problem = await this.#review(client, i);
      if (problem) return problem;
    }
    const token = `health-${n}`;
    const isMine = (line: string) => {
      if (!line.includes(token)) return false;
      const event = JSON.parse(line);
      return event.type === "msg" && event.text === token;
    };
    try {
      await sender.send({ type: "msg", text: token });
      await sender.send({ type: "ping", token });
      await receiver.waitLine(isMine, 0, 3000);
      await sender.waitLine(isMine, 0, 3000);
      await sender.waitLine((line) => line === JSON.stringify({ type: "pong", token }), 0, 3000);
    } catch (error) {
      return `healthy client ${from} stopped chatting: ${(error as Error).message.slice(0, 500)}`;
    }
    return undefined;
  }

  /** Checks the lines received since the last review, then forgets them. */
  async #review(client: NativeClient, i: number): Promise<string | undefined> {
    if (client.ended) return `healthy client ${i} was disconnected: ${client.lines.slice(-3)}`;
    const lines = client.lines.splice(0);
    for (const line of lines) {
      if (!line.startsWith("{")) {
        // A hello that came late drew the text greeting first (protocol.md 3.1).
        if (/^(Welcome to .*\. Pick a nick\.|(Nick\? )+)$/.test(line)) continue;
        return `healthy client ${i} got a non-JSON line ${JSON.stringify(line)}`;
      }
      const event = JSON.parse(line);
      const unsafe = unsafeReceived(event);
      if (unsafe) return `healthy client ${i} got unsafe text: ${unsafe}`;
      if (event.type === "ping") await client.send({ type: "pong", token: event.token });
      if (event.type === "bye" || event.type === "error") {
        return `healthy client ${i} got ${line}`;
      }
      if (event.room === "#lobby" && typeof event.id === "number") {
        if (event.id <= this.#lastId[i]) {
          return `healthy client ${i} got #lobby id ${event.id} after ${this.#lastId[i]}`;
        }
        this.#lastId[i] = event.id;
      }
    }
    return undefined;
  }

  /** Disconnects both members. */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const client of this.#clients) await client[Symbol.asyncDispose]();
  }
}
