/**
 * Sending and fetching shared files (issue 18) from the terminal clients:
 * `POST /f` and `GET /f/<id>/<name>` on the chat's own host and port,
 * through the same pipe as the chat (the same certificate check, TLS or
 * `--plain`), streamed both ways, cancellable, with progress; a download
 * cut off resumes with `Range` where it stopped, and is saved under a name
 * cleaned for every file system that never replaces an existing file.
 *
 * @module
 */

import type { SharedFile } from "../core/events.ts";
import { cleanFileName, formatSize } from "../core/file_name.ts";
import { formatHostPort } from "../net/host_port.ts";
import {
  type HttpAnswer,
  HttpAnswerError,
  readAnswer,
  readSmallBody,
  writeHead,
} from "./http_exchange.ts";
import type { OpenPipe, ServerAddress } from "./pipe.ts";
import { openSocketPipe } from "./socket_pipe.ts";

/** Bytes read from a file and written to the pipe at a time. */
const CHUNK_BYTES = 64 * 1024;
/** How often a download cut off is tried again before giving up (progress resets the count). */
const DOWNLOAD_ATTEMPTS = 5;

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
}

/** Where the chat server is: the address the chat connected to, and how to open a pipe there. */
export interface FileServer {
  /** The chat's host, port and TLS check. */
  address: ServerAddress;
  /** Opens a pipe (tests may fake it). @default {openSocketPipe} */
  open?: OpenPipe;
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
      // The server may refuse before the body is all sent (413 at once): read while writing.
      const answering = readAnswer(chunks);
      answering.catch(() => {});
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
        if (answer) return await uploaded(answer, info.size);
        throw error;
      }
      return await uploaded(await answering, info.size);
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
async function uploaded(answer: HttpAnswer, size: number): Promise<SharedFile> {
  const body = await readSmallBody(answer);
  if (answer.status === 201) {
    const file = JSON.parse(body) as SharedFile;
    if (typeof file?.id !== "string" || typeof file?.url !== "string") {
      throw new TransferError("failed", "the server's answer names no file");
    }
    return file;
  }
  throw refusal(answer.status, body, size);
}

/** A refusal in words: the server's own message where it gave one, and what to do. */
function refusal(status: number, body: string, size: number): TransferError {
  let message = "";
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed?.message === "string") message = parsed.message;
  } catch {
    // Not JSON: the status says enough.
  }
  const said = message ? ` (${message.replace(/[\u0000-\u001f\u007f-\u009f]/g, "")})` : "";
  const why: Record<number, string> = {
    401: "the server did not take this session's upload token; reconnect and try again",
    403: "the server refused it",
    404: "no such file, or not for you",
    409: "the file was stored but could not be announced",
    413: `the file is too large for this server (${formatSize(size)})`,
    416: "the server could not resume it",
    429: "too many uploads at once or too fast; wait a little and try again",
    503: "the server cannot reach its file storage now; try again later",
    507: "the server's file storage is full",
  };
  return new TransferError("refused", `${why[status] ?? `HTTP ${status}`}${said}`, status);
}

/** Where {@linkcode downloadFile} saves. */
export interface SaveTo {
  /** The directory to save in under the file's own (cleaned) name. */
  directory: string;
  /** A path the user gave: a directory to save in, or the file's path. */
  path?: string;
}

/** A finished download. */
export interface Downloaded {
  /** Where it was saved. */
  path: string;
  /** Its size. */
  size: number;
  /** How many times it was resumed after a cut connection. */
  resumed: number;
}

/**
 * Fetches `file` into `to`, streamed to a `.part` file beside the final
 * name and renamed when complete; a cut connection is resumed with `Range`
 * (and `If-Range`, so a changed file starts over) up to a few times, and a
 * `.part` left by an earlier run is resumed too. Never replaces a file: the
 * name gets ` (1)`, ` (2)`... before its extension.
 *
 * @throws {TransferError} cancelled, refused (404: no such file, or not for you), or failed
 */
export async function downloadFile(
  server: FileServer,
  file: SharedFile,
  to: SaveTo,
  control: TransferControl = {},
): Promise<Downloaded> {
  const { target, part } = await reserve(await savePath(file, to), file.id);
  try {
    return await download(server, file, target, part, control);
  } finally {
    partsInUse.delete(part);
  }
}

/** The `.part` files this process is writing: a second `/get` of the same file takes another name. */
const partsInUse = new Set<string>();

/**
 * The first of `target`, `name (1).ext`, ... that is not a file yet and
 * whose `.part` no other download of this process writes; a `.part` left by
 * an earlier run is taken over (and resumed).
 */
async function reserve(target: string, id: string): Promise<{ target: string; part: string }> {
  for (let n = 0; n < 1000; n++) {
    const candidate = numbered(target, n);
    const part = `${candidate}.${id.slice(0, 8)}.part`;
    if (partsInUse.has(part)) continue;
    if (await Deno.lstat(candidate).then(() => true, () => false)) continue;
    partsInUse.add(part);
    return { target: candidate, part };
  }
  throw new TransferError("failed", `cannot find a free name for ${target}`);
}

