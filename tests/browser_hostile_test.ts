/**
 * Hostile text through every field a person controls (nick, room name,
 * message, /me, private message, and the server's name and message of the
 * day) reaches a page and renders inert: no dialog, no script run, no
 * element or attribute injected, the text shown as text; and the layout
 * holds, with no horizontal overflow at 360 px wide or on a desktop.
 */

import assert from "node:assert/strict";
import { BrowserHost, type Person } from "./_browser.ts";
import { joinPage, openConversation, say, waitLine } from "./_chat_page.ts";
import { runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import type { PageGlobals } from "./_page_dom.ts";

/** One letter under 3000 combining acute accents: its ink reaches far above the line. */
const STACKED = `h${"\u0301".repeat(3000)}i`;

/** What a web page must show as text and never act on. */
const WEB_HOSTILE: readonly string[] = [
  `<script>window.__pwned = "script"</script>`,
  `<img src=x onerror="window.__pwned='img'">`,
  `<svg onload="window.__pwned='svg'"><circle r=9></svg>`,
  `<a href="javascript:window.__pwned='link'">click me</a>`,
  `javascript:window.__pwned='url'`,
  `"><iframe src="javascript:alert(1)"></iframe>`,
  `<style>body { display: none }</style>`,
  `<b onmouseover="alert(1)">bold</b> &lt;i&gt;entities&lt;/i&gt; &amp;`,
  `\u202egnp.exe \u2066isolate\u2069 \u200fmark`,
  `zwj 👩\u200d💻 zero\u200bwidth\u200c join\u2060 bom\ufeff`,
  "W".repeat(4000),
  `${"x".repeat(300)} ${"y".repeat(1500)}`,
  STACKED,
];
/** Nicks that try the layout: long, right-to-left, stacked marks. The server refuses worse. */
const NICKS = ["W".repeat(24), "שלום_עולם", "Z\u0337\u0327\u031ba\u0338l\u0337g\u0335o\u0336"];
/** Room names that try the same (long, right-to-left, one very wide letter); marks are refused in rooms. */
const ROOMS = [`#${"R".repeat(32)}`, "#ערוץ", "#\ufdfa\ufdfa\ufdfa\ufdfa"];

/** Every problem the page shows: injected elements and attributes, script that ran, overflow. */
function problems(person: Person): Promise<string[]> {
  return person.evaluate(() => {
    const page = globalThis as unknown as PageGlobals;
    const { document } = page;
    const found: string[] = [];
    if (page.__pwned !== undefined) found.push(`script ran: ${page.__pwned}`);
    for (const element of document.querySelectorAll("*")) {
      for (const { name, value } of Array.from(element.attributes)) {
        if (/^on/i.test(name)) found.push(`<${element.tagName} ${name}>`);
        if (/^\s*javascript:/i.test(value)) found.push(`<${element.tagName} ${name}=${value}>`);
      }
    }
    const holders = '[data-testid="message-log"], [data-testid="room-list"], ' +
      '[data-testid="dm-list"], [data-testid="member-list"]';
    for (const holder of document.querySelectorAll(holders)) {
      const injected = holder.querySelectorAll(
        "script, iframe, img, svg, style, object, embed, link, meta, form, a[href]",
      );
      for (const element of injected) found.push(`<${element.tagName}> inside a list of user text`);
    }
    const width = page.innerWidth;
    const root = document.documentElement;
    if (root.scrollWidth > width) found.push(`page ${root.scrollWidth} px wide in ${width}`);
    const log = document.querySelector('[data-testid="message-log"]');
    if (log && log.scrollWidth > log.clientWidth + 1) {
      found.push(`log scrolls sideways: ${log.scrollWidth} px in ${log.clientWidth}`);
    }
    for (const text of document.querySelectorAll('[data-testid="message-text"]')) {
      const right = text.getBoundingClientRect().right;
      if (right > width + 1) found.push(`a message reaches ${Math.round(right)} px of ${width}`);
    }
    // Ink (stacked marks) is not in any box: each line must clip its own paint, and lines not overlap.
    const lines = Array.from(document.querySelectorAll('[data-testid="message"]'));
    lines.forEach((line, i) => {
      const style = page.getComputedStyle(line);
      if (style.overflowY !== "clip" && !/paint|strict|content/.test(style.contain)) {
        found.push(`line ${i} does not clip its paint (${style.overflowY}, ${style.contain})`);
      }
      const margin = parseFloat(style.overflowClipMargin) || 0;
      if (margin > 4) found.push(`line ${i} paints ${margin} px beyond its box`);
      const next = lines[i + 1];
      if (!next) return;
      const below = next.getBoundingClientRect().top;
      if (below < line.getBoundingClientRect().bottom - 0.5) {
        found.push(`line ${i} overlaps the next`);
      }
    });
    return found;
  });
}

/** Whether the shown conversation has a line whose text is exactly `text`. */
function showsText(person: Person, text: string): Promise<boolean> {
  return person.evaluate((text: string) => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(document.querySelectorAll('[data-testid="message-text"]')).some((element) =>
      element.textContent === text
    );
  }, text);
}

