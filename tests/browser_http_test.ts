/**
 * The one port as Chromium sees it, whatever the page is: it is served
 * over plain HTTP and over TLS (the browser trusting only the key whose
 * fingerprint the server printed), with a strict CSP that the browser
 * enforces, on the page and on every asset it loads; unknown paths are
 * 404; a page of another origin cannot open the chat's WebSocket. And a
 * request whose headers are dribbled a byte at a time is closed at the
 * header time limit.
 */

import assert from "node:assert/strict";
import { BrowserHost, type Person } from "./_browser.ts";
import type { PageGlobals } from "./_page_dom.ts";
import { runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { within } from "./_waiting.ts";
import { createSelfSigned, fingerprintOfPem } from "../lib/server/tls_certificate.ts";

const CSP =
  "default-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The security headers every answer carries. */
function assertSecurityHeaders(headers: Record<string, string>, what: string): void {
  assert.equal(headers["content-security-policy"], CSP, what);
  assert.equal(headers["x-content-type-options"], "nosniff", what);
  assert.equal(headers["referrer-policy"], "no-referrer", what);
}

/** Every script, style sheet, icon and image the page loaded, with the headers of each (fetched again). */
function assetsOf(person: Person): Promise<{ url: string; headers: Record<string, string> }[]> {
  return person.evaluate(async () => {
    const { document, location, performance, fetch } = globalThis as unknown as PageGlobals;
    const urls = new Set<string>();
    for (const entry of performance.getEntriesByType("resource")) urls.add(entry.name);
    for (const element of document.querySelectorAll("script[src], link[href], img[src]")) {
      const url = element.src || element.href;
      if (url) urls.add(url);
    }
    const found = [];
    for (const url of urls) {
      if (new URL(url).origin !== location.origin) {
        found.push({ url, headers: { "x-from-elsewhere": "yes" } });
        continue;
      }
      const response = await fetch(url);
      await response.arrayBuffer();
      found.push({ url, headers: Object.fromEntries(response.headers) });
    }
    return found;
  });
}

/** Tries inline script, an inline event handler and an inline style: what got through. */
function inlineThatRan(person: Person): Promise<string[]> {
  return person.evaluate(async () => {
    const page = globalThis as unknown as PageGlobals;
    const { document } = page;
    const ran: string[] = [];
    const violations: string[] = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      violations.push(event.violatedDirective);
    });
    const script = document.createElement("script");
    script.textContent = "window.__inlineScript = true";
    document.body.append(script);
    const holder = document.createElement("div");
    holder.innerHTML = '<img src="/no-such-image" onerror="window.__inlineHandler = true">';
    document.body.append(holder);
    const styled = document.createElement("div");
    styled.setAttribute("style", "width: 1234px");
    document.body.append(styled);
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (page.__inlineScript) ran.push("inline script");
    if (page.__inlineHandler) ran.push("inline event handler");
    if (styled.getBoundingClientRect().width === 1234) ran.push("inline style");
    if (violations.length === 0) ran.push("no violation reported");
    script.remove();
    holder.remove();
    styled.remove();
    return ran;
  });
}

/** Opens a WebSocket from `person`'s page; whether it opened (or how it closed). */
function openWebSocket(person: Person, url: string): Promise<string> {
  return person.evaluate((url: string) =>
    new Promise<string>((resolve) => {
      const { WebSocket } = globalThis as unknown as PageGlobals;
      let socket;
      try {
        socket = new WebSocket(url);
      } catch (error) {
        return resolve(`threw ${error}`);
      }
      socket.onopen = () => {
        socket.close();
        resolve("open");
      };
      socket.onclose = (event) => resolve(`closed ${event.code}`);
    }), url);
}

