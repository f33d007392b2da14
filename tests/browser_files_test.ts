/**
 * Files from the web page (issue 18), as people would send them: a file
 * dropped on the conversation and an image pasted into the input go up
 * with a progress bar; the other browser sees the image as a preview and
 * a file as a card (a hostile name as text); a line-mode client sees the
 * `[file]` line; a cancelled upload leaves nothing on the server, and a
 * notice that says so.
 */

import assert from "node:assert/strict";
import { BrowserHost, type Person } from "./_browser.ts";
import { joinPage, waitLine } from "./_chat_page.ts";
import { runClient, runServer } from "./_entry_process.ts";
import { until } from "./_waiting.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Makes a file in the page (`png`: a real PNG drawn on a canvas; else `size` bytes) and keeps it as `window.__file`. */
async function makeFile(
  person: Person,
  spec: { name: string; png?: boolean; size?: number; type?: string },
): Promise<void> {
  await person.evaluate(
    async (spec: { name: string; png?: boolean; size?: number; type?: string }) => {
      const w = globalThis as Any;
      let blob: Any;
      if (spec.png) {
        const canvas = w.document.createElement("canvas");
        canvas.width = 40;
        canvas.height = 30;
        const g = canvas.getContext("2d");
        g.fillStyle = "#c03";
        g.fillRect(0, 0, 40, 30);
        blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      } else {
        const bytes = new Uint8Array(spec.size ?? 1000);
        for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251;
        blob = new w.Blob([bytes], { type: spec.type ?? "application/octet-stream" });
      }
      w.__file = new w.File([blob], spec.name, { type: blob.type });
      // Every percentage the page shows, to see the bar move.
      w.__percents = [];
      new w.MutationObserver(() => {
        for (const item of w.document.querySelectorAll('[data-testid="upload"]')) {
          w.__percents.push(Number(item.getAttribute("data-percent")));
        }
      }).observe(w.document.body, { subtree: true, childList: true, attributes: true });
      return true;
    },
    spec,
  );
}

/** Drops `window.__file` on the conversation, as a drag from the desktop ends. */
function dropFile(person: Person): Promise<boolean> {
  return person.evaluate(() => {
    const w = globalThis as Any;
    const target = w.document.querySelector('[data-testid="conversation"]');
    const data = new w.DataTransfer();
    data.items.add(w.__file);
    for (const type of ["dragenter", "dragover", "drop"]) {
      target.dispatchEvent(
        new w.DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }),
      );
    }
    return true;
  });
}

/** Pastes `window.__file` into the message input, as Ctrl+V of a screenshot does. */
function pasteFile(person: Person): Promise<boolean> {
  return person.evaluate(() => {
    const w = globalThis as Any;
    const input = w.document.querySelector('[data-testid="message-input"]');
    const data = new w.DataTransfer();
    data.items.add(w.__file);
    input.dispatchEvent(
      new w.ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
    );
    return true;
  });
}

