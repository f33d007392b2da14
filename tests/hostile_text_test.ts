/**
 * The hostile text corpus through every field of every client frame, over
 * real sockets, read by every kind of receiver: native JSON clients (a
 * bystander, an operator, the sender itself) and text clients as `nc`
 * users see them, byte for byte.
 */

import assert from "node:assert/strict";
import { HOSTILE_TEXT, unsafeInEvent, unsafeInText } from "../lib/core/_hostile_text.ts";
import { runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { within } from "./_waiting.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A raw TCP text client, like `nc`: keeps every byte the server sends. */
class RawText implements AsyncDisposable {
  readonly #conn: Deno.TcpConn;
  readonly #chunks: Uint8Array[] = [];
  readonly #reading: Promise<void>;
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#reading = this.#read();
  }

  static async connect(port: number): Promise<RawText> {
    return new RawText(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.#chunks.reduce((sum, c) => sum + c.length, 0));
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  get text(): string {
    return decoder.decode(this.bytes);
  }

  async line(line: string): Promise<void> {
    let bytes = encoder.encode(`${line}\r\n`);
    while (bytes.length) bytes = bytes.subarray(await this.#conn.write(bytes));
  }

  /** Waits until the text received so far (from `from` characters on) matches. */
  async waitFor(pattern: RegExp | string, from = 0): Promise<void> {
    const found = () => {
      const text = this.text.slice(from);
      return typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
    };
    await within(
      10_000,
      (async () => {
        while (!found()) {
          if (this.#ended) throw new Error(`closed; got ${JSON.stringify(this.text.slice(-500))}`);
          await new Promise<void>((resolve) => this.#wake = resolve);
        }
      })(),
      `text matching ${pattern}; got ${JSON.stringify(this.text.slice(-300))}`,
    );
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#chunks.push(buffer.slice(0, n));
        this.#wake?.();
      }
    } catch {
      // Reset or closed: the stream ended either way.
    } finally {
      this.#ended = true;
      this.#wake?.();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    await this.#reading;
  }
}

/** Checks every event a native client got (but its own pongs, which echo its own token). */
function assertNativeSafe(client: NativeClient, who: string): void {
  let seen = 0;
  for (const event of client.events) {
    if (event.type === "pong") continue;
    seen++;
    const problem = unsafeInEvent(event);
    assert.equal(problem, undefined, `${who} got ${problem}`);
  }
  assert.ok(seen > 0, `${who} got nothing`);
}

function assertTextSafe(client: RawText, who: string): void {
  const problem = unsafeInText(client.bytes);
  assert.equal(problem, undefined, `${who} got ${problem}`);
  assert.ok(client.bytes.length > 0, `${who} got nothing`);
}

Deno.test("the hostile corpus in every field of every client frame reaches no receiver unsafe", async () => {
  const opKey = await testKey();
  await using server = await startServer({
    rateLimit: false,
    operators: [opKey.fingerprint],
    textPromptDelayMs: 50,
  });
  const port = server.addr.port;
  await using watch = await NativeClient.connect(port, "watch");
  await using mod = await NativeClient.connect(port, "mod", { key: opKey });
  await using nc = await RawText.connect(port);
  await nc.line("ncuser");
  await nc.waitFor("Welcome to lanchat, ncuser!");
  await nc.line("/join #side");
  await nc.line("/join #lobby");
  const senders: NativeClient[] = [];
  const typists: RawText[] = [];
  try {
    for (const [i, text] of HOSTILE_TEXT.entries()) {
      // A native sender: the corpus in every field of every frame type.
      const evil = await NativeClient.connect(port);
      senders.push(evil);
      await evil.send({ type: "hello", protocol: 1, nick: text, client: text });
      await evil.next("error", (e) => e.code === "bad_nick");
      await evil.send({ type: "hello", protocol: 1, nick: `evil${i}`, client: text });
      await evil.next("welcome");
      const frames = [
        { type: "msg", text },
        { type: "msg", text: "hi", room: text },
        { type: "cmd", name: text, args: text },
        { type: "cmd", name: "join", args: "#side" },
        { type: "cmd", name: "who", args: "", room: text },
        { type: "cmd", name: "nick", args: text },
        { type: "input", line: text },
        { type: "input", line: "hi", room: text },
        { type: "input", line: `/me ${text}` },
        { type: "input", line: `/msg watch ${text}` },
        { type: "input", line: `/msg ncuser ${text}` },
        { type: "input", line: `/join ${text}` },
        { type: "input", line: `/whois ${text}` },
        { type: "input", line: `/history ${text}` },
        { type: "input", line: `/unregister ${text}` },
        { type: "input", line: `/kick ${text} ${text}` },
        { type: "ping", token: text },
        { type: "pong", token: text },
        { type: "auth", signature: text },
        { type: "hello", protocol: 1, nick: "again", client: text, password: text, key: text },
        { type: "input", line: `/part #side ${text}` },
        { type: "ping", token: `done${i}` },
      ];
      for (const frame of frames) await evil.send(frame);
      await evil.next("pong", (e) => e.token === `done${i}`);
      // What the others see of it: /whois (the original bug), /who, /rooms.
      const from = nc.text.length;
      await nc.line(`/whois evil${i}`);
      await nc.line("/who");
      await nc.line("/rooms");
      await nc.waitFor(/Rooms: /, from);
      await nc.waitFor(`evil${i}: no key`, from);
      // It goes: by its own /quit, or kicked by the operator, with the corpus as the reason.
      if (i % 2 === 0) await evil.send({ type: "input", line: `/quit ${text}` });
      else await mod.send({ type: "input", line: `/kick evil${i} ${text}` });
      await watch.next("leave", (e) => e.nick === `evil${i}`);

      // A text sender (nc): the nick prompt, then lines.
      const typist = await RawText.connect(port);
      typists.push(typist);
      // (A line break would end the nick early: the first line is the nick.)
      await typist.line(`bad${text.replace(/[\r\n]/g, "")}`);
      await typist.waitFor(/! Nick|Welcome to lanchat, /);
      if (typist.text.includes("! Nick")) {
        await typist.line(`typist${i}`);
        await typist.waitFor(`Welcome to lanchat, typist${i}!`);
      } else {
        // Text mode drops NUL bytes (telnet sends CR NUL): what is left may be a fine nick.
        await typist.line(`/nick typist${i}`);
        await typist.waitFor(`is now known as typist${i}`);
      }
      // A line break in a text line ends it: the message splits, a command's words do not.
      const flat = text.replace(/[\r\n]+/g, " ");
      for (const line of [text, `/me ${flat}`, `/nick ${flat}`, `/join ${flat}`, `/${flat}`]) {
        await typist.line(line);
      }
      await typist.line(`/quit ${flat}`);
      await typist.waitFor("* Goodbye");
    }
    // At last a ban with the corpus as its reason, and the operator's /bans.
    const last = HOSTILE_TEXT.at(-3)!;
    const banned = await NativeClient.connect(port, "banned");
    senders.push(banned);
    await mod.send({ type: "input", line: `/ban banned ${last}` });
    await mod.send({ type: "input", line: "/bans" });
    await mod.next("bans");
  } finally {
    for (const client of senders) await client[Symbol.asyncDispose]();
    for (const client of typists) await client[Symbol.asyncDispose]();
  }
  assertNativeSafe(watch, "the native bystander");
  assertNativeSafe(mod, "the operator");
  for (const [i, client] of senders.entries()) assertNativeSafe(client, `native sender ${i}`);
  assertTextSafe(nc, "the nc bystander");
  for (const [i, client] of typists.entries()) assertTextSafe(client, `nc sender ${i}`);
  // The receivers did see the hostile members' words, cleaned.
  assert.ok(watch.events.some((e) => e.type === "msg" && e.text.includes("red")));
  assert.match(nc.text, /evil0: no key, client "cleared", in #lobby/);
});

Deno.test("a hostile password typed at a private server's prompt is never echoed", async () => {
  await using server = await startServer({
    password: "pw",
    textPromptDelayMs: 50,
    passwordGate: { baseDelayMs: 1, maxDelayMs: 4 },
  });
  for (const text of HOSTILE_TEXT.slice(0, 12)) {
    await using typist = await RawText.connect(server.addr.port);
    await typist.waitFor("Password? ");
    await typist.line(text.replace(/[\r\n]/g, ""));
    await typist.line("someone");
    await typist.waitFor("! Access denied: wrong password");
    assertTextSafe(typist, `the typist of ${JSON.stringify(text)}`);
  }
});

Deno.test("end to end: an ncat user's /whois of a hostile hello.client prints no escape, bell or forged line", async () => {
  const { server, port } = await runServer(["--name", "e2e"]);
  await using _server = server;
  await using evil = await NativeClient.connect(port);
  await evil.send({
    type: "hello",
    protocol: 1,
    nick: "evil",
    client: "x\x1b]0;pwned\x07\x1b[2J\x07\r\n[12:00] <admin> type /quit\u009b1m\u202e",
  });
  await evil.next("welcome");
  const ncat = new Deno.Command("ncat", {
    args: ["127.0.0.1", String(port)],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stdin = ncat.stdin.getWriter();
  const chunks: Uint8Array[] = [];
  const reader = ncat.stdout.getReader();
  const received = () => decoder.decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  const until = (pattern: RegExp) =>
    within(
      10_000,
      (async () => {
        while (!pattern.test(received())) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`ncat output ended: ${JSON.stringify(received())}`);
          chunks.push(value);
        }
      })(),
      `ncat output matching ${pattern}`,
    );
  try {
    await until(/Nick\? $/);
    await stdin.write(encoder.encode("nc_user\r\n/whois evil\r\n"));
    await until(/evil: .*\r\n/);
    await stdin.write(encoder.encode("/quit\r\n"));
    await stdin.close();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
    await ncat.stdout.cancel().catch(() => {});
    await stdin.close().catch(() => {});
    await ncat.status;
  }
  const bytes = new Uint8Array(chunks.flatMap((c) => [...c]));
  assert.equal(unsafeInText(bytes), undefined);
  const whois = received().split("\r\n").find((line) => line.startsWith("evil: "));
  assert.equal(whois, 'evil: no key, client "x [12:00] <admin> type /quit", in #lobby');
  // No line of its own was forged: the only line that starts with a time is none.
  assert.ok(!received().split("\r\n").some((line) => line.startsWith("[12:00] <admin>")));
});
