/**
 * `deno task screenshots`: pictures of the web page for the README. Starts
 * `server.ts` (plain, a fresh data directory), lets a few people talk over
 * the native protocol (two rooms, a mention, an action, a private message,
 * a message of several lines) while "ana" watches in headless Chromium, and
 * writes docs/screenshots/{desktop,phone}-{light,dark}.png at 1280x800 and
 * 360x640. Then two of them share files in #lobby over HTTP as the clients
 * do (`POST /f` with the upload token of their welcome, docs/protocol.md
 * §9.2): an image made here (a PNG) and a small PDF, which the page shows as
 * a preview and a card in docs/screenshots/files-light.png (1280x800).
 *
 * Needs Debian's chromium at /usr/bin/chromium (and fonts-noto-color-emoji,
 * or emoji show as empty boxes), and `-A`: playwright-core probes /proc as
 * it loads, which Deno grants only to `--allow-all`.
 *
 * @module
 */

import { deflateSync } from "node:zlib";
import { chromium, type Page } from "playwright-core";

const ROOT = new URL("../", import.meta.url).pathname;
const OUT = `${ROOT}docs/screenshots`;
const encoder = new TextEncoder();

/**
 * Someone on the native protocol: one JSON frame a line. The welcome is read
 * for the upload token; what follows is read and dropped.
 */
class Talker {
  private constructor(
    readonly nick: string,
    readonly conn: Deno.TcpConn,
    readonly port: number,
    readonly uploadToken: string | undefined,
  ) {}

  static async join(port: number, nick: string, rooms: string[]): Promise<Talker> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      encoder.encode(
        JSON.stringify({ type: "hello", protocol: 1, nick, client: "screenshots" }) + "\n",
      ),
    );
    const welcome = await readWelcome(conn.readable.getReader());
    const files = welcome.files as { token?: string } | undefined;
    const talker = new Talker(nick, conn, port, files?.token);
    for (const room of rooms) await talker.send({ type: "cmd", name: "join", args: room });
    return talker;
  }

  send(frame: Record<string, unknown>): Promise<number> {
    return this.conn.write(encoder.encode(JSON.stringify(frame) + "\n"));
  }

  say(room: string, text: string): Promise<number> {
    return this.send({ type: "msg", text, room });
  }

  /** Shares `bytes` as `name` in `room`, as the clients do (docs/protocol.md §9.2). */
  async share(room: string, name: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    if (!this.uploadToken) throw new Error(`${this.nick}'s welcome had no upload token`);
    const query = new URLSearchParams({ room, name });
    const response = await fetch(`http://127.0.0.1:${this.port}/f?${query}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${this.uploadToken}` },
      body: bytes,
    });
    const answer = await response.text();
    if (response.status !== 201) {
      throw new Error(`uploading ${name}: ${response.status} ${answer}`);
    }
  }

  close(): void {
    this.conn.close();
  }
}

/**
 * Reads lines up to the welcome frame (throws on an error frame or the end),
 * then goes on reading and dropping in the background, so the server's queue
 * never fills.
 */
async function readWelcome(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server closed before its welcome:\n${text}`);
    text += decoder.decode(value, { stream: true });
    let end;
    while ((end = text.indexOf("\n")) >= 0) {
      const frame = JSON.parse(text.slice(0, end)) as Record<string, unknown>;
      text = text.slice(end + 1);
      if (frame.type === "error") throw new Error(`refused: ${JSON.stringify(frame)}`);
      if (frame.type !== "welcome") continue;
      (async () => {
        while (!(await reader.read()).done);
      })().catch(() => {});
      return frame;
    }
  }
}

/** The CRC-32 of PNG chunks (ISO 3309, as zlib's). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A PNG (8-bit RGB, no interlace) of `width` x `height` pixels, `pixel(x, y)` giving [r, g, b]. */
function png(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): Uint8Array<ArrayBuffer> {
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0, at = 0; y < height; y++) {
    raw[at++] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      raw.set(pixel(x, y), at);
      at += 3;
    }
  }
  const chunk = (type: string, data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(encoder.encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, adaptive filters, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A bar chart on a soft gradient, 320x200: "build minutes this week". */
function chartPng(): Uint8Array<ArrayBuffer> {
  const bars = [150, 120, 135, 60, 45]; // heights in pixels, Monday to Friday
  const colors: [number, number, number][] = [
    [231, 111, 81],
    [244, 162, 97],
    [233, 196, 106],
    [42, 157, 143],
    [38, 70, 83],
  ];
  return png(320, 200, (x, y) => {
    const bar = Math.floor((x - 30) / 56);
    const inBar = bar >= 0 && bar < bars.length && (x - 30) % 56 < 40;
    if (inBar && y >= 180 - bars[bar] && y < 180) return colors[bar];
    if (y === 180 && x >= 20 && x < 300) return [60, 60, 70]; // the axis
    const t = y / 199;
    return [
      Math.round(236 - 30 * t + (x / 319) * 10),
      Math.round(244 - 20 * t),
      Math.round(252 - 8 * t),
    ];
  });
}

/** A small valid PDF of one page with a few lines of text. */
function notesPdf(lines: string[]): Uint8Array<ArrayBuffer> {
  const text = lines
    .map((line, i) => `BT /F1 ${i === 0 ? 18 : 12} Tf 72 ${720 - i * 24} Td (${line}) Tj ET`)
    .join("\n");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " +
    "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return encoder.encode(pdf);
}

/** Starts server.ts on a free port; resolves with the process and the port. */
async function startServer(dataDir: string): Promise<{ child: Deno.ChildProcess; port: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "-P=server",
      "server.ts",
      "--plain",
      "--host",
      "127.0.0.1",
      "--no-discovery",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--name",
      "Office LAN",
      "--motd",
      "Lunch at 12:30 in the kitchen. Printer on floor 2 is fixed.",
      "--log-level",
      "error",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on 127\.0\.0\.1:(\d+)\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server.ts exited before listening:\n${text}`);
    text += value;
  }
  reader.releaseLock();
  child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return { child, port: Number(/listening on 127\.0\.0\.1:(\d+)\n/.exec(text)![1]) };
}

