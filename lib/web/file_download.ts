/// <reference lib="dom" />
/**
 * Saving a shared file from the page (issue 18). Chromium cancels every
 * download from a server whose certificate it does not trust, even after
 * the user clicked through the warning (the page, its images and its
 * `fetch()` all work; a navigation or `<a download>` to the file ends as
 * "canceled"), and lanchat's own certificate is self-signed. So the page
 * fetches the file itself (on its own origin: the same capability link,
 * `nosniff` and CSP headers) into a `Blob`, with progress, and saves that
 * through an object URL, which is no network download and never blocked.
 * Only a body of exactly the announced size is saved: a short one (a
 * connection cut where the browser does not notice) or a long one is
 * refused with words, and nothing is saved. A refusal says the server's
 * own words (its JSON `message`).
 *
 * The cost: the file is held by the browser until saved (Chromium keeps a
 * large blob on disk, not in memory; the page folds the chunks into blobs
 * every 4 MiB); a file is at most the server's `--max-file-bytes`. A
 * streaming save would need `showSaveFilePicker` (Chromium only, a secure
 * context, a dialog on every click) or a service worker (refused on a page
 * whose certificate was accepted at the warning, and plain `http://` on a
 * LAN address is no secure context), so the blob stays.
 *
 * @module
 */

import { formatSize } from "../core/file_name.ts";
import { serverMessage } from "./file_uploads.ts";

/** How far a download is: bytes received of the file's size. */
export type DownloadProgress = (received: number) => void;

/** A download that failed, in words for the user. */
export class DownloadError extends Error {
  /**
   * @param message what went wrong, sentence case
   * @param cancelled whether it stopped because its signal was aborted
   */
  constructor(message: string, options?: ErrorOptions, readonly cancelled = false) {
    super(message, options);
    this.name = "DownloadError";
  }
}

/** How to save: the announced size, progress, and a signal that cancels. */
export interface SaveOptions {
  /** The file's announced size: any other length is refused. */
  size: number;
  progress?: DownloadProgress;
  signal?: AbortSignal;
}

/** Largest refusal body the page reads for its words. */
const REFUSAL_BYTES = 16 * 1024;

/**
 * Fetches `href` (a path on the page's origin) and saves it as `name`,
 * telling `progress` as bytes arrive; resolves once the save was handed to
 * the browser.
 *
 * @throws {DownloadError} the server refused it (in its words), the
 *   connection broke, the body was not `size` bytes, or `signal` cancelled it
 *   (then `cancelled` is true); nothing was saved
 */
export async function saveFile(href: string, name: string, options: SaveOptions): Promise<void> {
  const { size, progress = () => {}, signal } = options;
  const cancelled = (error: unknown) =>
    new DownloadError(`Download cancelled: ${name}`, { cause: error }, true);
  let response: Response;
  try {
    response = await fetch(href, { credentials: "same-origin", ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw cancelled(error);
    throw new DownloadError("The file could not be fetched: the connection failed", {
      cause: error,
    });
  }
  if (!response.ok || !response.body) throw new DownloadError(await refusalOf(response));
  // Folded into a blob every few MiB, which the browser may keep out of the page's memory.
  const blobs: Blob[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let received = 0;
  const reader = response.body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > size) break; // refused below; nothing more is read
      pending.push(value);
      pendingBytes += value.byteLength;
      if (pendingBytes >= 4 * 1024 * 1024) {
        blobs.push(new Blob(pending as BlobPart[]));
        pending = [];
        pendingBytes = 0;
      }
      progress(received);
    }
  } catch (error) {
    if (signal?.aborted) throw cancelled(error);
    throw new DownloadError("The download broke off: the connection was lost", { cause: error });
  }
  if (received !== size) {
    reader.cancel().catch(() => {});
    throw new DownloadError(
      received < size
        ? `The download is incomplete: ${formatSize(received)} of ${
          formatSize(size)
        } came; nothing was saved`
        : `The server sent more than the file's ${formatSize(size)}; nothing was saved`,
    );
  }
  const url = URL.createObjectURL(new Blob([...blobs, ...pending] as BlobPart[]));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the blob by the time a minute has passed; then it can go.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * A refused download in words: for a 404, that the file is gone; else the
 * server's JSON `message`, else what the status means.
 */
async function refusalOf(response: Response): Promise<string> {
  // Every file the page fetches was announced to it, token and all: a 404 is a file gone.
  if (response.status === 404) {
    response.body?.cancel().catch(() => {});
    return "No such file (removed by an operator or expired)";
  }
  const words = response.body ? serverMessage(await headOf(response.body)) : undefined;
  if (words) return words;
  return `The server refused the file (${response.status})`;
}

/** The first `REFUSAL_BYTES` of `body` as text ("" if it breaks). */
async function headOf(body: ReadableStream<Uint8Array>): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < REFUSAL_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.byteLength;
    }
  } catch {
    return "";
  } finally {
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
}
