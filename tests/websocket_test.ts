/**
 * The web side of the one port: a WebSocket client joins `server.ts` (plain
 * and TLS) at `/ws` and chats with a native and a text client; the page and
 * its headers; what is refused (another origin, unknown paths, slow and
 * huge requests); a WebSocket client that stops reading is dropped, and
 * shutdown says goodbye.
 */

import assert from "node:assert/strict";
// @ts-types="../lib/server/ws_types.d.ts"
import WebSocket from "ws";
import { runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { stopped, tlsServer } from "./_tls_server.ts";
import { readToEnd, until, within } from "./_waiting.ts";

/** A native-protocol client over a WebSocket (npm ws, so that it can set `Origin`). */
class WebClient implements AsyncDisposable {
  readonly frames: Record<string, unknown>[] = [];
  readonly #socket: WebSocket;
  readonly #closed: Promise<void>;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    this.#closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("message", (data) => {
      for (const line of String(data).split("\n")) {
        if (line !== "") this.frames.push(JSON.parse(line));
      }
    });
  }

  /** Opens `url` from a page of `origin`; rejects with the HTTP status of a refusal. */
  static open(url: string, origin: string): Promise<WebClient> {
    const socket = new WebSocket(url, { origin, rejectUnauthorized: false });
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new WebClient(socket)));
      socket.once("unexpected-response", (_request, response) => {
        reject(new Error(`HTTP ${response.statusCode}`));
        socket.terminate();
      });
      socket.once("error", reject);
    });
  }

  send(frame: Record<string, unknown>): void {
    this.#socket.send(JSON.stringify(frame));
  }

  /** Resolves when the connection has closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Stops reading from the socket: what the server sends piles up in its buffers. */
  stall(): void {
    this.#socket.pause();
  }

  /** Reads again. */
  unstall(): void {
    this.#socket.resume();
  }

  async hello(nick: string): Promise<void> {
    this.send({ type: "hello", protocol: 1, nick, client: "web-test" });
    await this.next((frame) => frame.type === "welcome");
  }

  next(match: (frame: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return within(
      5000,
      (async () => {
        await until(() => this.frames.some(match), 5000);
        return this.frames.find(match)!;
      })(),
      "a frame",
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#socket.close();
    await this.#closed;
  }
}

/** The texts of `msg` frames, in the order received. */
const texts = (frames: { type: string; text?: unknown }[]) =>
  frames.filter((frame) => frame.type === "msg").map((frame) => String(frame.text));

Deno.test("WebSocket: a browser-like client, a native client and nc chat in #lobby in the same order (plain)", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using web = await WebClient.open(`ws://127.0.0.1:${port}/ws`, `http://127.0.0.1:${port}`);
  await web.hello("web");
  await using native = await NativeClient.connect(port, "native");
  await using text = await TextClient.connect(port, "tex");
  await web.next((frame) => frame.type === "join" && frame.nick === "tex");
  // Sent at once on three connections: the order is the server's, and everyone sees it.
  web.send({ type: "msg", text: "from web" });
  await native.send({ type: "msg", text: "from native" });
  await text.sendLine("from text");
  const all = ["from native", "from text", "from web"];
  await until(() => texts(web.frames as { type: string }[]).length === 3);
  await until(() => texts(native.events).length === 3);
  const order = texts(web.frames as { type: string }[]);
  assert.deepEqual([...order].sort(), all);
  assert.deepEqual(texts(native.events), order);
  // A text client is not sent its own lines back; the other two arrive in the same order.
  await text.waitLine((line) => line.endsWith("<web> from web"));
  await text.waitLine((line) => line.endsWith("<native> from native"));
  const seen = text.lines.filter((line) => /<(web|native)> from/.test(line)).map((line) =>
    line.replace(/^.*> /, "")
  );
  assert.deepEqual(seen, order.filter((message) => message !== "from text"));
});