/** The percentages the page showed since the file was made. */
function percents(person: Person): Promise<number[]> {
  return person.evaluate(() => (globalThis as Any).__percents as number[]);
}

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isDirectory) found.push(...filesUnder(`${dir}/${entry.name}`));
      else found.push(`${dir}/${entry.name}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found;
}

Deno.test("browser files: drop and paste with progress, previews for the other browser, the terminal's line, cancel leaves nothing", async (t) => {
  await using browser = await BrowserHost.launch();
  const data = await Deno.makeTempDir({ prefix: "lanchat_files_web_" });
  const { server, port } = await runServer(["--no-discovery", "--data-dir", data]);
  await using _server = server;
  const url = `http://127.0.0.1:${port}/`;
  await using ana = await browser.person();
  await using bea = await browser.person();
  await joinPage(ana, url, "ana");
  await joinPage(bea, url, "bea");
  await using cli = runClient(port, "cli", [], { stdin: "piped" });
  await cli.waitStdout((line) => line.includes("Type /help"));

  await t.step(
    "a dropped image goes up with a bar and shows as a preview for the other browser and as a line in the terminal",
    async () => {
      await ana.throttleUploads(400_000);
      await makeFile(ana, { name: "shot.png", png: true });
      // A small PNG goes up in one go; the bar is seen on the next, larger file.
      assert.ok(await dropFile(ana));
      await bea.waitFor("the image preview loaded", () => {
        const img = (globalThis as Any).document.querySelector('[data-testid="file-preview"]');
        return img !== null && img.complete && img.naturalWidth === 40;
      });
      const line = await cli.waitStdout((line) => line.includes("<ana> [file] shot.png"));
      assert.match(line, /\[file\] shot\.png \(\d+ B, image\/png\) \/get [A-Za-z0-9_-]{22}/);
      // A click shows it full size; Escape closes.
      await bea.click('[data-testid="file-preview"]');
      await bea.waitFor(
        "the full-size view",
        () => (globalThis as Any).document.querySelector('[data-testid="file-full"] img') !== null,
      );
      await bea.press('[data-testid="message-input"]', "Escape");
    },
  );

  await t.step(
    "a pasted file with a hostile name shows as a card with its name as text, and the bar moved",
    async () => {
      const name = `<img src=x onerror="document.title='owned'">.bin`;
      await makeFile(ana, { name, size: 600_000 });
      assert.ok(await pasteFile(ana));
      await ana.waitFor(
        "the bar to show",
        () =>
          (globalThis as Any).document.querySelector('[data-testid="upload-progress"]') !== null,
      );
      const card = await bea.waitFor(
        "the file card",
        () => {
          const card = (globalThis as Any).document.querySelector('[data-testid="file-card"]');
          return card && {
            name: card.querySelector('[data-testid="file-name"]').textContent,
            detail: card.querySelector('[data-testid="file-detail"]').textContent,
            href: card.querySelector('[data-testid="file-download"]').getAttribute("href"),
            images: card.querySelectorAll("img").length,
            title: (globalThis as Any).document.title,
          };
        },
        undefined,
        20_000,
      );
      assert.equal(card.images, 0);
      assert.notEqual(card.title, "owned");
      assert.match(card.name, /^_img src=x onerror=.*\.bin$/); // cleaned by the server, shown as text
      assert.equal(card.detail, "586 KiB, application/octet-stream");
      assert.match(card.href, /^\/f\/[A-Za-z0-9_-]{22}\//);
      const seen = await percents(ana);
      assert.ok(seen.some((p) => p > 0 && p < 100), `no progress between 0 and 100: ${seen}`);
      // The download answers with the same bytes.
      const got = await fetch(`http://127.0.0.1:${port}${card.href}`);
      assert.equal((await got.arrayBuffer()).byteLength, 600_000);
      await cli.waitStdout((line) => line.includes("<ana> [file] _img src=x"));
    },
  );

  await t.step(
    "an upload cancelled half way leaves nothing on the server and a notice",
    async () => {
      const stored = filesUnder(`${data}/files/sha256`).length;
      await ana.throttleUploads(200_000);
      await makeFile(ana, { name: "half.bin", size: 3_000_000 });
      assert.ok(await dropFile(ana));
      await ana.waitFor(
        "the upload a tenth done",
        () => {
          const item = (globalThis as Any).document.querySelector('[data-testid="upload"]');
          return item && Number(item.getAttribute("data-percent")) >= 10;
        },
        undefined,
        20_000,
      );
      // On the server: in its temporary directory, not stored.
      await until(() => filesUnder(`${data}/files/tmp`).length === 1);
      await ana.click('[data-testid="upload-cancel"]');
      await until(() => filesUnder(`${data}/files/tmp`).length === 0);
      assert.equal(filesUnder(`${data}/files/sha256`).length, stored);
      assert.ok(!cli.stdout.some((line) => line.includes("half.bin")));
      assert.equal(
        await ana.evaluate(() =>
          (globalThis as Any).document.querySelectorAll('[data-testid="upload"]').length
        ),
        0,
      );
      // The conversation says so, as the terminal's "sending half.bin cancelled".
      await waitLine(ana, "Upload cancelled: half.bin", "notice");
      await ana.throttleUploads(-1);
    },
  );

  await cli.closeStdin();
  await cli.finished();
  await Deno.remove(data, { recursive: true });
});
