/**
 * One port for chat and the web: the session tells an HTTP request line
 * from a text client's first line, however the bytes come, and a text
 * client whose first bytes look like the start of a request still joins.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { TextClient } from "./_text_client.ts";
import { readToEnd, within } from "./_waiting.ts";
import { stopped, tlsServer } from "./_tls_server.ts";
import { runServer } from "./_entry_process.ts";

const encoder = new TextEncoder();

Deno.test("HTTP: a request line that comes a few bytes at a time is still served as HTTP", async () => {
  await using server = await startServer({ textPromptDelayMs: 50 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  for (const part of ["G", "ET / H", "TTP/1.", "1\r\nHost: 127.0.0.1\r\n\r\n"]) {
    await conn.write(encoder.encode(part));
    // Longer than the text prompt delay: the greeting must still wait.
    await new Promise((resolve) => setTimeout(resolve, 80));
  }
  const got = await within(5000, readToEnd(conn), "the page");
  conn.close();
  assert.match(got, /^HTTP\/1\.1 200 /);
  assert.ok(!got.includes("Nick?"), "no chat greeting before the HTTP answer");
  assert.equal(server.stats().connections, 0);
});

Deno.test("HTTP: a text client whose nick is GET joins as text", async () => {
  await using server = await startServer();
  await using person = await TextClient.connect(server.addr.port, "GET");
  await using ana = await TextClient.connect(server.addr.port, "ana");
  await person.sendLine("hello from GET");
  await ana.waitLine((line) => line.includes("GET") && line.includes("hello from GET"));
});

Deno.test("HTTP: first bytes that might start a request line but stop are a text client's after the header time limit", async () => {
  await using server = await startServer({ httpHeadersTimeoutMs: 200, textPromptDelayMs: 20 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await using person = new TextClient(conn);
  const started = performance.now();
  await person.write("GE");
  // The greeting comes once the HTTP limit has passed, not at the prompt delay.
  await person.waitLine((line) => line.includes("Pick a nick"));
  assert.ok(performance.now() - started >= 180, "greeted as text before the HTTP limit");
  await person.write("T\r\n");
  await person.waitLine((line) => line.startsWith("Welcome to") && line.includes("GET"), 1);
  assert.ok(server.hub.member("GET"));
});

Deno.test("HTTP: a silent connection from where a browser loaded the page is not greeted, and its late request is served", async () => {
  await using server = await startServer({ textPromptDelayMs: 50 });
  const port = server.addr.port;
  // Before any page: a silent peer is a person at nc, greeted at once.
  await using person = new TextClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  await person.waitLine((line) => line.includes("Pick a nick"));
  assert.match(await statusFor(port, `127.0.0.1:${port}`), /^HTTP\/1\.1 200 /);
  // Now a browser uses the chat from here: a connection it opened ahead of its next request
  // stays silent for a while (Chromium keeps one up to 10 s), then carries the request.
  const spare = await Deno.connect({ hostname: "127.0.0.1", port });
  await quietThenServed(spare, port);
});

Deno.test("HTTP: a silent connection opened just before a browser's first request is not greeted either", async () => {
  await using server = await startServer({ textPromptDelayMs: 200 });
  const port = server.addr.port;
  // Chromium opens a spare connection beside its first one: at its start no page was asked for
  // from here yet, and by the time a person at nc would be greeted, one was.
  const spare = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.match(await statusFor(port, `127.0.0.1:${port}`), /^HTTP\/1\.1 200 /);
  await quietThenServed(spare, port);
});

Deno.test("HTTP: nc from where a browser loaded the page gets the nick prompt late, not closed first (default timeouts)", async () => {
  // The defaults: a program gets 10 s to join, and a silent peer from a browser's address is
  // greeted after 12 s. The greeting must come; the handshake's 10 s must not close it first.
  await using server = await startServer();
  const port = server.addr.port;
  assert.match(await statusFor(port, `127.0.0.1:${port}`), /^HTTP\/1\.1 200 /);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const got = await within(16_000, readUntilPrompt(conn), "the nick prompt or the close");
  conn.close();
  assert.ok(got.includes("Nick? "), `the nick prompt, not: ${JSON.stringify(got)}`);
});

/** What a silent peer is told until the nick prompt or the close. */
async function readUntilPrompt(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(1024);
  let got = "";
  while (!got.includes("Nick? ")) {
    const n = await conn.read(buffer);
    if (n === null) break;
    got += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return got;
}

/** `spare` is told nothing for 1 s, then its request (sent now) is served as HTTP, and closed. */
async function quietThenServed(spare: Deno.TcpConn, port: number): Promise<void> {
  const early = new Uint8Array(256);
  const read = spare.read(early);
  const first = await Promise.race([
    read,
    new Promise((resolve) => setTimeout(resolve, 1000, "quiet")),
  ]);
  assert.equal(
    first,
    "quiet",
    "nothing said to a silent connection from where a browser uses the chat",
  );
  await spare.write(encoder.encode(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
  const n = await within(5000, read, "the page");
  const rest = await within(5000, readToEnd(spare), "the rest of the page");
  spare.close();
  const got = new TextDecoder().decode(early.subarray(0, n ?? 0)) + rest;
  assert.match(got, /^HTTP\/1\.1 200 /);
  assert.ok(!got.includes("Nick?"), "no chat greeting before the HTTP answer");
}

/** One request with `host` in its Host header, and the answer's status line. */
async function statusFor(port: number, host: string, extra = ""): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    encoder.encode(`GET ${extra ? "/ws" : "/"} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`),
  );
  let got = "";
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder();
  while (!got.includes("\r\n")) {
    const n = await within(5000, conn.read(buffer), "an answer");
    if (n === null) break;
    got += decoder.decode(buffer.subarray(0, n));
  }
  conn.close();
  return got.split("\r\n")[0];
}

Deno.test("HTTP: a page or WebSocket asked for by another DNS name is refused with 421 (DNS rebinding); --web-host names one", async () => {
  await using server = await startServer({ webHosts: ["chat.example.com"] });
  const port = server.addr.port;
  const upgrade = (host: string) =>
    `Origin: http://${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`;
  assert.match(await statusFor(port, `evil.example:${port}`), /^HTTP\/1\.1 421 /);
  assert.match(
    await statusFor(port, `evil.example:${port}`, upgrade(`evil.example:${port}`)),
    /^HTTP\/1\.1 421 /,
  );
  for (const host of [`127.0.0.1:${port}`, `chatbox.local:${port}`, `chat.example.com:${port}`]) {
    assert.match(await statusFor(port, host), /^HTTP\/1\.1 200 /, host);
    assert.match(await statusFor(port, host, upgrade(host)), /^HTTP\/1\.1 101 /, host);
  }
});

Deno.test("HTTP: a browser that reaches the TLS port over http:// is sent to https://, by its Host when that is a LAN name", async () => {
  const dir = await Deno.makeTempDir();
  const { server, port } = await tlsServer(dir);
  try {
    const answer = async (host: string) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(encoder.encode(`GET /x HTTP/1.1\r\nHost: ${host}\r\nAccept: */*\r\n\r\n`));
      const got = await within(5000, readToEnd(conn), "the redirect");
      conn.close();
      return got;
    };
    const named = await answer(`chatbox.local:${port}`);
    assert.match(named, /^HTTP\/1\.1 302 Found\r\n/);
    assert.match(named, new RegExp(`\r\nLocation: https://chatbox\\.local:${port}/\r\n`));
    assert.match(named, /\r\nX-Content-Type-Options: nosniff\r\n/);
    // Another site's name is not echoed: the address the browser reached is used.
    const other = await answer(`evil.example:${port}`);
    assert.match(other, new RegExp(`\r\nLocation: https://127\\.0\\.0\\.1:${port}/\r\n`));
    // nc still gets the hint for text clients.
    const nc = await Deno.connect({ hostname: "127.0.0.1", port });
    await nc.write(encoder.encode("ana\r\n"));
    assert.match(await within(5000, readToEnd(nc), "the hint"), /^! This server speaks TLS/);
    nc.close();
  } finally {
    await stopped(server);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HTTP: after its answer the server closes a plain connection itself, so a peer that never closes does not keep its place", async () => {
  await using server = await startServer({ maxPerIp: 2 });
  const port = server.addr.port;
  const held: Deno.Conn[] = [];
  for (let i = 0; i < 2; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode(`GET /binding HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    // Read to the end without ever closing our side: the server must close.
    assert.match(
      await within(5000, readToEnd(conn), "the answer and the close"),
      /^HTTP\/1\.1 200 /,
    );
    held.push(conn);
  }
  // Both places are free again: a text client from the same address joins.
  await using _ana = await TextClient.connect(port, "ana");
  assert.ok(server.hub.member("ana"));
  for (const conn of held) conn.close();
});

Deno.test("HTTP: a request target that is no URL (http://[/) gets 400, on a page, an upgrade or a HEAD, and the server stays up", async () => {
  const { server, port } = await runServer(["--no-discovery", "--plain", "--data-dir", ":memory:"]);
  await using _server = server;
  let exited = false;
  server.status.then(() => exited = true);
  const ask = async (request: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode(request));
    const got = await within(5000, readToEnd(conn), "an answer");
    conn.close();
    return got;
  };
  const host = `Host: 127.0.0.1:${port}\r\n`;
  assert.match(await ask(`GET http://[/ HTTP/1.1\r\n${host}\r\n`), /^HTTP\/1\.1 400 /);
  assert.match(await ask(`HEAD http://[/f HTTP/1.1\r\n${host}\r\n`), /^HTTP\/1\.1 400 /);
  const upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  assert.match(await ask(`GET http://[/ws HTTP/1.1\r\n${host}${upgrade}\r\n`), /^HTTP\/1\.1 404 /);
  // Still serving, and never died on the way.
  assert.match(await ask(`GET / HTTP/1.1\r\n${host}\r\n`), /^HTTP\/1\.1 200 /);
  assert.equal(exited, false, server.stderr.join("\n"));
});
