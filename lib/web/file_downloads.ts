/// <reference lib="dom" />
/**
 * The page's downloads (issue 18): each Download click fetches the file
 * through `saveFile` under an `AbortController`, tracked here by its link
 * rather than by the card that started it, so a download goes on (and is
 * saved) when the reader switches conversation, shows in the transfers
 * list above the input wherever the reader is, and can be cancelled from
 * the card or the list; a cancel leaves a notice and saves nothing. A
 * failed one keeps its reason until dismissed or tried again.
 *
 * @module
 */

import { DownloadError, saveFile } from "./file_download.ts";

/** A download under way or just failed. */
export interface Download {
  /** The link fetched (path and query on the page's origin): one download per link. */
  key: string;
  name: string;
  size: number;
  /** Bytes received so far. */
  received: number;
  state: "fetching" | "failed";
  /** Why it failed (shown beside the card and in the list). */
  error?: string;
}

/** See the module doc. */
export class FileDownloads {
  /** The downloads shown: under way, or failed until dismissed or tried again. */
  items: Download[] = [];
  readonly #controllers = new Map<string, AbortController>();

  /**
   * @param changed called after every change (progress: once per percent)
   * @param notice called with a line for the conversation (a cancelled download)
   */
  constructor(
    readonly changed: () => void,
    readonly notice: (text: string) => void = () => {},
  ) {}

  /** The download of `key`, if one is under way or failed. */
  get(key: string): Download | undefined {
    return this.items.find((item) => item.key === key);
  }

  /** Fetches `key` and saves it as `name` (a second click while it runs does nothing). */
  start(key: string, name: string, size: number): void {
    if (this.#controllers.has(key)) return;
    this.items = this.items.filter((item) => item.key !== key);
    const download: Download = { key, name, size, received: 0, state: "fetching" };
    this.items.push(download);
    const controller = new AbortController();
    this.#controllers.set(key, controller);
    let shown = 0;
    saveFile(key, name, {
      size,
      signal: controller.signal,
      progress: (received) => {
        download.received = received;
        const percent = percentOf(download);
        if (percent === shown) return;
        shown = percent;
        this.changed();
      },
    }).then(
      () => {
        if (this.#controllers.get(key) !== controller) return;
        this.#controllers.delete(key);
        this.#remove(key);
      },
      (failure: Error) => {
        if (this.#controllers.get(key) !== controller) return; // cancelled: already gone
        this.#controllers.delete(key);
        if (failure instanceof DownloadError && failure.cancelled) return this.#remove(key);
        download.state = "failed";
        download.error = failure.message;
        this.changed();
      },
    );
    this.changed();
  }

  /** Stops a download under way (nothing is saved; a notice says so), or dismisses a failed one. */
  cancel(key: string): void {
    const controller = this.#controllers.get(key);
    this.#controllers.delete(key);
    controller?.abort();
    const download = this.get(key);
    if (controller && download) this.notice(`Download cancelled: ${download.name}`);
    this.#remove(key);
  }

  #remove(key: string): void {
    this.items = this.items.filter((item) => item.key !== key);
    this.changed();
  }
}

/** How far `download` is, 0-100. */
export function percentOf(download: { received: number; size: number }): number {
  return download.size > 0 ? Math.floor((download.received / download.size) * 100) : 100;
}
