/**
 * Sending and fetching shared files (issue 18) from the terminal clients:
 * `POST /f` and `GET /f/<id>/<name>` on the chat's own host and port,
 * through the same pipe as the chat (the same certificate check, TLS or
 * `--plain`), streamed both ways, cancellable, with progress, and failed
 * when no byte moves for {@linkcode IDLE_MS}. Downloads are in
 * `file_download.ts`.
 *
 * @module
 */

import { NOT_PERMITTED } from "./user_directory.ts";
import type { SharedFile } from "../core/events.ts";
import { cleanFileName, formatSize } from "../core/file_name.ts";
import { formatHostPort } from "../net/host_port.ts";
import { HttpAnswerError, readAnswer, readSmallBody, writeHead } from "./http_exchange.ts";
import { type ClientPipe, lowerFirst, type OpenPipe, type ServerAddress } from "./pipe.ts";
import { openSocketPipe } from "./socket_pipe.ts";
import { serverText } from "./terminal_text.ts";

/** Bytes read from a file and written to the pipe at a time. */
const CHUNK_BYTES = 64 * 1024;
/** A transfer during which no byte moved either way for this long has failed. */
export const IDLE_MS = 30_000;

/** A transfer failed; `message` says why, in words a user reads. */
export class TransferError extends Error {
  /**
   * Builds the error.
   *
   * @param code `cancelled`, `refused` (the server said no), `failed` (the network, the disk)
   * @param message the explanation, lower case
   * @param status the HTTP status of a refusal
   */
  constructor(
    readonly code: "cancelled" | "refused" | "failed",
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "TransferError";
  }

  /** For a 429: how long the server asks to wait before sending again, in ms. */
  retryMs: number | undefined;
}

/** Where the chat server is: the address the chat connected to, and how to open a pipe there. */
export interface FileServer {
  /** The chat's host, port and TLS check. */
  address: ServerAddress;
  /** Opens a pipe (tests may fake it). @default {openSocketPipe} */
  open?: OpenPipe;
  /**
   * How long a transfer may go without a byte read or written before it
   * fails (a stalled server must not hang `/get` or `/send` for ever).
   *
   * @default {30000}
   */
  idleMs?: number;
}

/** What every transfer may be given: a way to stop it, and a way to hear how far it got. */
export interface TransferControl {
  /** Aborting cancels the transfer (nothing is left on the server; a download keeps its part). */
  signal?: AbortSignal;
  /** Called as bytes move: done so far, and the whole size. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Sends the file at `path` to a room or a person, streamed from disk.
 * Returns the file as the server announced it.
 *
 * @throws {TransferError} cancelled, refused (413, 507, 429, 401, 403, 404 with the server's reason), or failed
 */
export async function uploadFile(
  server: FileServer,
  token: string,
  path: string,
  target: { room: string } | { to: string },
  control: TransferControl = {},
): Promise<SharedFile> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new TransferError("failed", `cannot read ${path}: ${describe(error)}`, undefined, {
      cause: error,
    });
  }
  try {
    const info = await file.stat();
    if (!info.isFile) throw new TransferError("failed", `${path} is not a file`);
    const name = path.split(/[\\/]/).pop() || "file";
    const query = new URLSearchParams({
      ...("room" in target ? { room: target.room } : { to: target.to }),
      name,
    });
    return await exchange(server, control, async (pipe, chunks) => {
      await writeHead(pipe, "POST", `/f?${query}`, {
        Host: hostHeader(server.address),
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/octet-stream",
        "Content-Length": String(info.size),
      });
      // The server may refuse before the body is all sent (413 at once): read
      // the answer, body too, while writing, so that it is ours before the
      // connection's reset can throw it away.
      const answering = readAnswer(chunks).then(async (answer) => ({
        status: answer.status,
        retryAfter: answer.headers.get("retry-after"),
        body: await readSmallBody(answer).catch(() => ""),
      }));
      answering.catch(() => {});
      // Progress counts a chunk once its write has completed (the socket
      // took it), one chunk in flight at a time; what the kernel and the
      // network still hold is not known here, so the shown progress stops
      // short of 100 % until the server's answer (`Transfer.fraction`).
      const buffer = new Uint8Array(CHUNK_BYTES);
      let sent = 0;
      control.onProgress?.(0, info.size);
      try {
        while (sent < info.size) {
          const n = await file.read(buffer);
          if (n === null) break;
          await pipe.write(buffer.subarray(0, n));
          sent += n;
          control.onProgress?.(sent, info.size);
        }
      } catch (error) {
        if (control.signal?.aborted) throw error;
        // A refusal answered early closes the connection under our writes.
        const answer = await within(answering, 2000).catch(() => undefined);
        if (answer) return uploaded(answer, info.size);
        if (error instanceof TransferError) throw error;
        throw new TransferError(
          "failed",
          `the server closed the connection after ${formatSize(sent)} of ${
            formatSize(info.size)
          } without saying why (the file may be too large, or the server's storage full)`,
          undefined,
          { cause: error },
        );
      }
      return uploaded(await answering, info.size);
    });
  } catch (error) {
    if (error instanceof HttpAnswerError) {
      throw new TransferError("failed", error.message, undefined, { cause: error });
    }
    throw error;
  } finally {
    file.close();
  }
}

