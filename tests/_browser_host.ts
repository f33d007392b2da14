/**
 * The browser of the browser tests, in a process of its own: headless
 * Debian `chromium` driven by npm `playwright-core`, under `deno run -A`.
 *
 * Why a process of its own: playwright-core probes `/proc/sys/fs/...` as it
 * loads, which Deno grants only to `--allow-all`. The tests themselves stay
 * under `-P=test` (loopback network only, writes only under /tmp), and
 * only this small program, which does nothing but drive the browser, runs
 * with every permission.
 *
 * It reads one JSON request a line on stdin, `{ id, op, args }`, and
 * answers each with one line on stdout, `{ id, value }` or `{ id, error }`.
 * The browser trusts only the TLS keys named by `--trust-spki` (base64
 * SHA-256 of a certificate's public key), as Chromium's
 * `--ignore-certificate-errors-spki-list` does; no other certificate error
 * is ignored. Each page records the dialogs it opened (and dismisses them),
 * its uncaught errors and its console errors, for `events`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import {
  type Browser,
  type BrowserContext,
  type CDPSession,
  chromium,
  type Page,
} from "playwright-core";

/** Where the CI installs Debian's chromium. */
const CHROMIUM = "/usr/bin/chromium";

/** What a page did that a test may want to know: dialogs, errors. */
interface PageEvents {
  dialogs: string[];
  errors: string[];
  console: string[];
  downloads: string[];
}

const trust = Deno.args.find((arg) => arg.startsWith("--trust-spki="))?.slice(13) ?? "";
const browser: Browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: trust ? [`--ignore-certificate-errors-spki-list=${trust}`] : [],
});
const contexts = new Map<number, BrowserContext>();
const pages = new Map<number, { page: Page; events: PageEvents }>();
const sessions = new WeakMap<Page, CDPSession>();
let nextId = 1;

function pageOf(id: unknown): { page: Page; events: PageEvents } {
  const found = pages.get(Number(id));
  if (!found) throw new Error(`no page ${id}`);
  return found;
}

/** Evaluates the source of a function with one JSON argument in the page. */
function evaluate(page: Page, source: string, arg: unknown): Promise<unknown> {
  // A string expression is run by the DevTools protocol, which a page's CSP
  // does not govern (an `eval` inside the page would be refused).
  return page.evaluate(`(${source})(${JSON.stringify(arg ?? null)})`);
}

type Args = Record<string, unknown>;

/**
 * One HEAD request to `url`'s server from this process, before Chromium
 * loads it: lanchat then knows 127.0.0.1 as an address a browser uses the
 * chat from, and greets none of its silent connections before 12 s. A
 * first load from an address not known yet gets the nick prompt when
 * Chromium's request comes more than 300 ms after it connected, which a
 * loaded machine can make it do (docs/limits.md); Node sends its request
 * as it connects. The 300 ms rule has tests of its own (http_same_port_test.ts).
 */
async function knownAsBrowser(url: string): Promise<void> {
  const target = new URL(url);
  if (target.protocol !== "http:" && target.protocol !== "https:") return;
  const client = target.protocol === "https:" ? https : http;
  await new Promise<void>((resolve) => {
    const request = client.request({
      host: target.hostname,
      port: target.port,
      path: "/",
      method: "HEAD",
      rejectUnauthorized: false,
      timeout: 5_000,
    }, (response) => {
      response.resume();
      response.on("end", resolve);
    });
    request.on("error", () => resolve());
    request.on("timeout", () => request.destroy());
    request.end();
  });
}

