/**
 * Fetching a shared file (issue 18) for `/get`: streamed to a `.part` file
 * beside the final name and put in place when complete; a cut connection
 * resumes with `Range` where it stopped. Never more than the file's
 * announced size is written, never through a link at the `.part` name, and
 * never over an existing file.
 *
 * @module
 */

import type { SharedFile } from "../core/events.ts";
import { cleanFileName } from "../core/file_name.ts";
import { formatHostPort } from "../net/host_port.ts";
import { quote } from "../protocol/frame_fields.ts";
import {
  type HttpAnswer,
  HttpAnswerError,
  readAnswer,
  readSmallBody,
  writeHead,
} from "./http_exchange.ts";
import {
  describe,
  exchange,
  type FileServer,
  hostHeader,
  refusal,
  type TransferControl,
  TransferError,
} from "./file_transfer.ts";

/** How often a download cut off is tried again before giving up (progress resets the count). */
const DOWNLOAD_ATTEMPTS = 5;

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

/** What a download may be given besides {@linkcode TransferControl}. */
export interface DownloadControl extends TransferControl {
  /**
   * Called when the download goes on from `at` bytes: a `.part` of an
   * earlier run, or another try after a cut (`why`: what went wrong), which
   * had no byte yet when `at` is 0.
   */
  onResume?: (at: number, total: number, why?: string) => void;
}

/**
 * Fetches `file` into `to`, streamed to a `.part` file beside the final
 * name and renamed when complete; a cut connection is resumed with `Range`
 * (and `If-Range`, so a changed file starts over) up to a few times, and a
 * `.part` left by an earlier run is resumed too. Never replaces a file: the
 * name gets ` (1)`, ` (2)`... before its extension. The `.part` is named
 * after the server, the id and the size (a hash of them), so that another
 * server's or another file's download never goes on in it; one that is not
 * a regular file of its own (a symbolic or hard link, a directory) is
 * refused. An answer longer than `file.size`, or announcing another size,
 * fails the download (and never writes past `file.size`).
 *
 * @throws {TransferError} cancelled, refused (404: no such file, or not for you), or failed
 */
export async function downloadFile(
  server: FileServer,
  file: SharedFile,
  to: SaveTo,
  control: DownloadControl = {},
): Promise<Downloaded> {
  const tag = await partTag(server, file);
  const { target, part } = await reserve(await savePath(file, to), tag);
  try {
    return await download(server, file, target, part, control);
  } finally {
    partsInUse.delete(part);
  }
}

/** The `.part` files this process is writing: a second `/get` of the same file takes another name. */
const partsInUse = new Set<string>();

/**
 * What names a download's `.part` (`<name>.<tag>.part`): 12 hex digits of
 * the SHA-256 of the server's address, the file's id and its size, so that
 * a server cannot pick an id that goes on in another server's `.part`.
 */
