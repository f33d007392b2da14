/**
 * Shared files over HTTP on the chat port (issue 18), called by `HttpFront`:
 *
 * - `POST /f?room=<room>&name=<name>` (or `?to=<nick>` for a DM), with
 *   `Authorization: Bearer <the session's upload token>`: the body is the
 *   file, streamed into the {@linkcode FileStore}, then announced in the
 *   room or the DM by the hub; `201` with the file as JSON, or an error as
 *   JSON (`401` no live session, `403` not in that room or muted, `404` no
 *   such nick, `429` over the member's upload limits, `413` too large, `507`
 *   the budget full, `400` otherwise);
 * - `GET`/`HEAD /f/<id>/<name>[?k=<token>]`: the file, with `Range` (`206`,
 *   `416`); a DM's file, or any on a private server, only with its token
 *   (`file_sharing.ts`), else `404` as if there were none.
 *
 * Downloads are safe to open from the chat's origin: only sniffed raster
 * images are `inline` (with their type), everything else is an `attachment`
 * served as `application/octet-stream`; always `nosniff` and a CSP that
 * sandboxes the answer and allows nothing to load or run.
 *
 * @module
 */

import type * as http from "node:http";
import { open } from "node:fs/promises";
import { ChatError } from "../core/errors.ts";
import type { FileTarget } from "../core/file_share.ts";
import type { Member } from "../core/member.ts";
import type { FileRecord } from "../core/state/file_index.ts";
import { parseRange } from "../files/byte_range.ts";
import { contentDisposition } from "../core/file_name.ts";
import { FileStoreError, type UploadMeta } from "../files/file_store.ts";
import { servedInline } from "../files/file_type.ts";
import { fileLine, type FileSharing, UploadRefused } from "./file_sharing.ts";

/** The path prefix of the file routes. */
export const FILES_PATH = "/f";

/** The CSP of a download: nothing loads, nothing runs, an opened document is sandboxed. */
export const FILE_CSP = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'";

/** What the routes need of the request's connection. */
export interface FileRequestContext {
  /** Called as bytes move, so a long transfer is not cut by the answer deadline. */
  touch: () => void;
}

/** Whether `path` is one of the file routes. */
export function isFilePath(path: string): boolean {
  return path === FILES_PATH || path.startsWith(`${FILES_PATH}/`);
}

/** Answers a request to a file route (see the module doc). */
export async function serveFileRequest(
  sharing: FileSharing,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  context: FileRequestContext,
): Promise<void> {
  response.setHeader("Content-Security-Policy", FILE_CSP);
  response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  const url = new URL(request.url ?? "/", "http://host");
  if (url.pathname === FILES_PATH) {
    if (request.method !== "POST") return refuse(response, 405, "method", "Upload with POST");
    return await upload(sharing, request, response, url, context);
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("Allow", "GET, HEAD");
    return refuse(response, 405, "method", "Method not allowed");
  }
  const id = url.pathname.slice(FILES_PATH.length + 1).split("/")[0];
  const record = sharing.store.get(id);
  if (!record || !sharing.mayDownload(record, url.searchParams.get("k"))) {
    return refuse(response, 404, "not_found", "No such file");
  }
  download(sharing, record, request, response, context);
}

async function upload(
  sharing: FileSharing,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  url: URL,
  context: FileRequestContext,
): Promise<void> {
  const member = sharing.member(request.headers.authorization);
  if (!member) {
    return refuse(
      response,
      401,
      "no_session",
      "An upload needs the upload token of a session joined to the chat",
    );
  }
  const room = url.searchParams.get("room");
  const to = url.searchParams.get("to");
  if ((room === null) === (to === null)) {
    return refuse(response, 400, "bad_upload", "Give ?room=<room> or ?to=<nick>, one of them");
  }
  const target: FileTarget = room !== null ? { room } : { to: to! };
  let where: Pick<UploadMeta, "room" | "dm">;
  let end: () => void;
  try {
    const checked = sharing.hub.checkFileTarget(member, target);
    where = "room" in checked
      ? { room: checked.room.foldedName }
      : { dm: [member.foldedNick, checked.peer.foldedNick] };
    end = sharing.begin(member);
  } catch (error) {
    if (error instanceof UploadRefused) {
      return refuse(response, error.status, error.code, error.message);
    }
    if (!(error instanceof ChatError)) throw error;
    const status = error.code === "no_such_nick" ? 404 : error.code === "bad_room" ? 400 : 403;
    return refuse(response, status, error.code, error.message);
  }
  try {
    await receive(sharing, member, target, where, request, response, context);
  } finally {
    end();
  }
}

