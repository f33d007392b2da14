import assert from "node:assert/strict";
import { FileUploads } from "./file_uploads.ts";

/** An XMLHttpRequest stand-in that answers every upload with `answer` after a tick. */
function fakeRequests(answer: { status: number; body: string }): { sends: () => number } {
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
        this.status = answer.status;
        this.responseText = answer.body;
        this.onload?.();
      }, 1);
    }
  }
  (globalThis as Record<string, unknown>).XMLHttpRequest = FakeRequest;
  return { sends: () => sends };
}

const grant = { token: "t".repeat(22), maxFileBytes: 1e9 };

Deno.test("FileUploads: a wait longer than the page waits in all fails the upload at once, in the server's words", async () => {
  const message = "Too many uploads; try again in 2147484 s";
  const requests = fakeRequests({
    status: 429,
    body: JSON.stringify({ error: "upload_rate", message }),
  });
  const uploads = new FileUploads(() => {});
  const upload = uploads.start(new File([new Uint8Array(10)], "a.bin"), { room: "#lobby" }, grant);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(upload.state, "failed");
  assert.match(upload.error ?? "", /try again in 2147484 s/);
  assert.equal(requests.sends(), 1);
});

Deno.test("FileUploads: a server that says 'try again in 0 s' is tried again a second later, not at once", async () => {
  const requests = fakeRequests({
    status: 429,
    body: JSON.stringify({ error: "upload_rate", message: "Too many uploads; try again in 0 s" }),
  });
  const uploads = new FileUploads(() => {});
  const upload = uploads.start(new File([new Uint8Array(10)], "a.bin"), { room: "#lobby" }, grant);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(upload.state, "waiting");
  assert.equal(requests.sends(), 1);
  uploads.cancel(upload.key);
});