Deno.test("WebSocket: over TLS (the default) a client joins at wss:///ws and chats with a native client", async () => {
  const dir = await Deno.makeTempDir();
  const { server, port } = await tlsServer(dir);
  try {
    await using web = await WebClient.open(
      `wss://127.0.0.1:${port}/ws`,
      `https://127.0.0.1:${port}`,
    );
    await web.hello("web");
    await using native = await NativeClient.connectTls(
      port,
      await Deno.readTextFile(`${dir}/tls-cert.pem`),
      "native",
    );
    web.send({ type: "msg", text: "hello over wss" });
    await native.next("msg", (event) => event.text === "hello over wss" && event.from === "web");
    await native.send({ type: "msg", text: "and back" });
    await web.next((frame) => frame.type === "msg" && frame.text === "and back");
    // A page of another origin is refused here too.
    await assert.rejects(
      WebClient.open(`wss://127.0.0.1:${port}/ws`, `http://127.0.0.1:${port}`),
      /HTTP 403/,
    );
    // And the page is served over TLS, with its headers.
    const response = await new Promise<{ status: number; csp: unknown }>((resolve, reject) => {
      import("node:https").then((https) =>
        https.get(
          { host: "127.0.0.1", port, path: "/", rejectUnauthorized: false },
          (res) => {
            res.resume();
            res.on("end", () =>
              resolve({
                status: res.statusCode!,
                csp: res.headers["content-security-policy"],
              }));
          },
        ).on("error", reject)
      );
    });
    assert.equal(response.status, 200);
    assert.match(String(response.csp), /frame-ancestors 'none'/);
  } finally {
    await stopped(server);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HTTP: GET / serves the web client from memory with a strict CSP, nosniff and no referrer; other paths are 404", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const page = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(
    page.headers.get("content-security-policy"),
    "default-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  assert.equal(page.headers.get("referrer-policy"), "no-referrer");
  const html = await page.text();
  // Script and style come from files of this server: nothing inline.
  assert.match(html, /<script type="module" src="\/app\.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/app\.css">/);
  assert.doesNotMatch(html, /<script>|<style|style=/);
  for (const [path, type] of [["/app.js", "text/javascript"], ["/app.css", "text/css"]]) {
    const asset = await fetch(`http://127.0.0.1:${port}${path}`);
    assert.equal(asset.status, 200, path);
    assert.match(String(asset.headers.get("content-type")), new RegExp(`^${type}`));
    const etag = asset.headers.get("etag");
    assert.match(String(etag), /^"[\w-]+"$/);
    await asset.body?.cancel();
    const again = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: { "If-None-Match": etag! },
    });
    assert.equal(again.status, 304, path);
    await again.body?.cancel();
  }
  const binding = await fetch(`http://127.0.0.1:${port}/binding`);
  assert.equal(await binding.text(), "plain\n");
  assert.equal(binding.headers.get("cache-control"), "no-store");
  for (const path of ["/index.html", "/../../etc/passwd", "/deno.json", "/ws/x", "/dist/app.js"]) {
    const missing = await fetch(`http://127.0.0.1:${port}${path}`);
    assert.equal(missing.status, 404, path);
    assert.equal(missing.headers.get("x-content-type-options"), "nosniff");
    await missing.body?.cancel();
  }
  // The port still speaks chat.
  await using _native = await NativeClient.connect(port, "native");
});

Deno.test("WebSocket: an upgrade from a page of another origin is refused with 403", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  for (const origin of ["http://evil.example", `http://127.0.0.1:${port + 1}`, "null"]) {
    await assert.rejects(
      WebClient.open(`ws://127.0.0.1:${port}/ws`, origin),
      /HTTP 403/,
      origin,
    );
  }
  await assert.rejects(
    WebClient.open(`ws://127.0.0.1:${port}/chat`, `http://127.0.0.1:${port}`),
    /HTTP 404/,
  );
  assert.equal(server.hub.size, 0);
});