/** The file as the server announced it, or its refusal as a {@linkcode TransferError}. */
function uploaded(
  answer: { status: number; body: string; retryAfter?: string },
  size: number,
): SharedFile {
  const body = answer.body;
  if (answer.status === 201) {
    const file = JSON.parse(body) as SharedFile;
    if (typeof file?.id !== "string" || typeof file?.url !== "string") {
      throw new TransferError("failed", "the server's answer names no file");
    }
    return { ...file, name: cleanFileName(serverText(String(file.name ?? ""), 1000)) };
  }
  throw refusal(answer.status, body, size, "send", answer.retryAfter);
}

/** What to do about a full space for files, after the server's figures. */
export const FULL_SPACE_ADVICE = "ask an operator to /rmfile old files, or wait for retention";

/**
 * A short lead, true for the refusal's code, put before the server's
 * words; none where those words say it all already.
 */
const LEADS: Record<string, (message: string) => string> = {
  file_too_large: (message) => message,
  files_budget_full: (message) => `${message}; ${FULL_SPACE_ADVICE}`,
  files_quota_full: (message) =>
    `${message}; your own files count until they are removed: ${FULL_SPACE_ADVICE}`,
  upload_rate: (message) => message,
  too_many_uploads: (message) => message,
  upload_too_slow: (message) => `${message}; a slow or stalled link? try again`,
  files_unavailable: (message) => message,
  not_announced: (message) => message,
};

/** What the client says of a status when the server gave no words (an older server, a proxy). */
const BY_STATUS: Record<number, string> = {
  401: "the server did not take this session's upload token; reconnect and try again",
  403: "the server refused it",
  404: "no such file, or not for you",
  408: "the upload was cut: it went too slowly; try again",
  409: "the file was not kept: it could not be announced",
  416: "the server could not resume it",
  429: "too many uploads at once or too fast; wait a little and try again",
  503: "the server cannot reach its file storage now; try again later",
  507: `the server has no space for this file; ${FULL_SPACE_ADVICE}`,
};

/**
 * A refusal in words: the server's own sentence, with a lead of the
 * client's only where it adds something (what to do about a full space);
 * the status's meaning when the server said nothing. A 429 carries how
 * long to wait before sending again (`retryMs`).
 *
 * @param retryAfter the `Retry-After` header, if any
 */
