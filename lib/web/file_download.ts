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
 * The cost: the file is held by the browser until saved (Chromium keeps a
 * large blob on disk, not in memory); a file is at most the server's
 * `--max-file-bytes`.
 *
 * @module
 */

/** How far a download is: bytes received of `size`. */
export type DownloadProgress = (received: number) => void;

/** A download that failed, in words for the user. */
export class DownloadError extends Error {
  /** @param message what went wrong, sentence case */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DownloadError";
  }
}

/**
 * Fetches `href` (a path on the page's origin) and saves it as `name`,
 * telling `progress` as bytes arrive; resolves once the save was handed to
 * the browser.
 *
 * @throws {DownloadError} the server refused it (404: gone, or not for you), or the connection broke
 */
export async function saveFile(
  href: string,
  name: string,
  progress: DownloadProgress = () => {},
  signal?: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(href, { credentials: "same-origin", ...(signal ? { signal } : {}) });
  } catch (error) {
    throw new DownloadError("The file could not be fetched: the connection failed", {
      cause: error,
    });
  }
  if (!response.ok || !response.body) {
    throw new DownloadError(
      response.status === 404
        ? "The file is gone from the server (or not for you)"
        : `The server refused the file (${response.status})`,
    );
  }
  // Folded into a blob every few MiB, which the browser may keep out of the page's memory.
  const blobs: Blob[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let received = 0;
  try {
    const reader = response.body.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      pending.push(value);
      pendingBytes += value.byteLength;
      received += value.byteLength;
      if (pendingBytes >= 4 * 1024 * 1024) {
        blobs.push(new Blob(pending as BlobPart[]));
        pending = [];
        pendingBytes = 0;
      }
      progress(received);
    }
  } catch (error) {
    throw new DownloadError("The download broke off: the connection was lost", { cause: error });
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
