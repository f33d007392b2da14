/**
 * Helpers for tests that use sockets or processes. Everything listens on
 * 127.0.0.1 port 0 and is `AsyncDisposable`, so a test writes
 * `await using server = await startServer()` and leaks nothing.
 *
 * @module
 */

import { PLAIN_BINDING } from "../lib/protocol/key_proof.ts";
import { fingerprintOfPem } from "../lib/server/tls_certificate.ts";
import type { ChatEvent } from "../lib/core/events.ts";
import { ChatServer, type ChatServerOptions } from "../lib/server/chat_server.ts";
import { serverV8Flags } from "../tools/v8_flags.ts";
import { type Identity, loadIdentity } from "../lib/client/identity.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The project root, where deno.json and the entry points live. */
export const ROOT = new URL("../", import.meta.url).pathname;

/** Starts an in-process server on 127.0.0.1 with a free port. */
export function startServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  return ChatServer.listen({ hostname: "127.0.0.1", port: 0, ...options });
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `message` if `promise` takes longer than `ms`. */
export async function within<T>(ms: number, promise: Promise<T>, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${message}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A raw TCP peer that reads lines in the background and lets a test wait
 * for the line it expects. Base of the native and text test clients.
 */
class LinePeer implements AsyncDisposable {
  readonly lines: string[] = [];
  readonly #conn: Deno.Conn;
  readonly #reading: Promise<void>;
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(conn: Deno.Conn, read = true) {
    this.#conn = conn;
    this.#reading = read ? this.#read() : Promise.resolve();
  }

  /** Whether the server closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Sends raw bytes or text, as is. */
  async write(data: string | Uint8Array): Promise<void> {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    while (bytes.length > 0) bytes = bytes.subarray(await this.#conn.write(bytes));
  }

  /** Waits for the first line from index `from` on that matches. */
  async waitLine(match: (line: string) => boolean, from = 0, ms = 5000): Promise<string> {
    return await within(ms, this.#wait(() => this.lines.slice(from).find(match)), "expected line");
  }

  /** Waits until the server closes the connection. */
  async waitEnd(ms = 5000): Promise<void> {
    await within(ms, this.#wait(() => this.#ended || undefined), "connection to close");
  }

  async #wait<T>(probe: () => T | undefined): Promise<T> {
    while (true) {
      const found = probe();
      if (found !== undefined) return found;
      if (this.#ended) {
        throw new Error(`Connection closed; lines so far:\n${this.lines.join("\n")}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let partial = "";
    try {
      while (true) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        partial += decoder.decode(buffer.subarray(0, n), { stream: true });
        const parts = partial.split("\n");
        partial = parts.pop()!;
        this.lines.push(...parts.map((line) => this.normalize(line.replace(/\r$/, ""))));
        this.#wake();
      }
    } catch {
      // Closed by us or reset by the server: either way the stream ended.
    } finally {
      if (partial) this.lines.push(partial);
      this.#ended = true;
      this.#wake();
    }
  }

  /** Resolves with the first non-undefined answer of `probe`, re-run as lines arrive. */
  protected waitUntil<T>(probe: () => T | undefined): Promise<T> {
    return this.#wait(probe);
  }

  /** Hook to tidy a received line before it is stored. */
  protected normalize(line: string): string {
    return line;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Closes the socket (idempotent). */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#reading;
  }
}

/** A key for tests: what a hello names and what signs the challenge. */
export type TestKey = Pick<Identity, "publicKey" | "fingerprint" | "sign">;

/** A fresh Ed25519 key that lives for this test only. */
export function testKey(): Promise<TestKey> {
  return loadIdentity(undefined);
}

/** What a test client puts in its hello beyond the nick. */
export interface HelloOptions {
  password?: string;
  /** Prove this key: the hello names it and the challenge is answered. */
  key?: TestKey;
}

/** A native-protocol test client: JSON frames in, parsed events out. */
export class NativeClient extends LinePeer {
  /** What key proofs are bound to: the server certificate's fingerprint, or "plain". */
  binding = PLAIN_BINDING;

  /**
   * Connects; with `nick`, also says hello (with a password and a key
   * proof when given) and waits for the welcome.
   */
  static async connect(
    port: number,
    nick?: string,
    options: HelloOptions = {},
  ): Promise<NativeClient> {
    return await NativeClient.#start(
      await Deno.connect({ hostname: "127.0.0.1", port }),
      nick,
      options,
    );
  }

  /** Connects with TLS, trusting exactly `certificate` (PEM), then as {@linkcode connect}. */
  static async connectTls(
    port: number,
    certificate: string,
    nick?: string,
    options: HelloOptions = {},
  ): Promise<NativeClient> {
    const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [certificate] });
    return await NativeClient.#start(conn, nick, options, await fingerprintOfPem(certificate));
  }

  static async #start(
    conn: Deno.Conn,
    nick: string | undefined,
    options: HelloOptions,
    binding = PLAIN_BINDING,
  ): Promise<NativeClient> {
    const client = new NativeClient(conn);
    client.binding = binding;
    if (nick) {
      const from = client.events.length;
      await client.hello(nick, options);
      await client.next("welcome", () => true, from);
    }
    return client;
  }

  /**
   * Sends a hello and, when it names a key, answers the challenge. Resolves
   * once the auth is sent, or once the server answered without a
   * challenge (an error or a welcome): the test then reads the outcome.
   */
  async hello(nick: string, options: HelloOptions = {}): Promise<void> {
    const from = this.events.length;
    await this.send({
      type: "hello",
      protocol: 1,
      nick,
      client: "test",
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.key ? { key: options.key.publicKey } : {}),
    });
    if (!options.key) return;
    const first = await within(
      5000,
      this.waitUntil(() =>
        this.events.slice(from).find((e) =>
          e.type === "challenge" || e.type === "error" || e.type === "welcome"
        )
      ),
      "a challenge",
    );
    if (first.type !== "challenge") return;
    await this.send({
      type: "auth",
      signature: await options.key.sign(first.nonce, this.binding),
    });
  }

  /** The events received so far, parsed. */
  get events(): ChatEvent[] {
    return this.lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
  }

  /** Sends a frame as one JSON line. */
  send(frame: Record<string, unknown>): Promise<void> {
    return this.write(JSON.stringify(frame) + "\n");
  }

  /** Waits for an event of `type` (and matching `where`), from event index `from` on. */
  async next<T extends ChatEvent["type"]>(
    type: T,
    where: (event: Extract<ChatEvent, { type: T }>) => boolean = () => true,
    from = 0,
  ): Promise<Extract<ChatEvent, { type: T }>> {
    // Each pass looks at the JSON lines from index `from` on, afresh.
    const probe = () => {
      let index = 0;
      for (const line of this.lines) {
        if (!line.startsWith("{")) continue;
        if (index++ < from) continue;
        const event = JSON.parse(line);
        if (event.type === type && where(event)) return event as Extract<ChatEvent, { type: T }>;
      }
      return undefined;
    };
    return await within(5000, this.waitUntil(probe), `a "${type}" event`);
  }
}

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

/** A TCP peer that says hello and then never reads: a stalled client. */
export async function connectStalled(port: number, nick: string): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const hello = { type: "hello", protocol: 1, nick, client: "stalled" };
  await conn.write(encoder.encode(JSON.stringify(hello) + "\n"));
  return conn;
}

/** A running entry point (`server.ts` or `client.ts`) under `deno run`. */
export class EntryProcess implements AsyncDisposable {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #pumps: Promise<void>[];
  #waiters: (() => void)[] = [];

  constructor(child: Deno.ChildProcess, piped: boolean) {
    this.#child = child;
    this.#stdin = piped ? child.stdin.getWriter() : undefined;
    this.#pumps = [this.#pump(child.stdout, this.stdout), this.#pump(child.stderr, this.stderr)];
    this.status = child.status;
  }

  /** The process id, for signals. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Writes to the process's stdin. */
  async write(text: string): Promise<void> {
    await this.#stdin!.write(encoder.encode(text));
  }

  /** Closes stdin (end of input). */
  async closeStdin(): Promise<void> {
    await this.#stdin?.close().catch(() => {});
  }

  /** Sends a signal. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  /** Waits for a stdout line that matches. */
  waitStdout(match: (line: string) => boolean, ms = 20_000): Promise<string> {
    return within(
      ms,
      this.#wait(() => this.stdout.find(match)),
      `stdout line; got:\n${this.stdout.join("\n")}\nstderr:\n${this.stderr.join("\n")}`,
    );
  }

  /** Waits for a stderr line that matches (a log line of the server). */
  waitStderr(match: (line: string) => boolean, ms = 20_000): Promise<string> {
    return within(
      ms,
      this.#wait(() => this.stderr.find(match)),
      `stderr line; got:\n${this.stderr.join("\n")}`,
    );
  }

  /** Waits for the exit, and all output. */
  async finished(ms = 20_000): Promise<Deno.CommandStatus> {
    const status = await within(ms, this.status, "process to exit");
    await Promise.all(this.#pumps);
    return status;
  }

  async #wait<T>(probe: () => T | undefined): Promise<T> {
    while (true) {
      const found = probe();
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async #pump(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
    let partial = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      into.push(...parts);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
    if (partial) into.push(partial);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    this.kill("SIGKILL");
    await this.status;
    await Promise.all(this.#pumps);
  }
}

/**
 * Runs `server.ts` or `client.ts` with `deno run` and the permission set of
 * the same name from deno.json: the set the compile task bakes into the
 * binaries, so a missing permission fails here too.
 */
export function runEntry(
  entry: "server" | "client",
  args: string[],
  options: EntryOptions = {},
): EntryProcess {
  const stdin = options.stdin ?? "null";
  const special = args.some((a) => /^--(help|version|forget-host)|^export$/.test(a));
  const denoArgs = [
    "run",
    "-q",
    `-P=${entry}`,
    ...(entry === "server" ? serverV8Flags() : []),
    `${entry}.ts`,
    ...args,
    // Tests never touch the real data or config directory unless they choose one.
    ...(entry === "server" && !special && !args.some((a) => /^--(data-dir|no-persist)/.test(a))
      ? ["--data-dir", ":memory:"]
      : []),
    ...(entry === "client" && !args.some((a) => /^--(config-dir|help|version)/.test(a))
      ? ["--config-dir", Deno.makeTempDirSync({ prefix: "lanchat-client-" })]
      : []),
    // Plain TCP unless the test is about TLS (tls_test.ts).
    ...(!options.tls && !special ? ["--plain"] : []),
  ];
  const [command, commandArgs] = options.netns
    ? options.netns.wrap(Deno.execPath(), denoArgs)
    : [Deno.execPath(), denoArgs];
  const child = new Deno.Command(command, {
    args: commandArgs,
    cwd: ROOT,
    stdin,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  return new EntryProcess(child, stdin === "piped");
}

/** How to run an entry point. */
export interface EntryOptions {
  stdin?: "piped" | "null";
  /** Leave TLS on (the programs' default); otherwise tests run with `--plain`. */
  tls?: boolean;
  /** Run it inside this network namespace (for a server that listens on every interface). */
  netns?: NetNamespace;
}

/**
 * A network namespace of the test's own with only its loopback up: a
 * server that listens on every interface (the default) is reachable there
 * from processes run inside it, and from nowhere else. Needs root (`ip
 * netns`), as CI has.
 */
export class NetNamespace implements AsyncDisposable {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  static async create(): Promise<NetNamespace> {
    const name = `lanchat-test-${crypto.randomUUID().slice(0, 8)}`;
    await ip(["netns", "add", name]);
    await ip(["-n", name, "link", "set", "lo", "up"]);
    return new NetNamespace(name);
  }

  /** The command and arguments that run `command args` inside the namespace. */
  wrap(command: string, args: string[]): [string, string[]] {
    return ["ip", ["netns", "exec", this.name, command, ...args]];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await ip(["netns", "delete", this.name]);
  }
}

async function ip(args: string[]): Promise<void> {
  const result = await new Deno.Command("ip", { args, stderr: "piped" }).output();
  if (!result.success) {
    throw new Error(
      `ip ${args.join(" ")} failed (network namespaces need root): ${
        new TextDecoder().decode(result.stderr).trim()
      }`,
    );
  }
}

/** Runs `client.ts` against 127.0.0.1:`port` as `nick`, with extra flags. */
export function runClient(
  port: number,
  nick: string,
  extra: string[] = [],
  options: EntryOptions = {},
): EntryProcess {
  return runEntry(
    "client",
    ["--host", "127.0.0.1", "--port", String(port), "--nick", nick, ...extra],
    options,
  );
}

/** Starts `server.ts` on a free port and returns it with the port it printed. */
export async function runServer(
  args: string[] = [],
  options: EntryOptions = {},
): Promise<{ server: EntryProcess; port: number }> {
  const server = runEntry("server", ["--host", "127.0.0.1", "--port", "0", ...args], options);
  const line = await server.waitStdout((line) => line.startsWith("listening on 127.0.0.1:"));
  return { server, port: Number(line.split(":").at(-1)) };
}

/**
 * A TCP relay in front of a server whose links can be cut the way a laptop
 * leaving the network cuts them: {@linkcode FreezableProxy.cut} closes the
 * client's side at once, but the server's side stays open and silent, so
 * the server still holds a ghost session.
 */
export class FreezableProxy implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Deno.Listener<Deno.TcpConn>;
  readonly #links = new Set<{ client: Deno.TcpConn; server: Deno.TcpConn; cut: boolean }>();
  readonly #tasks: Promise<void>[] = [];
  readonly #accepting: Promise<void>;

  constructor(readonly targetPort: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  /** Cuts every open link: clients see the connection end, the server sees nothing. */
  cut(): void {
    for (const link of this.#links) {
      if (link.cut) continue;
      link.cut = true;
      closeQuietly(link.client);
    }
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        const server = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
        const link = { client, server, cut: false };
        this.#links.add(link);
        this.#tasks.push(this.#pump(link, client, server), this.#pump(link, server, client));
      }
    } catch {
      // The listener was closed.
    }
  }

  async #pump(
    link: { cut: boolean; client: Deno.TcpConn; server: Deno.TcpConn },
    from: Deno.TcpConn,
    to: Deno.TcpConn,
  ): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (!link.cut) {
        const n = await from.read(buffer);
        if (n === null || link.cut) break;
        let chunk = buffer.subarray(0, n);
        while (chunk.length > 0) chunk = chunk.subarray(await to.write(chunk));
      }
    } catch {
      // One side went away.
    }
    // A cut link keeps its server side open (the ghost); otherwise both close.
    if (!link.cut) {
      closeQuietly(link.client);
      closeQuietly(link.server);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const link of this.#links) {
      closeQuietly(link.client);
      closeQuietly(link.server);
    }
    await Promise.all(this.#tasks);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