async function receive(
  sharing: FileSharing,
  member: Member,
  target: FileTarget,
  where: Pick<UploadMeta, "room" | "dm">,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  context: FileRequestContext,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://host");
  const length = request.headers["content-length"];
  const declaredSize = length === undefined ? undefined : Number(length);
  if (declaredSize !== undefined && !Number.isSafeInteger(declaredSize)) {
    return refuse(response, 400, "bad_upload", "Content-Length is not a size");
  }
  const body = (async function* () {
    for await (const chunk of request) {
      context.touch();
      yield chunk as Uint8Array;
    }
  })();
  let record: FileRecord;
  try {
    record = await sharing.store.put(body, {
      name: url.searchParams.get("name") ?? "",
      declaredType: request.headers["content-type"],
      declaredSize,
      uploader: member.nick,
      ...where,
    });
  } catch (error) {
    if (!(error instanceof FileStoreError)) {
      // The connection was cut: there is nobody to answer.
      return void request.socket.destroy();
    }
    const status = error.code === "file_too_large"
      ? 413
      : error.code === "files_budget_full"
      ? 507
      : 400;
    return refuse(response, status, error.code, error.message);
  }
  const file = sharing.sharedFile(record);
  // The member may have left, been muted or parted meanwhile: then it hears why, and so does
  // the upload; the file, announced by nothing, goes at the next prune.
  const announced = await sharing.hub.shareFile(member, target, file, fileLine(file));
  if (!announced) {
    return refuse(response, 409, "not_announced", "The file was stored but could not be announced");
  }
  response.writeHead(201, { "Content-Type": "application/json" });
  response.end(JSON.stringify(file));
}

function download(
  sharing: FileSharing,
  record: FileRecord,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  context: FileRequestContext,
): void {
  const inline = servedInline(record.type);
  const etag = `"${record.sha256}"`;
  const ifRange = request.headers["if-range"];
  const range = ifRange === undefined || ifRange === etag
    ? parseRange(request.headers.range, record.size)
    : { kind: "whole" as const };
  response.setHeader("Content-Type", inline ? record.type : "application/octet-stream");
  response.setHeader(
    "Content-Disposition",
    contentDisposition(inline ? "inline" : "attachment", record.name),
  );
  response.setHeader("Accept-Ranges", "bytes");
  response.setHeader("ETag", etag);
  response.setHeader("Cache-Control", "private, max-age=31536000, immutable");
  if (range.kind === "unsatisfiable") {
    response.setHeader("Content-Range", `bytes */${record.size}`);
    return refuse(response, 416, "range", "Range not satisfiable");
  }
  const [start, end] = range.kind === "part" ? [range.start, range.end] : [0, record.size - 1];
  if (range.kind === "part") {
    response.setHeader("Content-Range", `bytes ${start}-${end}/${record.size}`);
  }
  response.writeHead(range.kind === "part" ? 206 : 200, { "Content-Length": end - start + 1 });
  if (request.method === "HEAD" || record.size === 0) return void response.end();
  sendBytes(sharing.store.contentPath(record.sha256), start, end, response, context.touch)
    .catch(() => response.destroy());
}

/**
 * The bytes a download reads from disk at a time: one buffer per download,
 * reused, and the next read only once the previous chunk is written through
 * TLS to the socket, so a download holds at most this much in flight.
 * 256 KiB against node's 64 KiB file stream: 40 % more throughput for ten
 * downloads at once over TLS, the same RSS; 1 MiB: no faster, 40 MB more
 * (docs/performance.md, "Shared files").
 */
export const DOWNLOAD_CHUNK_BYTES = 256 * 1024;

async function sendBytes(
  path: string,
  start: number,
  end: number,
  response: http.ServerResponse,
  touch: () => void,
): Promise<void> {
  let gone = false;
  const closed = new Promise<void>((resolve) =>
    response.once("close", () => {
      gone = true;
      resolve();
    })
  );
  const file = await open(path, "r");
  try {
    const buffer = new Uint8Array(Math.min(DOWNLOAD_CHUNK_BYTES, end - start + 1));
    for (let at = start; at <= end && !gone;) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - at + 1), at);
      if (bytesRead === 0) throw new Error("the stored file is shorter than its record");
      at += bytesRead;
      touch();
      const written = new Promise<void>((resolve, reject) =>
        response.write(buffer.subarray(0, bytesRead), (error) => error ? reject(error) : resolve())
      );
      await Promise.race([written, closed]);
    }
    if (!gone) response.end();
  } finally {
    await file.close();
  }
}

function refuse(
  response: http.ServerResponse,
  status: number,
  code: string,
  message: string,
): void {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(`${JSON.stringify({ error: code, message })}\n`);
}