Deno.test("browser: the page over plain HTTP and TLS, its headers and CSP, 404s, and no WebSocket from another origin", async (t) => {
  // The certificate a TLS server will use, made first: the browser trusts
  // its key only, after checking the fingerprint the server prints is its.
  const dir = await Deno.makeTempDir({ prefix: "lanchat-browser-" });
  const { cert, key } = await createSelfSigned();
  await Deno.writeTextFile(`${dir}/tls-cert.pem`, cert);
  await Deno.writeTextFile(`${dir}/tls-key.pem`, key, { mode: 0o600 });
  await using browser = await BrowserHost.launch({ trust: [cert] });
  try {
    await t.step(
      "over --plain, / and every asset carry the CSP, nosniff and no-referrer; inline code is refused",
      async () => {
        const { server, port } = await runServer();
        await using _server = server;
        await using person = await browser.person();
        const page = await person.goto(`http://127.0.0.1:${port}/`);
        assert.equal(page.status, 200);
        assertSecurityHeaders(page.headers, "/");
        assert.match(page.headers["content-type"], /^text\/html; charset=utf-8$/);
        const assets = await assetsOf(person);
        // The page is a script and a style sheet of its own, both checked below.
        assert.ok(assets.some((asset) => /\.js$/.test(asset.url)), JSON.stringify(assets));
        assert.ok(assets.some((asset) => /\.css$/.test(asset.url)), JSON.stringify(assets));
        for (const asset of assets) {
          assert.equal(asset.headers["x-from-elsewhere"], undefined, `${asset.url} from elsewhere`);
          assertSecurityHeaders(asset.headers, asset.url);
          assert.ok(asset.headers["content-type"], `${asset.url} has a Content-Type`);
        }
        const events = await person.events();
        // A browser asks for /favicon.ico by itself; a page without one gets a 404 there.
        events.console = events.console.filter((line) => !line.includes("/favicon.ico"));
        assert.deepEqual(events, { dialogs: [], errors: [], console: [], downloads: [] });
        assert.deepEqual(await inlineThatRan(person), []);
      },
    );

    await t.step(
      "over TLS, the browser trusting only the printed fingerprint's key, the page loads",
      async () => {
        const { server, port } = await runServer(["--data-dir", dir], { tls: true });
        await using _server = server;
        const printed = server.stdout.find((line) => line.startsWith("TLS fingerprint "));
        assert.equal(printed, `TLS fingerprint ${await fingerprintOfPem(cert)}`);
        await using person = await browser.person();
        const page = await person.goto(`https://127.0.0.1:${port}/`);
        assert.equal(page.status, 200);
        assertSecurityHeaders(page.headers, "/ over TLS");
        assert.equal(
          await person.evaluate(() => (globalThis as unknown as PageGlobals).location.protocol),
          "https:",
        );
        assert.equal(await openWebSocket(person, `wss://127.0.0.1:${port}/ws`), "open");
        assert.deepEqual(await inlineThatRan(person), []);
      },
    );

    await t.step("a TLS server with another certificate is refused by the browser", async () => {
      const other = await Deno.makeTempDir({ prefix: "lanchat-browser-" });
      try {
        const { server, port } = await runServer(["--data-dir", other], { tls: true });
        await using _server = server;
        await using person = await browser.person();
        await assert.rejects(person.goto(`https://127.0.0.1:${port}/`), /ERR_CERT/);
      } finally {
        await Deno.remove(other, { recursive: true });
      }
    });

    await t.step("unknown paths are 404 with the same headers", async () => {
      const { server, port } = await runServer();
      await using _server = server;
      await using person = await browser.person();
      for (const path of ["/nope", "/../deno.json", "/lib/web/", "/ws/x", "/%2e%2e/server.ts"]) {
        const page = await person.goto(`http://127.0.0.1:${port}${path}`);
        assert.equal(page.status, 404, path);
        assertSecurityHeaders(page.headers, path);
      }
    });

    await t.step(
      "a page of another origin (another port) cannot open /ws; the server's own page can",
      async () => {
        const { server, port } = await runServer();
        await using _server = server;
        // Another site: a page that carries no CSP of ours, on another port.
        await using elsewhere = Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen: () => {} },
          () =>
            new Response("<!doctype html><title>elsewhere</title>", {
              headers: { "content-type": "text/html" },
            }),
        );
        await using person = await browser.person();
        await person.goto(`http://127.0.0.1:${elsewhere.addr.port}/`);
        assert.equal(await openWebSocket(person, `ws://127.0.0.1:${port}/ws`), "closed 1006");
        await server.waitStderr((line) =>
          line.includes("event=refused") && line.includes("another origin")
        );
        // The control: the server's own page opens it.
        await person.goto(`http://127.0.0.1:${port}/`);
        assert.equal(await openWebSocket(person, `ws://127.0.0.1:${port}/ws`), "open");
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HTTP: a request whose headers are dribbled a byte at a time is closed at the header time limit", async () => {
  const limit = 600;
  await using server = await startServer({ httpHeadersTimeoutMs: limit });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const request = new TextEncoder().encode(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${"a".repeat(400)}\r\n\r\n`,
  );
  const started = performance.now();
  let closedAt = 0;
  // Each byte 20 ms after the last: never idle for long, yet the whole takes about 8 s.
  const reading = (async () => {
    const buffer = new Uint8Array(1024);
    let got = "";
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      got += new TextDecoder().decode(buffer.subarray(0, n));
    }
    closedAt = performance.now() - started;
    return got;
  })();
  // The request line at once (a first line still coming after the limit is a text client's,
  // a case of its own in http_same_port_test.ts), then the headers a byte every 20 ms.
  const requestLine = "GET / HTTP/1.1\r\n".length;
  await conn.write(request.subarray(0, requestLine));
  let sent = requestLine;
  for (; sent < request.length && closedAt === 0; sent++) {
    const ok = await conn.write(request.subarray(sent, sent + 1)).then(() => true, () => false);
    if (!ok) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const got = await within(5000, reading, "the server closing the dribbled request");
  conn.close();
  assert.equal(got, "", "nothing served");
  assert.ok(sent < request.length, "closed before the request was complete");
  assert.ok(closedAt >= limit - 50, `closed at ${closedAt} ms, before the limit`);
  assert.ok(closedAt < limit + 2000, `closed at ${closedAt} ms, long after the limit`);
});