/** Checks the shown conversation at a desktop and a phone width. */
async function assertInert(person: Person, where: string): Promise<void> {
  for (const size of [{ width: 1280, height: 800 }, { width: 360, height: 640 }]) {
    await person.setViewport(size);
    assert.deepEqual(await problems(person), [], `${where} at ${size.width} px`);
  }
  await person.setViewport({ width: 1280, height: 800 });
  const events = await person.events();
  assert.deepEqual(events.dialogs, [], `${where}: dialogs`);
  assert.deepEqual(events.errors, [], `${where}: uncaught errors`);
}

Deno.test("browser: hostile text in every field renders inert and the layout holds", async (t) => {
  await using browser = await BrowserHost.launch();
  const { server, port } = await runServer([
    "--no-rate-limit",
    "--name",
    `<img src=x onerror="window.__pwned='name'">lanchat`,
    "--motd",
    `<script>window.__pwned = "motd"</script> \u202emotd ${"M".repeat(2000)}`,
  ]);
  await using _server = server;
  await using ana = await browser.person({ viewport: { width: 1280, height: 800 } });
  await joinPage(ana, `http://127.0.0.1:${port}/`, "ana");
  // The senders: each nick the server takes joins #lobby and the rooms.
  const senders: NativeClient[] = [];
  try {
    for (const nick of NICKS) {
      const client = await NativeClient.connect(port).catch(() => undefined);
      if (!client) continue;
      await client.hello(nick);
      const answer = await client.next("welcome").catch(() => undefined);
      if (answer) senders.push(client);
      else await client[Symbol.asyncDispose]();
    }
    assert.ok(senders.length >= 2, "the server took fewer than two of the hostile nicks");
    for (const room of ROOMS) {
      for (const sender of senders) await sender.send({ type: "cmd", name: "join", args: room });
      // The page joins by typing the name, as a person would.
      await say(ana, `/join ${room}`);
    }

    await t.step("messages and /me in #lobby, from nicks that try the layout", async () => {
      await openConversation(ana, "#lobby");
      for (const text of WEB_HOSTILE) {
        await senders[0].send({ type: "msg", text, room: "#lobby" });
        await senders[1].send({ type: "cmd", name: "me", args: text, room: "#lobby" });
      }
      await senders[0].send({ type: "msg", text: "end of lobby", room: "#lobby" });
      await waitLine(ana, "end of lobby");
      for (const text of [WEB_HOSTILE[0], WEB_HOSTILE[1], WEB_HOSTILE[3], STACKED]) {
        assert.ok(await showsText(ana, text), `shown as text: ${text}`);
      }
      await assertInert(ana, "#lobby");
    });

    await t.step("the same in rooms whose names try the layout", async () => {
      for (const room of ROOMS) {
        await openConversation(ana, room);
        for (const text of WEB_HOSTILE) await senders[0].send({ type: "msg", text, room });
        await senders[0].send({ type: "msg", text: `end of ${room}`, room });
        await waitLine(ana, `end of ${room}`);
        await assertInert(ana, room);
      }
    });

    await t.step("private messages, and the page's own hostile lines", async () => {
      const sender = senders[0];
      const from = (await sender.next("welcome")).nick;
      for (const text of WEB_HOSTILE) {
        await sender.send({ type: "cmd", name: "msg", args: `ana ${text}` });
      }
      await sender.send({ type: "cmd", name: "msg", args: "ana end of private" });
      await openConversation(ana, from);
      await waitLine(ana, "end of private");
      await assertInert(ana, `private from ${from.slice(0, 8)}`);
      // What ana types herself is shown as text too, in a room and in private.
      await openConversation(ana, "#lobby");
      for (const text of WEB_HOSTILE.slice(0, 8)) await say(ana, text);
      await say(ana, "/me " + WEB_HOSTILE[1]);
      await say(ana, "end of own");
      await waitLine(ana, "end of own");
      assert.ok(await showsText(ana, WEB_HOSTILE[0]), "own script tag shown as text");
      await assertInert(ana, "#lobby with ana's own lines");
    });
  } finally {
    for (const sender of senders) await sender[Symbol.asyncDispose]();
  }
});
