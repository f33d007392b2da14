/// <reference lib="dom" />
/**
 * Drives {@linkcode FileUploads} with an XMLHttpRequest stand-in that
 * answers every upload with a 429, and prints what happened as JSON: run as
 * its own process by file_uploads_test.ts (the page's DOM types must not
 * enter the test suite's type check).
 *
 * Run: deno run lib/web/_file_uploads_probe.ts <message> <ms to watch>
 *
 * @module
 */

import { FileUploads } from "./file_uploads.ts";

const [message, watchMs] = [Deno.args[0], Number(Deno.args[1])];
let sends = 0;

class FakeRequest {
  status = 0;
  responseText = "";
  upload: { onprogress?: unknown } = {};
  onload?: () => void;
  onerror?: () => void;
  open() {}
  setRequestHeader() {}
  abort() {}
  getResponseHeader() {
    return null;
  }
  send() {
    sends++;
    setTimeout(() => {
      this.status = 429;
      this.responseText = JSON.stringify({ error: "upload_rate", message });
      this.onload?.();
    }, 1);
  }
}
(globalThis as unknown as { XMLHttpRequest: unknown }).XMLHttpRequest = FakeRequest;

const uploads = new FileUploads(() => {});
const grant = { token: "t".repeat(22), maxFileBytes: 1e9 };
const upload = uploads.start(new File([new Uint8Array(10)], "a.bin"), { room: "#lobby" }, grant);
await new Promise((resolve) => setTimeout(resolve, watchMs));
console.log(JSON.stringify({ state: upload.state, error: upload.error ?? null, sends }));
uploads.cancel(upload.key);
Deno.exit(0);