async function download(
  server: FileServer,
  file: SharedFile,
  target: string,
  part: string,
  control: TransferControl,
): Promise<Downloaded> {
  const url = new URL(file.url);
  const request = `${url.pathname}${url.search}`;
  let out: Deno.FsFile;
  try {
    out = await Deno.open(part, { read: true, write: true, create: true });
  } catch (error) {
    throw new TransferError("failed", `cannot write ${part}: ${describe(error)}`, undefined, {
      cause: error,
    });
  }
  let etag: string | undefined;
  let resumed = 0;
  let done = 0;
  try {
    done = (await out.stat()).size;
    let attempts = 0;
    while (true) {
      const before = done;
      try {
        done = await exchange(server, control, async (pipe, chunks) => {
          await writeHead(pipe, "GET", request, {
            Host: hostHeader(server.address),
            ...(done > 0 ? { Range: `bytes=${done}-` } : {}),
            ...(done > 0 && etag ? { "If-Range": etag } : {}),
          });
          const answer = await readAnswer(chunks);
          etag = answer.headers.get("etag") ?? etag;
          return await receive(answer, out, done, file.size, control, (held) => done = held);
        });
        break;
      } catch (error) {
        if (error instanceof TransferError) throw error;
        if (done === before && ++attempts >= DOWNLOAD_ATTEMPTS) {
          throw new TransferError("failed", (error as Error).message, undefined, { cause: error });
        }
        if (done > before) attempts = 0;
        resumed++;
        await sleep(Math.min(2000, 100 * 2 ** attempts));
      }
    }
  } finally {
    out.close();
  }
  return { path: await keep(part, target), size: done, resumed };
}

/** Writes the answer's body at `from` (or from 0 on a 200); returns the bytes held. */
async function receive(
  answer: HttpAnswer,
  out: Deno.FsFile,
  from: number,
  total: number,
  control: TransferControl,
  onHeld: (bytes: number) => void,
): Promise<number> {
  if (answer.status === 416 && from === total) return total; // All there already.
  if (answer.status !== 200 && answer.status !== 206) {
    throw refusal(answer.status, await readSmallBody(answer), total);
  }
  let at = 0;
  if (answer.status === 206) {
    const range = /^bytes (\d+)-/.exec(answer.headers.get("content-range") ?? "");
    if (!range || Number(range[1]) !== from) {
      throw new TransferError("failed", "the server resumed at the wrong place");
    }
    at = from;
  }
  await out.truncate(at);
  await out.seek(at, Deno.SeekMode.Start);
  onHeld(at);
  control.onProgress?.(at, total);
  while (true) {
    const next = await answer.body.next();
    if (next.done) break;
    let bytes = next.value;
    while (bytes.length > 0) bytes = bytes.subarray(await out.write(bytes));
    at += next.value.length;
    onHeld(at);
    control.onProgress?.(at, total);
  }
  if (at !== total) {
    throw new HttpAnswerError(`the connection ended at ${at} of ${total} bytes`);
  }
  return at;
}

/** The final path: the user's, or the cleaned name in the directory; not yet free-checked. */
async function savePath(file: SharedFile, to: SaveTo): Promise<string> {
  const name = cleanFileName(file.name);
  if (to.path === undefined) return joinPath(to.directory, name);
  const isDirectory = await Deno.stat(to.path).then((s) => s.isDirectory, () => false);
  return isDirectory || /[\\/]$/.test(to.path) ? joinPath(to.path, name) : to.path;
}

/**
 * Puts the finished `.part` in place under `target`, or `name (n).ext`
 * when that exists: a hard link fails rather than replace a file, so two
 * downloads never clobber each other or what was there.
 */
async function keep(part: string, target: string): Promise<string> {
  for (let n = 0; n < 1000; n++) {
    const candidate = numbered(target, n);
    try {
      await Deno.link(part, candidate);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw new TransferError("failed", `cannot save ${candidate}: ${describe(error)}`);
    }
    await Deno.remove(part).catch(() => {});
    return candidate;
  }
  throw new TransferError("failed", `cannot find a free name for ${target}`);
}

/**
 * Opens a pipe to the chat's server, runs `work` on it, and closes it;
 * aborting closes the pipe at once and throws `cancelled`. Network errors
 * become {@linkcode TransferError}s `failed`, except an answer cut short
 * ({@linkcode HttpAnswerError}), which a download retries.
 */
async function exchange<T>(
  server: FileServer,
  control: TransferControl,
  work: (
    pipe: Awaited<ReturnType<OpenPipe>>,
    chunks: AsyncIterator<Uint8Array, void, void>,
  ) => Promise<T>,
): Promise<T> {
  const cancelled = () => new TransferError("cancelled", "cancelled");
  if (control.signal?.aborted) throw cancelled();
  let pipe: Awaited<ReturnType<OpenPipe>>;
  try {
    pipe = await (server.open ?? openSocketPipe)(server.address);
  } catch (error) {
    throw new HttpAnswerError(describe(error), { cause: error });
  }
  const onAbort = () => pipe.close();
  control.signal?.addEventListener("abort", onAbort);
  try {
    return await work(pipe, pipe.chunks()[Symbol.asyncIterator]());
  } catch (error) {
    if (control.signal?.aborted) throw cancelled();
    if (error instanceof TransferError || error instanceof HttpAnswerError) throw error;
    throw new HttpAnswerError(describe(error), { cause: error });
  } finally {
    control.signal?.removeEventListener("abort", onAbort);
    pipe.close();
  }
}

/** `target` itself for 0, else `dir/stem (n).ext`. */
function numbered(target: string, n: number): string {
  if (n === 0) return target;
  const slash = Math.max(target.lastIndexOf("/"), target.lastIndexOf("\\"));
  const base = target.slice(slash + 1);
  const dot = base.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ""];
  return `${target.slice(0, slash + 1)}${stem} (${n})${ext}`;
}

/** The `Host` header for the chat's address. */
function hostHeader(address: ServerAddress): string {
  return formatHostPort(address.host, address.port);
}

function joinPath(dir: string, name: string): string {
  return /[\\/]$/.test(dir) ? `${dir}${name}` : `${dir}/${name}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

function describe(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  const message = error instanceof Error ? error.message : String(error);
  return message.charAt(0).toLowerCase() + message.slice(1);
}