/** Waits until the page shows a line with `text`. */
async function shown(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid="message-text"]', { hasText: text }).first().waitFor();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dataDir = await Deno.makeTempDir({ prefix: "lanchat-screenshots-" });
const { child, port } = await startServer(dataDir);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
const talkers: Talker[] = [];
try {
  // Some history before ana arrives.
  const bo = await Talker.join(port, "bo", ["#dev"]);
  const chen = await Talker.join(port, "chen", ["#dev"]);
  const dana = await Talker.join(port, "dana", []);
  talkers.push(bo, chen, dana);
  await bo.say("#lobby", "morning all");
  await chen.say("#lobby", "morning! coffee machine is back, by the way");
  await dana.say("#lobby", "finally 🎉");
  await chen.say("#dev", "the build on main is green again");
  await pause(300);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('[data-testid="nick-input"]').fill("ana");
  await page.locator('[data-testid="join-button"]').click();
  await page.locator('[data-testid="connection-state"][data-state="connected"]').waitFor();
  const input = page.locator('[data-testid="message-input"]');
  // ana says hello in #lobby, then goes to #dev for a while.
  await input.fill("back from leave, hi all 👋");
  await input.press("Enter");
  await shown(page, "back from leave");
  await input.fill("/join #dev");
  await input.press("Enter");
  await page.locator('[data-testid="room-item"][data-room="#dev"][aria-current="page"]').waitFor();

  // Meanwhile in #lobby: what the "New messages" marker will mark.
  await bo.say("#lobby", "ana, are you joining the 14:00 review?");
  await dana.send({ type: "cmd", name: "me", args: "waves from the train", room: "#lobby" });
  await chen.say(
    "#lobby",
    "agenda for the review:\n1. release notes\n2. the flaky test\n3. who takes the on-call week",
  );
  await dana.say("#lobby", "see you there 👍");
  await page.locator('[data-testid="room-item"][data-room="#lobby"][data-unread="4"]').waitFor();
  await page.locator('[data-testid="room-item"][data-room="#lobby"]').click();

  // And elsewhere, while ana reads #lobby: unread lines in #dev and a private message.
  await chen.say("#dev", "pushed the fix for the reconnect bug");
  await bo.say("#dev", "nice, looking now");
  await bo.send({ type: "cmd", name: "msg", args: "ana can you send me the room number?" });
  await page.locator('[data-testid="room-item"][data-room="#dev"][data-unread="2"]').waitFor();
  await page.locator('[data-testid="room-item"][data-room="bo"][data-unread="1"]').waitFor();
  await shown(page, "see you there");
  await page.locator('[data-testid="history-start"]').waitFor();
  await pause(500);

  await Deno.mkdir(OUT, { recursive: true });
  for (
    const [name, viewport] of [["desktop", { width: 1280, height: 800 }], [
      "phone",
      { width: 360, height: 640 },
    ]] as const
  ) {
    for (const colorScheme of ["light", "dark"] as const) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme });
      await pause(300);
      const path = `${OUT}/${name}-${colorScheme}.png`;
      await page.screenshot({ path });
      console.log(`wrote ${path.slice(ROOT.length)}`);
    }
  }

  // Then, on the desktop in the light theme: bo shares a chart, chen the notes.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "light" });
  await bo.say("#lobby", "build times this week, for the review:");
  await shown(page, "build times this week");
  await bo.share("#lobby", "build-times.png", chartPng());
  await page.locator('[data-testid="file-image"]').waitFor();
  // The preview is loaded lazily: wait until it has its pixels (a string: no DOM types here).
  await page.waitForFunction(
    `(() => { const img = document.querySelector('[data-testid="file-preview"]');
      return img !== null && img.complete && img.naturalWidth > 0; })()`,
  );
  await chen.share(
    "#lobby",
    "release-notes.pdf",
    notesPdf([
      "Release notes, draft",
      "- Shared files: previews in the browser, /send and /get in chat-client",
      "- Reconnect keeps your rooms and the unread lines",
      "- The flaky upload test is fixed",
    ]),
  );
  await page.locator('[data-testid="file-card"]').waitFor();
  await pause(500);
  const filesPath = `${OUT}/files-light.png`;
  await page.screenshot({ path: filesPath });
  console.log(`wrote ${filesPath.slice(ROOT.length)}`);
  await context.close();
} finally {
  for (const talker of talkers) talker.close();
  await browser.close();
  child.kill("SIGTERM");
  await child.status;
  await Deno.remove(dataDir, { recursive: true });
}