Deno.test("HTTP: a request whose headers never finish is closed after the header time limit", async () => {
  await using server = await startServer({ httpHeadersTimeoutMs: 300 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  const started = performance.now();
  const got = await within(5000, readToEnd(conn), "the server closing a slow request");
  conn.close();
  assert.equal(got, "");
  assert.ok(performance.now() - started >= 250, "closed before the limit");
});

Deno.test("HTTP: a request with a huge header is refused with 431", async () => {
  await using server = await startServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const request = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`;
  // The server may close before it has read everything: a failed write is fine.
  await conn.write(new TextEncoder().encode(request)).catch(() => {});
  const got = await within(5000, readToEnd(conn), "an answer to a huge request");
  conn.close();
  assert.match(got, /^HTTP\/1\.1 431 /);
});

Deno.test("WebSocket: at a 64 KiB send queue, a reading WebSocket client takes bursts that a reading native client takes", async () => {
  // Bursts of about 48 KiB per recipient, each sent in one write, two at a
  // time: the second once the native client has the first, while the first
  // may still be on its way to the web client. Only what is queued behind a
  // write counts against the bound (websocket_pipe_test.ts holds the write
  // to show it); here, over real sockets, every message arrives in order.
  const sendQueueBytes = 64 * 1024;
  await using server = await startServer({ sendQueueBytes, rateLimit: false });
  const port = server.addr.port;
  await using web = await WebClient.open(`ws://127.0.0.1:${port}/ws`, `http://127.0.0.1:${port}`);
  await web.hello("web");
  await using native = await NativeClient.connect(port, "native");
  await using sender = await NativeClient.connect(port, "sender");
  const webTexts = () => texts(web.frames as { type: string }[]);
  const gone = () =>
    web.frames.some((frame) => frame.type === "bye") ||
    native.events.some((event) => event.type === "leave");
  let sent = 0;
  const burst = async () => {
    let lines = "";
    for (let i = 0; i < 12; i++, sent++) {
      lines += JSON.stringify({ type: "msg", text: `${sent} ${"x".repeat(3900)}` }) + "\n";
    }
    await sender.write(lines);
    const last = `${sent - 1} `;
    await native.next("msg", (event) => event.text.startsWith(last));
  };
  for (let pair = 0; pair < 8 && !gone(); pair++) {
    await burst();
    await burst();
    await until(() => gone() || webTexts().length === sent);
  }
  assert.deepEqual(web.frames.filter((frame) => frame.type === "bye"), [], "the web client stayed");
  assert.deepEqual(native.events.filter((event) => event.type === "leave"), [], "nobody left");
  const expected = Array.from({ length: sent }, (_, i) => i);
  assert.deepEqual(webTexts().map((text) => Number.parseInt(text)), expected);
  assert.deepEqual(texts(native.events).map((text) => Number.parseInt(text)), expected);
});

Deno.test("WebSocket: a client that stops reading is dropped with bye send_queue_exceeded, and the others keep receiving", async () => {
  // As in slow_reader_test.ts: a read of 64 KiB from the sender becomes one
  // synchronous burst of broadcasts, which a healthy reader's queue must hold.
  const sendQueueBytes = 256 * 1024;
  await using server = await startServer({ sendQueueBytes, rateLimit: false });
  const port = server.addr.port;
  const origin = `http://127.0.0.1:${port}`;
  await using stuck = await WebClient.open(`ws://127.0.0.1:${port}/ws`, origin);
  await stuck.hello("stuck");
  await using web = await WebClient.open(`ws://127.0.0.1:${port}/ws`, origin);
  await web.hello("web");
  await using native = await NativeClient.connect(port, "native");
  stuck.stall();
  // Messages of about 4 KB in batches the healthy web client confirms, until the
  // stalled one's socket buffers and send queue are full and it is dropped.
  let sent = 0;
  const received = () => texts(web.frames as { type: string }[]).length;
  const dropped = () =>
    web.frames.some((frame) => frame.type === "leave" && frame.nick === "stuck");
  while (!dropped()) {
    assert.ok(sent < 20_000, `still not dropped after ${sent} messages`);
    for (let i = 0; i < 20; i++, sent++) {
      await native.send({ type: "msg", text: `${sent} ${"x".repeat(3900)}` });
    }
    await until(() => received() === sent || dropped());
  }
  assert.ok(sent * 3900 > sendQueueBytes, "more was sent than the send queue holds");
  const leave = web.frames.find((frame) => frame.type === "leave" && frame.nick === "stuck")!;
  assert.deepEqual([leave.reason, leave.message], ["dropped", "send queue exceeded"]);
  // The server closes the stalled connection by itself: its goodbye waits
  // at most a second behind writes the client does not take.
  await until(() => server.stats().connections === 2, 5000);
  assert.equal(server.hub.member("stuck"), undefined);
  // Reading again, the client finds what got out before the close, then the
  // end. A goodbye, if it got out (only a client that read again within
  // that second can have it), is the right one, and the last frame.
  stuck.unstall();
  await within(5000, stuck.closed, "the stalled client's connection ending");
  const byeAt = stuck.frames.findIndex((frame) => frame.type === "bye");
  if (byeAt !== -1) {
    const bye = stuck.frames[byeAt];
    assert.deepEqual([bye.reason, bye.code], ["dropped", "send_queue_exceeded"]);
    assert.equal(byeAt, stuck.frames.length - 1, "nothing after the goodbye");
  }
  // The others go on: every message so far and the next ones reach both.
  for (let i = 0; i < 5; i++, sent++) await native.send({ type: "msg", text: `${sent} after` });
  await web.next((frame) => frame.type === "msg" && frame.text === `${sent - 1} after`);
  await native.next("msg", (event) => event.text === `${sent - 1} after`);
  assert.deepEqual(
    texts(web.frames as { type: string }[]).map((text) => Number.parseInt(text)),
    Array.from({ length: sent }, (_, i) => i),
  );
  assert.equal(texts(native.events).length, sent);
});

Deno.test("WebSocket: shutdown says bye shutdown to a connected WebSocket client and closes it", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using web = await WebClient.open(`ws://127.0.0.1:${port}/ws`, `http://127.0.0.1:${port}`);
  await web.hello("web");
  await server.shutdown();
  const bye = await web.next((frame) => frame.type === "bye");
  assert.equal(bye.reason, "shutdown");
  await within(5000, web.closed, "the connection closing");
});
