/**
 * `deno task screenshots`: pictures of the web page for the README. Starts
 * `server.ts` (plain, a fresh data directory), lets a few people talk over
 * the native protocol (two rooms, a mention, an action, a private message,
 * a message of several lines) while "ana" watches in headless Chromium, and
 * writes docs/screenshots/{desktop,phone}-{light,dark}.png at 1280x800 and
 * 360x640.
 *
 * Needs Debian's chromium at /usr/bin/chromium (and fonts-noto-color-emoji,
 * or emoji show as empty boxes), and `-A`: playwright-core probes /proc as
 * it loads, which Deno grants only to `--allow-all`.
 *
 * @module
 */

import { chromium, type Page } from "playwright-core";

const ROOT = new URL("../", import.meta.url).pathname;
const OUT = `${ROOT}docs/screenshots`;
const encoder = new TextEncoder();

/** Someone on the native protocol: one JSON frame a line, answers read and dropped. */
class Talker {
  private constructor(readonly nick: string, readonly conn: Deno.TcpConn) {}

  static async join(port: number, nick: string, rooms: string[]): Promise<Talker> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    // Read and drop what the server sends, so its queue never fills.
    conn.readable.pipeTo(new WritableStream()).catch(() => {});
    const talker = new Talker(nick, conn);
    await talker.send({ type: "hello", protocol: 1, nick, client: "screenshots" });
    for (const room of rooms) await talker.send({ type: "cmd", name: "join", args: room });
    return talker;
  }

  send(frame: Record<string, unknown>): Promise<number> {
    return this.conn.write(encoder.encode(JSON.stringify(frame) + "\n"));
  }

  say(room: string, text: string): Promise<number> {
    return this.send({ type: "msg", text, room });
  }

  close(): void {
    this.conn.close();
  }
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
  await context.close();
} finally {
  for (const talker of talkers) talker.close();
  await browser.close();
  child.kill("SIGTERM");
  await child.status;
  await Deno.remove(dataDir, { recursive: true });
}
