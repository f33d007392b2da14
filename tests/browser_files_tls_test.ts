/**
 * Files from the web page over lanchat's own self-signed TLS, as a person
 * who clicked through the browser's certificate warning uses it (issue 18):
 * a file picked with 📎 is saved by the other browser's Download button
 * (Chromium cancels a plain download from such a page), with the type the
 * terminal client shows; a file sent in a private conversation reaches
 * only its two people (a third gets 404 on its link); an upload under way
 * when the connection drops says so, and goes up once sent again.
 */

import assert from "node:assert/strict";
import { BrowserHost, type Person } from "./_browser.ts";
import { openConversation, say, submitJoin, waitConnected } from "./_chat_page.ts";
import { runEntry, runServer } from "./_entry_process.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const PICKER = '[data-testid="file-input"]';

function bytesOf(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * seed + 7) % 251;
  return bytes;
}

/** Opens the page past the certificate warning and joins as `nick`. */
async function joinPast(person: Person, url: string, nick: string): Promise<void> {
  await person.passWarning(url);
  await submitJoin(person, nick);
  await waitConnected(person, 20_000);
}

/** The first file card of the conversation shown: its name, detail and link. */
async function card(
  person: Person,
  what: string,
  name: string,
): Promise<{ detail: string; href: string }> {
  return await person.waitFor(
    what,
    (name: string) => {
      const { document } = globalThis as Any;
      for (const card of document.querySelectorAll('[data-testid="file-card"]')) {
        if (card.querySelector('[data-testid="file-name"]').textContent !== name) continue;
        return {
          detail: card.querySelector('[data-testid="file-detail"]').textContent as string,
          href: card.querySelector('[data-testid="file-download"]').getAttribute("href") as string,
        };
      }
      return null;
    },
    name,
    20_000,
  ) as { detail: string; href: string };
}

/** What `person`'s page gets fetching `path` on its own origin: the status. */
function statusOf(person: Person, path: string): Promise<number> {
  return person.evaluate(async (path: string) => (await fetch(path)).status, path);
}

Deno.test("browser files over a self-signed certificate: picker, Download, DM privacy, an upload cut by a restart", async (t) => {
  const data = await Deno.makeTempDir({ prefix: "lanchat_files_tls_" });
  // No key trusted: every page must pass the certificate warning, as people do.
  await using browser = await BrowserHost.launch();
  const first = await runServer(["--no-discovery", "--data-dir", data], { tls: true });
  let server = first.server;
  const port = first.port;
  const url = `https://127.0.0.1:${port}/`;
  try {
    await using ana = await browser.person();
    await using bea = await browser.person();
    await using cyd = await browser.person();
    await joinPast(ana, url, "ana");
    await joinPast(bea, url, "bea");
    await joinPast(cyd, url, "cyd");

    await t.step(
      "a text file picked with 📎 shows the terminal's type, and the other browser's Download saves it",
      async () => {
        const bytes = bytesOf(300_000, 3);
        // The browser's type is ignored (the page sends octet-stream): the server decides.
        await ana.setInputFiles(PICKER, [
          { name: "notes.txt", mimeType: "application/x-msdownload", bytes },
        ]);
        const shown = await card(bea, "the picked file's card", "notes.txt");
        // The type the server decided (not an image, so by the name's extension), as
        // `[file] notes.txt (293 KiB, text/plain)` in the terminal.
        assert.equal(shown.detail, "293 KiB, text/plain");
        const saved = await bea.download('[data-testid="file-card"] [data-testid="file-download"]');
        assert.equal(saved.failure, undefined, `the download failed: ${saved.failure}`);
        assert.equal(saved.name, "notes.txt");
        assert.deepEqual(saved.bytes, bytes);
      },
    );

    await t.step(
      "a file sent in a private conversation: the other sees it, a third neither sees nor gets it",
      async () => {
        await say(ana, "/msg bea for you only");
        await openConversation(ana, "bea");
        const bytes = bytesOf(5_000, 5);
        await ana.setInputFiles(PICKER, [{ name: "secret.bin", mimeType: "", bytes }]);
        await openConversation(bea, "ana");
        const shown = await card(bea, "the DM's file card", "secret.bin");
        assert.match(shown.href, /^\/f\/[A-Za-z0-9_-]{22}\/secret\.bin\?k=/);
        const saved = await bea.download(
          '[data-testid="file-card"]:has([data-testid="file-name"]:text-is("secret.bin")) [data-testid="file-download"]',
        );
        assert.deepEqual(saved.bytes, bytes);
        // cyd has no conversation with ana and no card, and the file's url without
        // its key, or with another, is 404 for cyd's page.
        const seen = await cyd.evaluate(() => {
          const { document } = globalThis as Any;
          return {
            dm: document.querySelector('[data-testid="room-item"][data-room="ana"]') !== null,
            names: Array.from(
              document.querySelectorAll('[data-testid="file-name"]'),
              (name: Any) => name.textContent,
            ),
          };
        });
        assert.deepEqual(seen, { dm: false, names: ["notes.txt"] });
        const bare = shown.href.split("?")[0];
        assert.equal(await statusOf(cyd, bare), 404);
        assert.equal(await statusOf(cyd, `${bare}?k=AAAAAAAAAAAAAAAAAAAAAA`), 404);
        assert.equal(await statusOf(bea, shown.href), 200);
        await openConversation(ana, "#lobby");
        await openConversation(bea, "#lobby");
      },
    );

    await t.step(
      "an upload under way when the server restarts says it stopped, and goes up when sent again",
      async () => {
        const bytes = bytesOf(3_000_000, 7);
        await ana.throttleUploads(150_000);
        await ana.setInputFiles(PICKER, [{ name: "cut.bin", mimeType: "", bytes }]);
        await ana.waitFor(
          "the upload under way",
          () => {
            const item = (globalThis as Any).document.querySelector('[data-testid="upload"]');
            return item && Number(item.getAttribute("data-percent")) >= 5;
          },
          undefined,
          20_000,
        );
        await server[Symbol.asyncDispose]();
        const error = await ana.waitFor(
          "the upload's error",
          () => {
            const item = (globalThis as Any).document.querySelector('[data-testid="upload"]');
            return item?.getAttribute("data-state") === "failed" &&
              item.querySelector('[data-testid="upload-error"]').textContent;
          },
          undefined,
          20_000,
        );
        assert.equal(error, "Upload stopped: connection lost, send it again");
        server = runEntry("server", [
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
          "--no-discovery",
          "--data-dir",
          data,
        ], { tls: true });
        await waitConnected(ana, 60_000);
        await waitConnected(bea, 60_000);
        await ana.throttleUploads(-1);
        await ana.click('[data-testid="upload-cancel"]'); // Dismiss
        await ana.setInputFiles(PICKER, [{ name: "cut.bin", mimeType: "", bytes }]);
        const shown = await card(bea, "the file sent again", "cut.bin");
        assert.equal(shown.detail, "2.9 MiB, application/octet-stream");
        await ana.waitFor(
          "the upload list empty",
          () =>
            (globalThis as Any).document.querySelectorAll('[data-testid="upload"]').length === 0,
        );
      },
    );
  } finally {
    await server[Symbol.asyncDispose]();
    await Deno.remove(data, { recursive: true });
  }
});
