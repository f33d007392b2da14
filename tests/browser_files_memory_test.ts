/**
 * A 50 MiB upload from Chromium (issue 18): it completes, and the server's
 * memory stays flat while it goes up: the server's RSS, read from /proc
 * every 50 ms during the upload, never grows by as much as the file, so the
 * upload is streamed to disk, not held whole.
 */

import assert from "node:assert/strict";
import { BrowserHost } from "./_browser.ts";
import { joinPage } from "./_chat_page.ts";
import { runServer } from "./_entry_process.ts";
import { until } from "./_waiting.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const MIB = 1024 * 1024;
const SIZE = 50 * MIB;

/** The resident memory of a process in bytes (Deno reads /proc only through another process). */
function rssOf(pid: number): number {
  const { stdout } = new Deno.Command("cat", { args: [`/proc/${pid}/status`], stdout: "piped" })
    .outputSync();
  const kib = /VmRSS:\s+(\d+)/.exec(new TextDecoder().decode(stdout))?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

function countFiles(dir: string): number {
  let n = 0;
  try {
    for (const entry of Deno.readDirSync(dir)) {
      n += entry.isDirectory ? countFiles(`${dir}/${entry.name}`) : 1;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return n;
}

Deno.test({
  name: "browser files: a 50 MiB upload from Chromium completes with the server's memory flat",
  ignore: Deno.build.os !== "linux", // /proc
  async fn() {
    await using browser = await BrowserHost.launch();
    const data = await Deno.makeTempDir({ prefix: "lanchat_files_memory_" });
    const { server, port } = await runServer(["--no-discovery", "--data-dir", data]);
    await using _server = server;
    await using ana = await browser.person();
    await joinPage(ana, `http://127.0.0.1:${port}/`, "ana");
    // The file, made in the page: 50 MiB that no layer can compress.
    await ana.evaluate((size: number) => {
      const w = globalThis as Any;
      const bytes = new Uint8Array(size);
      for (let at = 0; at < size; at += 65536) {
        w.crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
      }
      w.__file = new w.File([bytes], "big.bin", { type: "application/octet-stream" });
      return true;
    }, SIZE);
    // At 25 MB/s (DevTools' throttling), two seconds of transfer: many samples, as on a LAN.
    await ana.throttleUploads(25_000_000);
    const before = rssOf(server.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.pid))), 50);
    try {
      await ana.evaluate(() => {
        const w = globalThis as Any;
        const target = w.document.querySelector('[data-testid="conversation"]');
        const transfer = new w.DataTransfer();
        transfer.items.add(w.__file);
        for (const type of ["dragenter", "dragover", "drop"]) {
          target.dispatchEvent(
            new w.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
          );
        }
        return true;
      });
      // On the server, under way: in its temporary directory.
      await until(() => countFiles(`${data}/files/tmp`) === 1, 20_000);
      const card = await ana.waitFor(
        "the file announced in the conversation",
        () => {
          const card = (globalThis as Any).document.querySelector('[data-testid="file-card"]');
          return card && card.querySelector('[data-testid="file-detail"]').textContent;
        },
        undefined,
        60_000,
      );
      assert.equal(card, "50 MiB, application/octet-stream");
    } finally {
      clearInterval(sampler);
    }
    assert.equal(countFiles(`${data}/files/sha256`), 1);
    assert.equal(countFiles(`${data}/files/tmp`), 0);
    const stored = [...Deno.readDirSync(`${data}/files/sha256`)][0].name;
    const [content] = [...Deno.readDirSync(`${data}/files/sha256/${stored}`)];
    assert.equal(Deno.statSync(`${data}/files/sha256/${stored}/${content.name}`).size, SIZE);
    const growth = peak - before;
    console.log(
      `server RSS ${(before / MIB).toFixed(1)} MiB before, ${(peak / MIB).toFixed(1)} MiB peak ` +
        `(+${(growth / MIB).toFixed(1)} MiB) during a ${SIZE / MIB} MiB upload`,
    );
    // Held whole, the upload alone would add its 50 MiB; streamed, the server grows by its
    // buffers and garbage not yet collected (+32 MiB measured: Deno's streams allocate per chunk).
    assert.ok(growth < 45 * MIB, `the server grew by ${(growth / MIB).toFixed(1)} MiB`);
    await ana.throttleUploads(-1);
    await Deno.remove(data, { recursive: true });
  },
});