export async function partTag(server: FileServer, file: SharedFile): Promise<string> {
  const where = formatHostPort(server.address.host, server.address.port);
  const text = `${where}\n${file.id}\n${file.size}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).subarray(0, 6), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * The first of `target`, `name (1).ext`, ... that is not a file yet and
 * whose `.part` no other download of this process writes; a `.part` left by
 * an earlier run is taken over (and resumed).
 */
async function reserve(target: string, tag: string): Promise<{ target: string; part: string }> {
  for (let n = 0; n < 1000; n++) {
    const candidate = numbered(target, n);
    const part = `${candidate}.${tag}.part`;
    if (partsInUse.has(part)) continue;
    // Claimed before the await: another /get of the same file checks meanwhile.
    partsInUse.add(part);
    if (await Deno.lstat(candidate).then(() => false, () => true)) {
      return { target: candidate, part };
    }
    partsInUse.delete(part);
  }
  throw new TransferError("failed", `cannot find a free name for ${target}`);
}

/**
 * Opens `part` for writing without following a link: created anew
 * (`createNew` fails on anything there, a dangling link too), or, when a
 * regular file of its own (one link) is there, that file, checked again
 * once open to be the one looked at.
 */
async function openPart(part: string): Promise<Deno.FsFile> {
  const notOurs = () =>
    new TransferError(
      "failed",
      `${part} is not a plain file of its own (a link or a directory?); not writing into it`,
    );
  try {
    let before: Deno.FileInfo | undefined;
    try {
      before = await Deno.lstat(part);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (before === undefined) {
      return await Deno.open(part, { read: true, write: true, createNew: true });
    }
    if (!before.isFile || (before.nlink ?? 1) > 1) throw notOurs();
    const out = await Deno.open(part, { read: true, write: true });
    const after = await out.stat().catch(() => undefined);
    if (
      !after?.isFile || after.ino !== before.ino || after.dev !== before.dev ||
      (after.nlink ?? 1) > 1
    ) {
      out.close();
      throw notOurs();
    }
    return out;
  } catch (error) {
    if (error instanceof TransferError) throw error;
    throw new TransferError("failed", `cannot write ${part}: ${describe(error)}`, undefined, {
      cause: error,
    });
  }
}

async function download(
  server: FileServer,
  file: SharedFile,
  target: string,
  part: string,
  control: DownloadControl,
): Promise<Downloaded> {
  const url = new URL(file.url);
  const request = `${url.pathname}${url.search}`;
  const out = await openPart(part);
  let etag: string | undefined;
  let resumed = 0;
  let done = 0;
  let ok = false;
  try {
    done = (await out.stat()).size;
    if (done > file.size) done = 0; // Not this file's beginning: start over.
    if (done > 0) control.onResume?.(done, file.size);
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
        control.onResume?.(done, file.size, (error as Error).message);
      }
    }
    ok = true;
  } finally {
    const held = ok ? 0 : await out.stat().then((info) => info.size, () => 0);
    out.close();
    // A failure that left nothing to resume leaves no empty `.part` either.
    if (!ok && held === 0) await Deno.remove(part).catch(() => {});
  }
  return { path: await keep(part, target), size: done, resumed };
}

/**
 * Writes the answer's body at `from` (or from 0 on a 200); returns the
 * bytes held. A length or range that is not the file's is refused before a
 * byte is written; a body longer than the file fails once `total` bytes are
 * held, and the `.part` is emptied (those bytes cannot be trusted).
 */
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
    throw refusal(answer.status, await readSmallBody(answer), total, "get");
  }
  let at = 0;
  if (answer.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(answer.headers.get("content-range") ?? "");
    if (!range || Number(range[1]) !== from) {
      throw new TransferError("failed", "the server resumed at the wrong place");
    }
    if (Number(range[2]) !== total - 1 || (range[3] !== "*" && Number(range[3]) !== total)) {
      throw new TransferError(
        "failed",
        `the server sent the range "${range[0]}" of a file announced with ${total} bytes`,
      );
    }
    at = from;
  }
  const length = answer.headers.get("content-length");
  const chunked = /chunked/i.test(answer.headers.get("transfer-encoding") ?? "");
  if (length !== undefined && !chunked && Number(length) !== total - at) {
    throw new TransferError(
      "failed",
      `the server announced ${
        /^\d{1,20}$/.test(length) ? length : `"${quote(length)}"`
      } bytes where the file has ${total - at} ${
        at > 0 ? "more " : ""
      }(it was announced with ${total})`,
    );
  }
  await out.truncate(at);
  await out.seek(at, Deno.SeekMode.Start);
  onHeld(at);
  control.onProgress?.(at, total);
  while (true) {
    const next = await answer.body.next();
    if (next.done) break;
    const over = at + next.value.length > total;
    let bytes = over ? next.value.subarray(0, total - at) : next.value;
    at += bytes.length;
    while (bytes.length > 0) bytes = bytes.subarray(await out.write(bytes));
    if (over) {
      await out.truncate(0);
      onHeld(0);
      throw new TransferError(
        "failed",
        `the server sent more than the ${total} bytes the file was announced with`,
      );
    }
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

/** `target` itself for 0, else `dir/stem (n).ext`. */
function numbered(target: string, n: number): string {
  if (n === 0) return target;
  const slash = Math.max(target.lastIndexOf("/"), target.lastIndexOf("\\"));
  const base = target.slice(slash + 1);
  const dot = base.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ""];
  return `${target.slice(0, slash + 1)}${stem} (${n})${ext}`;
}

function joinPath(dir: string, name: string): string {
  return /[\\/]$/.test(dir) ? `${dir}${name}` : `${dir}/${name}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Asks the server about a file the client has not seen announced (`/get`
 * of an id or link from an older message): `HEAD` of its path, which says
 * its size and, in `Content-Disposition`, its name.
 *
 * @param path the file's path and query, `/f/<id>/<name>[?k=<key>]`
 * @throws {TransferError} refused (404: no such file, or not for you), or failed
 */
export async function lookUpFile(
  server: FileServer,
  id: string,
  path: string,
  control: TransferControl = {},
): Promise<SharedFile> {
  try {
    return await exchange(server, control, async (pipe, chunks) => {
      await writeHead(pipe, "HEAD", path, { Host: hostHeader(server.address) });
      const answer = await readAnswer(chunks); // A HEAD: the body is never read.
      const length = answer.headers.get("content-length") ?? "";
      if (answer.status !== 200) throw refusal(answer.status, "", 0, "get");
      if (!/^\d{1,15}$/.test(length)) {
        throw new TransferError("failed", "the server did not say how large the file is");
      }
      const disposition = answer.headers.get("content-disposition") ?? "";
      const encoded = /filename\*=UTF-8''([^;\s]+)/i.exec(disposition)?.[1];
      let name = path.split("?")[0].split("/")[3] ?? "file";
      try {
        name = decodeURIComponent(encoded ?? name);
      } catch {
        // Not percent-encoded text: keep it as it is (it is cleaned below).
      }
      return {
        id,
        name: cleanFileName(name),
        size: Number(length),
        type: "application/octet-stream",
        url: `http://${hostHeader(server.address)}${path}`,
      };
    });
  } catch (error) {
    if (error instanceof HttpAnswerError) {
      throw new TransferError("failed", error.message, undefined, { cause: error });
    }
    throw error;
  }
}
