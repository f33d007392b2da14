/**
 * The page's Download button (issue 18, review rev1 items 7, 10, 11): a
 * download under way goes on when the reader switches conversation, shows
 * in the transfers list there, and Cancel (in the list or on the card)
 * stops it with a notice and saves nothing; a body shorter or longer than
 * the announced size is refused in words and not saved; a refusal shows
 * the server's own message. Odd answers come from the browser's request
 * interception (`Person.answer`), slow ones from DevTools' throttling.
 */

import assert from "node:assert/strict";
import { BrowserHost, type Person } from "./_browser.ts";
import { joinPage, openConversation, say, waitLine } from "./_chat_page.ts";
import { runServer } from "./_entry_process.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const SIZE = 1_500_000; // 1.4 MiB
const BUTTON = '[data-testid="file-card"] [data-testid="file-download"]';

function bytesOf(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 13 + 5) % 251;
  return bytes;
}

/** The `data-percent` of the first download in the list, or -1 while there is none. */
function listed(person: Person): Promise<number> {
  return person.evaluate(() => {
    const item = (globalThis as Any).document.querySelector('[data-testid="download"]');
    return item ? Number(item.getAttribute("data-percent")) : -1;
  });
}

/** Waits until the card's download error says exactly `text`. */
async function cardError(person: Person, text: string): Promise<void> {
  await person.waitFor(`the card's error "${text}"`, (text: string) => {
    const error = (globalThis as Any).document.querySelector(
      '[data-testid="file-download-error"]',
    );
    return error?.textContent === text;
  }, text);
}

Deno.test("browser Download: goes on across conversations, Cancel from the list or the card, size checked, the server's words", async (t) => {
  await using browser = await BrowserHost.launch();
  const data = await Deno.makeTempDir({ prefix: "lanchat_files_dl_" });
  const { server, port } = await runServer(["--no-discovery", "--data-dir", data]);
  await using _server = server;
  const url = `http://127.0.0.1:${port}/`;
  await using ana = await browser.person();
  await using bea = await browser.person();
  await joinPage(ana, url, "ana");
  await joinPage(bea, url, "bea");
  const bytes = bytesOf(SIZE);
  await ana.setInputFiles('[data-testid="file-input"]', [
    { name: "big.bin", mimeType: "", bytes },
  ]);
  await bea.waitFor(
    "the file card",
    () => (globalThis as Any).document.querySelector('[data-testid="file-card"]') !== null,
    undefined,
    20_000,
  );

  await t.step(
    "a download goes on in another conversation, listed there, and Cancel stops it",
    async () => {
      await bea.throttleDownloads(100_000); // 15 s for the file
      await bea.click(BUTTON);
      await bea.waitFor(
        "the download listed",
        () => {
          const item = (globalThis as Any).document.querySelector('[data-testid="download"]');
          return item && Number(item.getAttribute("data-percent")) >= 2;
        },
        undefined,
        20_000,
      );
      await say(bea, "/join #other");
      await openConversation(bea, "#other");
      const before = await listed(bea);
      assert.ok(before >= 2, `the download left the list: ${before}`);
      assert.equal(
        await bea.evaluate(() =>
          (globalThis as Any).document.querySelector('[data-testid="file-card"]')
        ),
        null,
      );
      await bea.waitFor(
        "the download moving on",
        (before: number) => {
          const item = (globalThis as Any).document.querySelector('[data-testid="download"]');
          return item && Number(item.getAttribute("data-percent")) > before;
        },
        before,
        20_000,
      );
      await bea.click('[data-testid="download-cancel"]');
      await waitLine(bea, "Download cancelled: big.bin", "notice");
      assert.equal(await listed(bea), -1);
      // Back in the room the card offers Download again; Cancel on the card stops it too.
      await openConversation(bea, "#lobby");
      await bea.click(BUTTON);
      await bea.waitFor(
        "the card's Cancel",
        () =>
          (globalThis as Any).document.querySelector('[data-testid="file-download-cancel"]') !==
            null,
      );
      await bea.click('[data-testid="file-download-cancel"]');
      const state = await bea.waitFor("the card idle again", () => {
        const { document } = globalThis as Any;
        const link = document.querySelector(
          '[data-testid="file-card"] [data-testid="file-download"]',
        );
        return link?.getAttribute("data-state") === "idle" &&
          document.querySelector('[data-testid="download"]') === null && link.textContent;
      });
      assert.equal(state, "Download");
      await bea.throttleDownloads(-1);
      assert.deepEqual((await bea.events()).downloads, []);
    },
  );

  await t.step("a short or long body is refused in words and not saved", async () => {
    const octets = { "content-type": "application/octet-stream" };
    await bea.answer("**/f/**", 200, octets, bytes.subarray(0, 1000));
    await bea.click(BUTTON);
    await cardError(bea, "The download is incomplete: 1000 B of 1.4 MiB came; nothing was saved");
    await bea.answer("**/f/**", 200, octets, bytesOf(SIZE + 100));
    await bea.click(BUTTON);
    await cardError(bea, "The server sent more than the file's 1.4 MiB; nothing was saved");
    // The list says it too, until dismissed.
    assert.equal(
      await bea.evaluate(() =>
        (globalThis as Any).document.querySelector('[data-testid="download-error"]')?.textContent
      ),
      "The server sent more than the file's 1.4 MiB; nothing was saved",
    );
    assert.deepEqual((await bea.events()).downloads, []);
  });

  await t.step("a refusal shows the server's message; the real answer is saved whole", async () => {
    const message = "Files cannot be read now (timeout); try again later";
    await bea.answer(
      "**/f/**",
      503,
      { "content-type": "application/json" },
      new TextEncoder().encode(`${JSON.stringify({ error: "files_unavailable", message })}\n`),
    );
    await bea.click(BUTTON);
    await cardError(bea, message);
    await bea.answer("**/f/**", 0);
    const saved = await bea.download(BUTTON);
    assert.equal(saved.failure, undefined, `the download failed: ${saved.failure}`);
    assert.equal(saved.name, "big.bin");
    assert.deepEqual(saved.bytes, bytes);
    await bea.waitFor(
      "the list empty",
      () => (globalThis as Any).document.querySelector('[data-testid="download-list"]') === null,
    );
  });

  await Deno.remove(data, { recursive: true });
});
