/// <reference lib="dom" />
/**
 * The page's uploads (issue 18): each file dropped, pasted or picked goes
 * to `POST /f?room=<room>&name=<name>` (or `?to=<nick>` in a private
 * conversation) on the page's own origin, with the session's upload token
 * from the welcome (`Authorization: Bearer`), as an `XMLHttpRequest` for
 * its upload progress; cancelling aborts it (the server keeps nothing of
 * a cut upload) and leaves a notice. The body goes as
 * `application/octet-stream` whatever the browser guessed from the name,
 * as from the terminal client: the server's sniffing alone decides a
 * file's type, so the same file shows the same type from either. An
 * upload under way when the chat connection drops is stopped: the server
 * would refuse it at the end (its token was the old session's), so the
 * page says so at once instead. The server announces a finished file in
 * the chat; this only tracks the transfers under way and says why one
 * failed.
 *
 * @module
 */

import { formatSize } from "../core/file_name.ts";

/** Where a file goes: a room, or a private conversation with a nick. */
export type UploadTarget = { room: string } | { to: string };

/** An upload under way or just ended. */
export interface Upload {
  /** Unique within the page. */
  key: number;
  name: string;
  size: number;
  /** Bytes sent so far. */
  sent: number;
  state: "sending" | "failed";
  /** Why it failed (shown beside it). */
  error?: string;
}

/** The server's upload token and largest file, from the latest welcome. */
export interface UploadGrant {
  token: string;
  maxFileBytes: number;
}

/** See the module doc. */
export class FileUploads {
  /** The uploads shown: under way, or failed until dismissed. */
  items: Upload[] = [];
  readonly #requests = new Map<number, XMLHttpRequest>();
  #nextKey = 1;

  /**
   * @param changed called after every change (progress included)
   * @param notice called with a line for the conversation (a cancelled upload)
   */
  constructor(
    readonly changed: () => void,
    readonly notice: (text: string) => void = () => {},
  ) {}

  /**
   * Sends `file` to `target`; refused at once (as a failed item) when the
   * server takes no files or it is over the largest size.
   */
  start(file: File, target: UploadTarget, grant: UploadGrant | undefined): Upload {
    const upload: Upload = {
      key: this.#nextKey++,
      name: file.name || "file",
      size: file.size,
      sent: 0,
      state: "sending",
    };
    this.items.push(upload);
    if (!grant) return this.#fail(upload, "This server does not take files");
    if (file.size > grant.maxFileBytes) {
      return this.#fail(
        upload,
        `Too large: ${formatSize(file.size)}, the server takes at most ${
          formatSize(grant.maxFileBytes)
        }`,
      );
    }
    const query = new URLSearchParams(
      "room" in target ? { room: target.room } : { to: target.to },
    );
    query.set("name", upload.name);
    const request = new XMLHttpRequest();
    this.#requests.set(upload.key, request);
    request.open("POST", `/f?${query}`);
    request.setRequestHeader("Authorization", `Bearer ${grant.token}`);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.upload.onprogress = (event) => {
      upload.sent = event.loaded;
      this.changed();
    };
    request.onload = () => {
      this.#requests.delete(upload.key);
      if (request.status === 201) return this.#remove(upload.key);
      this.#fail(upload, refusal(request.status, request.responseText));
    };
    request.onerror = () => {
      this.#requests.delete(upload.key);
      this.#fail(upload, LOST);
    };
    request.send(file);
    this.changed();
    return upload;
  }

  /** Stops an upload under way (nothing of it stays; a notice says so), or dismisses a failed one. */
  cancel(key: number): void {
    const request = this.#requests.get(key);
    this.#requests.delete(key);
    request?.abort();
    const upload = this.items.find((item) => item.key === key);
    if (request && upload) this.notice(`Upload cancelled: ${upload.name}`);
    this.#remove(key);
  }

  /** The chat connection dropped: every upload under way is stopped and says so. */
  lost(): void {
    for (const [key, request] of this.#requests) {
      this.#requests.delete(key);
      request.abort();
      const upload = this.items.find((item) => item.key === key);
      if (upload) this.#fail(upload, LOST);
    }
  }

  #fail(upload: Upload, error: string): Upload {
    upload.state = "failed";
    upload.error = error;
    this.changed();
    return upload;
  }

  #remove(key: number): void {
    this.items = this.items.filter((item) => item.key !== key);
    this.changed();
  }
}

/** Why an upload under way failed when the connection went. */
export const LOST = "Upload stopped: connection lost, send it again";

/** The `message` of the server's JSON refusal `{error, message}`, if `body` is one. */
export function serverMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed?.message === "string" && parsed.message.length <= 500) {
      return parsed.message;
    }
  } catch {
    // Not JSON: the status says it.
  }
  return undefined;
}

/** The server's JSON refusal `{error, message}` in words, or the status. */
export function refusal(status: number, body: string): string {
  const words = serverMessage(body);
  if (words) return words;
  if (status === 401) return "The session has ended; join again to send files";
  return `The server refused the file (${status})`;
}