export function refusal(
  status: number,
  body: string,
  size: number,
  kind: "send" | "get",
  retryAfter?: string,
): TransferError {
  let message = "";
  let code = "";
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed?.message === "string") message = parsed.message;
    if (typeof parsed?.error === "string") code = parsed.error;
  } catch {
    // Not JSON: the status says enough.
  }
  message = lowerFirst(serverText(message));
  const lead = LEADS[code];
  let text: string;
  if (message && lead) text = lead(message);
  // A /send to someone absent: the server's words ("No one called ... is here") say it all.
  else if (message && status === 404 && kind === "send") text = message;
  else if (status === 404 && kind === "get") text = BY_STATUS[404];
  else if (status === 413) text = `the file is too large for this server (${formatSize(size)})`;
  else {
    const said = message ? ` (${message})` : "";
    text = `${BY_STATUS[status] ?? `HTTP ${status}`}${said}`;
  }
  const error = new TransferError("refused", text, status);
  if (status === 429) error.retryMs = retryMs(retryAfter, message, code);
  return error;
}

/**
 * How long to wait before sending again after a 429, in ms: `Retry-After`,
 * else the server's "try again in 4 s", else a second for a limit on
 * uploads at once (one of them ends soon).
 */
function retryMs(header: string | undefined, message: string, code: string): number | undefined {
  const seconds = Number(header ?? NaN);
  if (header !== undefined && header.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const said = /try again in (\d+) s\b/.exec(message)?.[1];
  if (said !== undefined) return Number(said) * 1000;
  return code === "too_many_uploads" ? 1000 : undefined;
}

/**
 * Opens a pipe to the chat's server, runs `work` on it, and closes it;
 * aborting closes the pipe at once and throws `cancelled`, and so does a
 * pipe on which no byte moved for `server.idleMs` (`failed`: the server
 * stalled). Network errors become {@linkcode HttpAnswerError}s (an answer
 * cut short, which a download retries).
 */
export async function exchange<T>(
  server: FileServer,
  control: TransferControl,
  work: (pipe: ClientPipe, chunks: AsyncIterator<Uint8Array, void, void>) => Promise<T>,
): Promise<T> {
  const cancelled = () => new TransferError("cancelled", "cancelled");
  if (control.signal?.aborted) throw cancelled();
  let pipe: ClientPipe;
  try {
    pipe = await (server.open ?? openSocketPipe)(server.address);
  } catch (error) {
    throw new HttpAnswerError(describe(error), { cause: error });
  }
  const onAbort = () => pipe.close();
  control.signal?.addEventListener("abort", onAbort);
  const idleMs = server.idleMs ?? IDLE_MS;
  let moved = performance.now();
  let stalled = false;
  const watchdog = setInterval(() => {
    if (performance.now() - moved < idleMs) return;
    stalled = true;
    pipe.close();
  }, Math.max(10, Math.min(1000, idleMs / 4)));
  const watched: ClientPipe = {
    binding: pipe.binding,
    chunks: () => pipe.chunks(),
    write: async (bytes) => {
      await pipe.write(bytes);
      moved = performance.now();
    },
    close: () => pipe.close(),
  };
  const source = pipe.chunks()[Symbol.asyncIterator]();
  const chunks: AsyncIterator<Uint8Array, void, void> = {
    next: async () => {
      const next = await source.next();
      moved = performance.now();
      return next;
    },
  };
  try {
    return await work(watched, chunks);
  } catch (error) {
    if (control.signal?.aborted) throw cancelled();
    if (stalled) {
      throw new TransferError(
        "failed",
        `the server stalled: nothing moved for ${idleMs / 1000} s`,
        undefined,
        { cause: error },
      );
    }
    if (error instanceof TransferError || error instanceof HttpAnswerError) throw error;
    throw new HttpAnswerError(describe(error), { cause: error });
  } finally {
    clearInterval(watchdog);
    control.signal?.removeEventListener("abort", onAbort);
    pipe.close();
  }
}

/** The `Host` header for the chat's address. */
export function hostHeader(address: ServerAddress): string {
  return formatHostPort(address.host, address.port);
}

/** `promise`, or a rejection after `ms` (the timer cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error("timed out")), ms)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error in words, lower case. */
export function describe(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) return NOT_PERMITTED;
  const message = error instanceof Error ? error.message : String(error);
  return message.charAt(0).toLowerCase() + message.slice(1);
}
