/**
 * The Worker behind {@linkcode UploadSink} (lib/files/upload_sink.ts): it
 * hashes (SHA-256) and writes the uploads' bytes to their temporary files,
 * off the server's main thread, and hands each buffer back once written.
 * One Worker serves every upload of a store, each by its id; messages of
 * one upload are handled in the order sent. The types of the messages are
 * in upload_sink.ts.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import type { FromHashWorker, ToHashWorker } from "./upload_sink.ts";

/** The Worker's global scope, as far as used (typed apart from the main program's `self`). */
const scope = self as unknown as {
  postMessage(message: FromHashWorker, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: MessageEvent<ToHashWorker>) => void) | null;
};

const uploads = new Map<number, { file: Deno.FsFile; hash: Hash } | { failed: true }>();

function fail(id: number, error: unknown): void {
  const upload = uploads.get(id);
  try {
    if (upload && "file" in upload) upload.file.close();
  } catch { /* failed already */ }
  uploads.set(id, { failed: true });
  scope.postMessage({ type: "failed", id, message: (error as Error).message ?? String(error) });
}

scope.onmessage = (event: MessageEvent<ToHashWorker>) => {
  const message = event.data;
  const { id } = message;
  if (message.type === "open") {
    try {
      uploads.set(id, {
        file: Deno.openSync(message.path, { write: true }),
        hash: createHash("sha256"),
      });
    } catch (error) {
      fail(id, error);
    }
    return;
  }
  const upload = uploads.get(id);
  if (message.type === "write") {
    if (upload && "file" in upload) {
      const bytes = new Uint8Array(message.buffer, 0, message.length);
      try {
        upload.hash.update(bytes);
        for (let written = 0; written < bytes.length;) {
          written += upload.file.writeSync(bytes.subarray(written));
        }
      } catch (error) {
        return fail(id, error);
      }
    }
    scope.postMessage({ type: "written", id, buffer: message.buffer }, [message.buffer]);
    return;
  }
  // "end" or "abort": the last message of an upload, always answered.
  uploads.delete(id);
  if (!upload || !("file" in upload)) return scope.postMessage({ type: "closed", id });
  try {
    upload.file.close();
  } catch (error) {
    if (message.type === "end") {
      scope.postMessage({ type: "failed", id, message: (error as Error).message });
    }
  }
  scope.postMessage(
    message.type === "end" ? { type: "closed", id, sha256: upload.hash.digest("hex") } : {
      type: "closed",
      id,
    },
  );
};
