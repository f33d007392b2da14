/**
 * A hostile server for client tests: a real TCP listener on 127.0.0.1 that
 * speaks the native protocol (it takes a hello, welcomes, answers pings) and
 * sends whatever a test scripts, plus the hostile corpus and one frame of
 * every server-to-client type with every string field poisoned, for the
 * tests and the fuzzer's server-to-client direction.
 *
 * @module
 */

import { within } from "./_waiting.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Strings a hostile server (or a machine in the middle of a `--plain`
 * connection) puts where text goes. Each starts with a visible tag so a test
 * can see that the cleaned rest still arrived.
 */
export const HOSTILE_CORPUS: readonly string[] = [
  "clear\x1b[2J\x1b[H\x1b[3J",
  "title-bel\x1b]0;pwned\x07",
  "title-st\x1b]2;pwned\x1b\\",
  "link\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
  "report\x1b[6n\x1b[c\x1b[21t",
  "screen\x1b[?1049l\x1b[?2004l\x1b[?25l\x1bc",
  "bell\x07\x07\x07",
  "crlf\r\n[12:00] <admin> forged line\r\n",
  "cr\roverwritten",
  "c1\x9b2J\x9d0;c1 title\x9c\x85\x90dcs\x9c\x9e\x9f",
  "bidi\u202eevil\u202c\u2066isolated\u2069\u200f\u061c",
  "surrogates\ud800 lone \udfff\udc00\ud83d",
  "zero-width\u200db\u200bc\ufeffd\u2060e\u00adf",
  "controls\x00\x01\x08\x0b\x0c\x0e\x1f\x7f\x1b",
  "separators\u2028line\u2029paragraph\x1c\x1d\x1e",
  "dcs\x1bP+q544e\x1b\\apc\x1b_payload\x1b\\pm\x1b^x\x1b\\sos\x1bXy\x1b\\",
  "huge" + "W".repeat(40_000) + "\x1b]0;pwned-late\x07" + "Z".repeat(20_000),
];

/** One frame of every server-to-client type (docs/protocol.md 3.3), every optional string present. */
export function frameTemplates(ts = Date.now()): Record<string, unknown>[] {
  const message = { type: "msg", room: "#lobby", id: 5, ts, from: "bob", text: "hi", kind: "say" };
  return [
    {
      type: "welcome",
      protocol: 1,
      server: "hostile",
      motd: "motd",
      nick: "ana",
      room: "#lobby",
      members: ["ana", "bob"],
      memberCount: 2,
      rateLimit: { rate: 50, burst: 100 },
      history: [message],
    },
    message,
    { type: "join", room: "#lobby", id: 6, ts, nick: "carol" },
    { type: "leave", room: "#lobby", id: 7, ts, nick: "carol", reason: "part", message: "bye" },
    { type: "nick", ts, old: "bob", new: "bobby", rooms: ["#lobby"] },
    { type: "dm", ts, from: "ana", to: "bob", text: "psst", kind: "say" },
    { type: "joined", room: "#dev", members: ["ana", "dave"], memberCount: 2, history: [message] },
    { type: "parted", room: "#dev", current: "#lobby" },
    { type: "who", room: "#lobby", members: ["ana", "bob"] },
    { type: "rooms", rooms: [{ room: "#lobby", members: 2 }] },
    { type: "history", room: "#lobby", messages: [message], more: true },
    { type: "help", commands: [{ name: "who", usage: "/who [#room]", help: "List", op: true }] },
    { type: "challenge", nonce: "n".repeat(43) },
    { type: "notice", message: "notice" },
    {
      type: "whois",
      nick: "bob",
      client: "client",
      fingerprint: "SHA256:fp",
      registered: true,
      operator: false,
      address: "10.0.0.2",
      rooms: ["#lobby"],
    },
    {
      type: "bans",
      bans: [{ kind: "ip", value: "10.0.0.9", nick: "eve", reason: "spam", by: "bob", ts }],
    },
    { type: "pong", token: "token" },
    { type: "ping", token: "token" },
    { type: "error", code: "bad_args", message: "error" },
    { type: "bye", reason: "quit", code: "timed_out", message: "bye" },
  ];
}