const operations: Record<string, (args: Args) => Promise<unknown>> = {
  async newContext(args) {
    const context = await browser.newContext(args.options as never);
    const id = nextId++;
    contexts.set(id, context);
    return id;
  },
  async closeContext(args) {
    const context = contexts.get(Number(args.context));
    contexts.delete(Number(args.context));
    for (const [id, { page }] of pages) if (page.context() === context) pages.delete(id);
    await context?.close();
  },
  async newPage(args) {
    const context = contexts.get(Number(args.context));
    if (!context) throw new Error(`no context ${args.context}`);
    const page = await context.newPage();
    const events: PageEvents = { dialogs: [], errors: [], console: [], downloads: [] };
    page.on("download", (download) => events.downloads.push(download.suggestedFilename()));
    page.on("dialog", (dialog) => {
      events.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on("pageerror", (error) => events.errors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") {
        events.console.push(`${message.text()} (${message.location().url})`);
      }
    });
    const id = nextId++;
    pages.set(id, { page, events });
    return id;
  },
  async goto(args) {
    await knownAsBrowser(String(args.url));
    const response = await pageOf(args.page).page.goto(String(args.url));
    return response && { status: response.status(), headers: await response.allHeaders() };
  },
  async passWarning(args) {
    // Opens `url` past Chromium's certificate warning, as a person clicks Advanced, then Proceed.
    const { page } = pageOf(args.page);
    await knownAsBrowser(String(args.url));
    await page.goto(String(args.url)).catch(() => {});
    await page.click("#details-button");
    await page.click("#proceed-link");
    await page.waitForURL(String(args.url));
  },
  async setInputFiles(args) {
    const files = args.files as { name: string; mimeType: string; base64: string }[];
    await pageOf(args.page).page.locator(String(args.selector)).setInputFiles(
      files.map((file) => ({
        name: file.name,
        mimeType: file.mimeType,
        buffer: Buffer.from(file.base64, "base64"),
      })),
    );
  },
  async download(args) {
    // Clicks `selector` and follows the download it starts: its name, and its bytes or why it failed.
    const { page } = pageOf(args.page);
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: Number(args.ms) }),
      page.locator(String(args.selector)).click(),
    ]);
    const failure = await download.failure();
    const name = download.suggestedFilename();
    if (failure) return { name, failure };
    return { name, base64: (await Deno.readFile(await download.path())).toBase64() };
  },
  async reload(args) {
    const response = await pageOf(args.page).page.reload();
    return response && { status: response.status(), headers: await response.allHeaders() };
  },
  async fill(args) {
    await pageOf(args.page).page.locator(String(args.selector)).fill(String(args.text));
  },
  async press(args) {
    await pageOf(args.page).page.locator(String(args.selector)).press(String(args.key));
  },
  async click(args) {
    await pageOf(args.page).page.locator(String(args.selector)).click();
  },
  async tap(args) {
    await pageOf(args.page).page.mouse.click(Number(args.x), Number(args.y));
  },
  async type(args) {
    await pageOf(args.page).page.keyboard.type(String(args.text));
  },
  evaluate(args) {
    return evaluate(pageOf(args.page).page, String(args.source), args.arg);
  },
  async waitFor(args) {
    const { page } = pageOf(args.page);
    const deadline = performance.now() + Number(args.ms);
    while (true) {
      const value = await evaluate(page, String(args.source), args.arg);
      if (value) return value;
      if (performance.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  },
  async throttle(args) {
    // Chromium's DevTools throttling: request bodies go out, responses come in at these rates (-1: unthrottled).
    // One DevTools session per page: conditions set by another session would stay in force.
    const { page } = pageOf(args.page);
    let cdp = sessions.get(page);
    if (!cdp) {
      sessions.set(page, cdp = await page.context().newCDPSession(page));
      await cdp.send("Network.enable");
    }
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: Number(args.down),
      uploadThroughput: Number(args.up),
    });
  },
  async answer(args) {
    // Answers every request of the page matching `url` (a glob) with this status, headers and body
    // (its own Content-Length) instead of the server; `status` 0 lets them through again.
    const { page } = pageOf(args.page);
    await page.unroute(String(args.url));
    if (Number(args.status) === 0) return;
    await page.route(String(args.url), (route) =>
      route.fulfill({
        status: Number(args.status),
        headers: args.headers as Record<string, string>,
        body: Buffer.from(String(args.base64), "base64"),
      }));
  },
  async setViewport(args) {
    await pageOf(args.page).page.setViewportSize(args.size as { width: number; height: number });
  },
  async screenshot(args) {
    await pageOf(args.page).page.screenshot({ path: String(args.path), fullPage: false });
  },
  events(args) {
    return Promise.resolve(pageOf(args.page).events);
  },
};

const encoder = new TextEncoder();
const stdout = Deno.stdout.writable.getWriter();
/** Answers go out one at a time, each a whole line. */
let answered = Promise.resolve();
const work: Promise<void>[] = [];

function run(line: string): boolean {
  const { id, op, args } = JSON.parse(line);
  if (op === "close") return false;
  const operation = operations[op];
  const done = (operation ? operation(args ?? {}) : Promise.reject(new Error(`no operation ${op}`)))
    .then(
      (value) => ({ id, value: value ?? null }),
      (error) => ({ id, error: String(error?.stack ?? error) }),
    )
    .then((answer) => {
      answered = answered.then(() => stdout.write(encoder.encode(JSON.stringify(answer) + "\n")));
      return answered;
    });
  work.push(done);
  return true;
}

let partial = "";
reading: for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  partial += chunk;
  const lines = partial.split("\n");
  partial = lines.pop()!;
  for (const line of lines) if (!run(line)) break reading;
}
await Promise.allSettled(work);
await browser.close();
await stdout.close();
