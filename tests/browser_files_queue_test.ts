/**
 * Several files picked at once in the page (issue 18, review rev2 item 2):
 * they queue to the server's limits (2 uploads at once per member) instead
 * of failing, shown "waiting" meanwhile, and every one arrives. `/send`
 * typed in the page says how the page sends files, not the text clients'
 * hint.
 */

import assert from "node:assert/strict";
import { BrowserHost } from "./_browser.ts";
import { joinPage, say, waitLine } from "./_chat_page.ts";
import { runClient, runServer } from "./_entry_process.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("browser files: four files picked at once all arrive, two at a time, the others shown waiting", async () => {
  await using browser = await BrowserHost.launch();
  const data = await Deno.makeTempDir({ prefix: "lanchat_files_queue_" });
  const { server, port } = await runServer(["--no-discovery", "--data-dir", data]);
  await using _server = server;
  await using ana = await browser.person();
  await joinPage(ana, `http://127.0.0.1:${port}/`, "ana");
  await using cli = runClient(port, "cli", [], { stdin: "piped" });
  await cli.waitStdout((line) => line.includes("Type /help"));
  // Every state an upload shows, to see the queue.
  await ana.evaluate(() => {
    const w = globalThis as Any;
    w.__states = new Set();
    new w.MutationObserver(() => {
      for (const item of w.document.querySelectorAll('[data-testid="upload"]')) {
        w.__states.add(item.getAttribute("data-state"));
      }
    }).observe(w.document.body, { subtree: true, childList: true, attributes: true });
    return true;
  });
  // Slow enough that the first two are still going when the others are picked.
  await ana.throttleUploads(400_000);
  const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
  await ana.setInputFiles(
    '[data-testid="file-input"]',
    [1, 2, 3, 4].map((n) => ({ name: `photo${n}.bin`, mimeType: "", bytes })),
  );
  for (const n of [1, 2, 3, 4]) {
    await cli.waitStdout((line) => line.includes(`<ana> [file] photo${n}.bin`), 60_000);
  }
  await ana.waitFor(
    "the upload list emptied",
    () => (globalThis as Any).document.querySelectorAll('[data-testid="upload"]').length === 0,
  );
  const states = await ana.evaluate(() => [...(globalThis as Any).__states] as string[]);
  assert.ok(states.includes("waiting"), `${states}`);
  assert.ok(!states.includes("failed"), `${states}`);

  await say(ana, "/send notes.txt");
  await waitLine(
    ana,
    "To send a file, drop it on the conversation, paste it, or pick it with 📎; " +
      "a shared file's Download button fetches it",
  );
  await cli.closeStdin();
  await cli.finished();
  await Deno.remove(data, { recursive: true });
});
