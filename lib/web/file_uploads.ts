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
 * failed. Files picked or dropped together queue to the server's limits
 * instead of failing: at most {@linkcode AT_ONCE} go at once, the others
 * wait (shown "waiting"), and one refused for the upload rate (`429
 * upload_rate`, "try again in 4 s") waits that long and goes again.
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
  /** `waiting`: queued behind others, or for the server's upload rate. */
  state: "waiting" | "sending" | "failed";
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
  /** The uploads waiting, in order, each with what it needs to go, and when it may (ms). */
  readonly #waiting: Waiting[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
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
   * Sends `file` to `target`, now or once its turn comes; refused at once
   * (as a failed item) when the server takes no files or it is over the
   * largest size.
   */
  start(file: File, target: UploadTarget, grant: UploadGrant | undefined): Upload {
    const upload: Upload = {
      key: this.#nextKey++,
      name: file.name || "file",
      size: file.size,
      sent: 0,
      state: "waiting",
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
    this.#waiting.push({ upload, file, target, grant, at: 0 });
    this.#next();
    this.changed();
    return upload;
  }

  /** Starts the waiting uploads whose turn has come, and wakes up for the next one. */
  #next(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = Date.now();
    for (let i = 0; i < this.#waiting.length && this.#requests.size < AT_ONCE;) {
      if (this.#waiting[i].at > now) i++;
      else this.#send(this.#waiting.splice(i, 1)[0]);
    }
    const soonest = Math.min(...this.#waiting.map((w) => w.at));
    if (this.#requests.size < AT_ONCE && soonest !== Infinity) {
      this.#timer = setTimeout(() => this.#next(), Math.max(soonest - now, 0));
    }
  }

  #send(waiting: Waiting): void {
    const { upload, file, target, grant } = waiting;
    upload.state = "sending";
    upload.sent = 0;
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
      const asked = request.status === 429 ? retryAfter(request) : undefined;
      // At least a second between tries, whatever a server says; a bounded wait in all.
      const wait = asked === undefined ? undefined : Math.max(asked, MIN_RETRY_MS);
      const tries = (waiting.tries ?? 0) + 1;
      const waited = (waiting.waited ?? 0) + (wait ?? 0);
      if (request.status === 201) this.#remove(upload.key);
      else if (wait !== undefined && tries < MAX_TRIES && waited <= MAX_WAIT_MS) {
        // Over the server's limits: its turn comes again (another upload's end, or the time said).
        upload.state = "waiting";
        this.#waiting.unshift({ ...waiting, at: Date.now() + wait, tries, waited });
      } else this.#fail(upload, refusal(request.status, request.responseText));
      this.#next();
    };
    request.onerror = () => {
      this.#requests.delete(upload.key);
      this.#fail(upload, LOST);
      this.#next();
    };
    request.send(file);
    this.changed();
  }

  /** Stops an upload under way (nothing of it stays; a notice says so), or dismisses a failed one. */
  cancel(key: number): void {
    const request = this.#requests.get(key);
    this.#requests.delete(key);
    request?.abort();
    const queued = this.#waiting.findIndex((w) => w.upload.key === key);
    if (queued >= 0) this.#waiting.splice(queued, 1);
    const upload = this.items.find((item) => item.key === key);
    if ((request || queued >= 0) && upload) this.notice(`Upload cancelled: ${upload.name}`);
    this.#remove(key);
    this.#next();
  }

  /** The chat connection dropped: every upload under way is stopped and says so. */
  lost(): void {
    clearTimeout(this.#timer);
    for (const { upload } of this.#waiting.splice(0)) this.#fail(upload, LOST);
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

/** How many uploads the page sends at once: the server's default limit per member. */
export const AT_ONCE = 2;

/** An upload waiting for its turn. */
interface Waiting {
  upload: Upload;
  file: File;
  target: UploadTarget;
  grant: UploadGrant;
  /** Not before this time (ms since the epoch). */
  at: number;
  /** How many times the server asked it to wait, and how long that came to (ms). */
  tries?: number;
  waited?: number;
}

/** The shortest wait between two tries of one upload, in ms. */
const MIN_RETRY_MS = 1_000;
/** The most tries of one upload, and the longest wait in all (ms), before it fails in the server's words. */
const MAX_TRIES = 30;
const MAX_WAIT_MS = 5 * 60_000;

/**
 * How long to wait before sending again an upload refused with 429, in ms:
 * the server's `Retry-After`, else its "try again in 4 s", else, for a
 * limit on uploads at once, a second (or until another of the page's ends).
 */
function retryAfter(request: XMLHttpRequest): number | undefined {
  const header = Number(request.getResponseHeader("Retry-After") ?? NaN);
  if (Number.isFinite(header)) return header * 1000;
  const seconds = /try again in (\d+) s\b/.exec(serverMessage(request.responseText) ?? "")?.[1];
  if (seconds !== undefined) return Number(seconds) * 1000;
  return /"too_many_uploads"/.test(request.responseText) ? 1000 : undefined;
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