/** Every path to a string in `value`: `["history", 0, "text"]` and so on. */
export function stringPaths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value === "string") return [at];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringPaths(item, [...at, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => stringPaths(item, [...at, key]));
  }
  return [];
}

/** A deep copy of `frame` with the string at `path` replaced by `text`. */
export function poisoned(
  frame: Record<string, unknown>,
  path: (string | number)[],
  text: string,
): Record<string, unknown> {
  const copy = structuredClone(frame);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = text;
  return copy;
}

/**
 * Every template with every string field (`type` too) replaced, in turn, by
 * every corpus entry; the `bye` ones last (a clean goodbye ends the session).
 */
export function poisonedFrames(ts = Date.now()): Record<string, unknown>[] {
  const frames: Record<string, unknown>[] = [];
  const byes: Record<string, unknown>[] = [];
  for (const template of frameTemplates(ts)) {
    for (const path of stringPaths(template)) {
      for (const text of HOSTILE_CORPUS) {
        (template.type === "bye" ? byes : frames).push(poisoned(template, path, text));
      }
    }
  }
  return [...frames, ...byes];
}

/** Malformed frames a client must refuse with a notice (and survive). */
export const MALFORMED_LINES: readonly string[] = [
  '{"type":"who","room":"#lobby","members":null}',
  '{"type":"msg","room":"#lobby","id":9,"ts":1e308,"from":"bob","text":"x","kind":"say"}',
  '{"type":"msg","room":"#lobby","id":9,"ts":1,"from":42,"text":"x","kind":"say"}',
  '{"type":"msg","room":"#lobby","id":9,"ts":1,"from":"bob","kind":"say"}',
  '{"type":"join","room":"#lobby","id":1e400,"ts":1,"nick":"x"}',
  '{"type":"leave","room":"#lobby","id":9,"ts":1,"nick":"x","reason":"exploded"}',
  '{"type":"rooms","rooms":[{"room":"#lobby","members":-1}]}',
  '{"type":"rooms","rooms":{"room":"#lobby"}}',
  '{"type":"history","room":"#lobby","messages":[null],"more":true}',
  '{"type":"bans","bans":[{"kind":"ip","value":"1","by":"x","ts":"yesterday"}]}',
  '{"type":"welcome","protocol":1,"server":{},"nick":"ana","room":"#lobby","members":[],"history":[]}',
  '{"type":"nick","ts":1,"old":"bob","new":["x"],"rooms":[]}',
  '{"type":"error","code":7,"message":"x"}',
  '{"type":"notice"}',
  '{"type":"msg"',
  "plain text\x1b[2J from the server",
  "[1,2,3]",
  "null",
  "{}",
  '{"type":null}',
];

/** One native connection to the hostile server, as a script drives it. */
export class HostilePeer {
  /** Lines the client sent (its hello first), parsed. */
  readonly received: Record<string, unknown>[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  /** Writes go out one after the other: a script's and the answers to pings. */
  #writing: Promise<void> = Promise.resolve();

  constructor(readonly conn: Deno.Conn) {}

  /**
   * Sends frames: an object as JSON, a string as it is, bytes as they are
   * (invalid UTF-8 too), each followed by a line break.
   */
  send(...frames: (Record<string, unknown> | string | Uint8Array)[]): Promise<void> {
    const parts = frames.map((f) =>
      f instanceof Uint8Array ? f : encoder.encode(typeof f === "string" ? f : JSON.stringify(f))
    );
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length + 1, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      bytes[offset + part.length] = 0x0a;
      offset += part.length + 1;
    }
    const write = async () => {
      let left = bytes;
      while (left.length > 0) left = left.subarray(await this.conn.write(left));
    };
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }

  /** Waits for a frame from the client that matches. */
  async waitFor(
    match: (frame: Record<string, unknown>) => boolean,
    ms = 15_000,
  ): Promise<Record<string, unknown>> {
    return await within(
      ms,
      (async () => {
        while (true) {
          const found = this.received.find(match);
          if (found) return found;
          if (this.#ended) {
            throw new Error(
              `the client closed the connection; it sent ${
                this.received.map((f) => JSON.stringify(f).slice(0, 80)).join(", ")
              }`,
            );
          }
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      })(),
      "a frame from the client",
    );
  }

  /** Reads the client's lines, answering its pings (its confirmations), until it closes. */
  async read(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let partial = "";
    try {
      while (true) {
        const n = await this.conn.read(buffer);
        if (n === null) break;
        partial += decoder.decode(buffer.subarray(0, n), { stream: true });
        const lines = partial.split("\n");
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.trim() === "") continue;
          const frame = JSON.parse(line);
          this.received.push(frame);
          if (frame.type === "ping") await this.send({ type: "pong", token: frame.token });
        }
        this.#wake();
      }
    } catch {
      // Closed.
    } finally {
      this.#ended = true;
      this.#wake();
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits for what was sent to be written, then closes the writing half. */
  async finish(): Promise<void> {
    await this.#writing.catch(() => {});
    await this.conn.closeWrite().catch(() => {});
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

/**
 * A TCP server on 127.0.0.1, port 0, that runs `script` for each native
 * connection once the client's hello arrived.
 */
export class HostileServer implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Deno.Listener;
  readonly #tasks: Promise<void>[] = [];
  readonly #peers = new Set<HostilePeer>();
  readonly #accepting: Promise<void>;
  /** Errors the scripts threw. */
  readonly errors: unknown[] = [];

  constructor(script: (peer: HostilePeer) => Promise<void>) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#accepting = (async () => {
      try {
        for await (const conn of listener) {
          const peer = new HostilePeer(conn);
          this.#peers.add(peer);
          const reading = peer.read();
          this.#tasks.push(
            reading,
            (async () => {
              try {
                await peer.waitFor((f) => f.type === "hello");
                await script(peer);
                // Like a server after its goodbye: no more writes, and the
                // client's last lines are read, so that closing sends FIN,
                // not a reset that could destroy what is still in flight.
                await peer.finish();
                await within(10_000, reading, "the client to close the connection");
              } catch (error) {
                this.errors.push(error);
              } finally {
                peer.close();
                this.#peers.delete(peer);
              }
            })(),
          );
        }
      } catch {
        // The listener was closed.
      }
    })();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const peer of this.#peers) peer.close();
    await Promise.all(this.#tasks);
  }
}

/**
 * The script of the full hostile run: a welcome poisoned with the whole
 * corpus (server name, motd, history), then every poisoned frame, the
 * malformed lines, and, once the client asked to quit, a poisoned goodbye.
 */
export async function hostileRun(peer: HostilePeer): Promise<void> {
  const ts = Date.now();
  const [welcome] = frameTemplates(ts);
  const history = HOSTILE_CORPUS.map((text, i) => ({
    type: "msg",
    room: "#lobby",
    id: i + 1,
    ts,
    from: "bob",
    text,
    kind: i % 2 ? "action" : "say",
  }));
  await peer.send({
    ...welcome,
    server: "hostile" + HOSTILE_CORPUS.slice(0, -1).join(""),
    motd: HOSTILE_CORPUS.join("\n"),
    history,
    rateLimit: undefined,
  });
  const frames = poisonedFrames(ts);
  // Everything but the goodbyes, a batch at a time.
  const rest = [...frames.filter((f) => f.type !== "bye"), ...MALFORMED_LINES];
  for (let i = 0; i < rest.length; i += 50) await peer.send(...rest.slice(i, i + 50));
  await peer.waitFor((f) => f.type === "cmd" && f.name === "quit", 60_000);
  // Goodbyes poisoned where the client must refuse or ignore them (reason, code, type)...
  const bye = frameTemplates(ts).find((f) => f.type === "bye")!;
  const refused = stringPaths(bye).filter((path) => path[0] !== "message").flatMap((path) =>
    HOSTILE_CORPUS.map((text) => poisoned(bye, path, text))
  );
  // ...then the one that ends the session, its message carrying the whole corpus.
  await peer.send(...refused, { ...bye, code: undefined, message: HOSTILE_CORPUS.join(" ") });
}
