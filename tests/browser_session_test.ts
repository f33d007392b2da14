/**
 * What the page keeps across interruptions: when the server restarts (same
 * port, same data directory) the page says it is offline, queues what is
 * typed meanwhile, reconnects by itself and sends it once; and the key it
 * made in IndexedDB survives a reload, so a nick registered from the
 * browser is still its own, and no other browser can take it.
 */

import assert from "node:assert/strict";
import { BrowserHost, type Person } from "./_browser.ts";
import {
  connectionState,
  joinPage,
  openConversation,
  say,
  shownLines,
  submitJoin,
  waitConnected,
  waitLine,
} from "./_chat_page.ts";
import { runEntry, runServer } from "./_entry_process.ts";
import type { PageGlobals } from "./_page_dom.ts";
import { stopped } from "./_tls_server.ts";
import { TextClient } from "./_text_client.ts";

/** The fingerprint the settings panel shows (opened and closed again). */
async function shownFingerprint(person: Person): Promise<string> {
  await person.click('[data-testid="settings-button"]');
  const fingerprint = await person.waitFor("the fingerprint in the settings", () => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelector('[data-testid="fingerprint"]')?.textContent ?? "";
  });
  await person.click('[data-testid="settings-close"]');
  return fingerprint;
}

Deno.test("browser: the page rides out a server restart and keeps its key across a reload", async (t) => {
  await using browser = await BrowserHost.launch();

  await t.step(
    "the server restarts on the same port and data: the page reconnects and sends what was typed meanwhile, once",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "lanchat-browser-" });
      try {
        const first = await runServer(["--data-dir", dir]);
        const port = first.port;
        await using ana = await browser.person();
        await joinPage(ana, `http://127.0.0.1:${port}/`, "ana");
        await say(ana, "before the restart");
        await waitLine(ana, "before the restart", "say");
        assert.equal((await stopped(first.server)).code, 0);
        await ana.waitFor("the page to show it is offline", () => {
          const { document } = globalThis as unknown as PageGlobals;
          const state = document.querySelector('[data-testid="connection-state"]');
          return state !== null && state.getAttribute("data-state") !== "connected";
        });
        await say(ana, "typed while down");
        await waitLine(ana, "typed while down", "queued");
        await using second = runEntry("server", [
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
          "--data-dir",
          dir,
        ]);
        await second.waitStdout((line) => line === `listening on 127.0.0.1:${port}`);
        await waitConnected(ana, 30_000);
        // The queued line went out: another client finds it (live, or replayed on join).
        await using text = await TextClient.connect(port, "tex");
        await text.waitLine((line) => line.endsWith("<ana> typed while down"));
        await waitLine(ana, "typed while down", "say");
        const lines = await shownLines(ana);
        assert.equal(lines.filter((line) => line.text === "typed while down").length, 1);
        assert.equal(
          lines.filter((line) => line.text === "before the restart").length,
          1,
          JSON.stringify(lines),
        );
        assert.equal(await connectionState(ana), "connected");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );

  await t.step(
    "/register from the page: after a reload the page has the same key and the nick; another browser cannot take it",
    async () => {
      const { server, port } = await runServer();
      await using _server = server;
      const url = `http://127.0.0.1:${port}/`;
      await using ana = await browser.person();
      await joinPage(ana, url, "ana");
      const fingerprint = await shownFingerprint(ana);
      assert.match(fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
      await say(ana, "/register");
      await ana.waitFor("the registration notice", (fingerprint: string) => {
        const { document } = globalThis as unknown as PageGlobals;
        return Array.from(document.querySelectorAll('[data-testid="message-text"]')).some((text) =>
          (text.textContent ?? "").includes(`registered to your key ${fingerprint}`)
        );
      }, fingerprint);
      // The key is in IndexedDB, not extractable: a reload finds the same one.
      await ana.reload();
      await submitJoin(ana, "ana");
      await waitConnected(ana, 15_000);
      assert.equal(await shownFingerprint(ana), fingerprint);
      await say(ana, "still ana");
      await waitLine(ana, "still ana", "say");
      // Another browser (another key) is refused the nick.
      await using eve = await browser.person();
      await eve.goto(url);
      await submitJoin(eve, "ana");
      const refusal = await eve.waitFor("the join error", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-testid="join-error"]')?.textContent;
      });
      assert.match(refusal ?? "", /registered|in use|taken/i);
    },
  );

  await t.step(
    "the same key in a second tab: the first says so once, keeps what is typed, and 'Use lanchat here' joins again (rooms too)",
    async () => {
      const { server, port } = await runServer();
      await using _server = server;
      const url = `http://127.0.0.1:${port}/`;
      await using ana = await browser.person();
      await joinPage(ana, url, "ana");
      await say(ana, "/join #side");
      await openConversation(ana, "#side");
      await say(ana, "/nick anna");
      await waitLine(ana, "ana is now known as anna", "event");
      assert.equal(
        await ana.evaluate(() =>
          (globalThis as unknown as PageGlobals).localStorage.getItem("lanchat.nick")
        ),
        "anna",
      );
      await using other = await ana.tab();
      await joinPage(other, url, "anna");
      const ended = await ana.waitFor("the first tab to say it was replaced", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-testid="session-ended"]')?.textContent;
      });
      assert.match(ended ?? "", /anna joined from another tab or device with this key/);
      assert.equal(await connectionState(ana), "failed");
      const said = (await shownLines(ana)).filter((l) => /another tab|new connection/.test(l.text));
      assert.equal(said.length, 1, JSON.stringify(said));
      // Typed now: not sent, not lost.
      await say(ana, "typed while replaced");
      const kept = () =>
        ana.evaluate(() => {
          const { document } = globalThis as unknown as PageGlobals;
          return document.querySelector('[data-testid="message-input"]')?.value;
        });
      assert.equal(await kept(), "typed while replaced");
      await ana.click('[data-testid="reconnect-button"]');
      await waitConnected(ana);
      assert.equal(await kept(), "typed while replaced");
      await ana.waitFor("#side joined again and shown", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-testid="room-item"][data-room="#side"]')
          ?.getAttribute("aria-current") === "page";
      });
      await ana.press('[data-testid="message-input"]', "Enter");
      await waitLine(ana, "typed while replaced", "say");
      assert.equal(await connectionState(other), "failed");
    },
  );
});
