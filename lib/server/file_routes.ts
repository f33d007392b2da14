/**
 * Shared files over HTTP on the chat port (issue 18), called by `HttpFront`:
 *
 * - `POST /f?room=<room>&name=<name>`: the body is the file, streamed into
 *   the {@linkcode FileStore}; `201` with the file as JSON, or an error as
 *   JSON (`413` too large, `507` the budget full, `400` otherwise);
 * - `GET`/`HEAD /f/<id>/<name>`: the file, with `Range` (`206`, `416`).
 *
 * Downloads are safe to open from the chat's origin: only sniffed raster
 * images are `inline` (with their type), everything else is an `attachment`
 * served as `application/octet-stream`; always `nosniff` and a CSP that
 * sandboxes the answer and allows nothing to load or run.
 *
 * Not yet (docs/files_progress.md): an upload is not tied to a chat session
 * (its uploader is the peer's address), DMs, and capability tokens.
 *
 * @module
 */

import type * as http from "node:http";
import { createReadStream } from "node:fs";
import { checkRoomName, foldRoom } from "../core/room_name.ts";
import type { FileRecord } from "../core/state/file_index.ts";
import { parseRange } from "../files/byte_range.ts";
import { contentDisposition } from "../files/file_name.ts";
import { FileStore, FileStoreError } from "../files/file_store.ts";
import { servedInline } from "../files/file_type.ts";

/** The path prefix of the file routes. */
export const FILES_PATH = "/f";

/** The CSP of a download: nothing loads, nothing runs, an opened document is sandboxed. */
export const FILE_CSP = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'";

/** What the routes need of the request's connection. */
export interface FileRequestContext {
  /** The peer's address: the uploader, until uploads are tied to a session. */
  ip: string;
  /** Called as bytes move, so a long transfer is not cut by the answer deadline. */
  touch: () => void;
}

/** Whether `path` is one of the file routes. */
export function isFilePath(path: string): boolean {
  return path === FILES_PATH || path.startsWith(`${FILES_PATH}/`);
}

/** Answers a request to a file route (see the module doc). */
export async function serveFileRequest(
  store: FileStore,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  context: FileRequestContext,
): Promise<void> {
  response.setHeader("Content-Security-Policy", FILE_CSP);
  response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  const url = new URL(request.url ?? "/", "http://host");
  if (url.pathname === FILES_PATH) {
    if (request.method !== "POST") return refuse(response, 405, "method", "Upload with POST");
    return await upload(store, request, response, url, context);
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("Allow", "GET, HEAD");
    return refuse(response, 405, "method", "Method not allowed");
  }
  const id = url.pathname.slice(FILES_PATH.length + 1).split("/")[0];
  const record = store.get(id);
  if (!record) return refuse(response, 404, "not_found", "No such file");
  download(store, record, request, response, context);
}

async function upload(
  store: FileStore,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  url: URL,
  context: FileRequestContext,
): Promise<void> {
  let room: string;
  try {
    room = foldRoom(checkRoomName(url.searchParams.get("room") ?? ""));
  } catch (error) {
    return refuse(response, 400, "bad_room", (error as Error).message);
  }
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
  try {
    const record = await store.put(body, {
      name: url.searchParams.get("name") ?? "",
      declaredType: request.headers["content-type"],
      declaredSize,
      uploader: context.ip,
      room,
    });
    response.writeHead(201, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ ...record, url: fileUrl(record) }));
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
    refuse(response, status, error.code, error.message);
  }
}

function download(
  store: FileStore,
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
  const stream = createReadStream(store.contentPath(record.sha256), { start, end });
  stream.on("data", context.touch);
  stream.on("error", () => response.destroy());
  response.on("close", () => stream.destroy());
  stream.pipe(response);
}

/** The path a file is fetched by. */
export function fileUrl(record: FileRecord): string {
  return `${FILES_PATH}/${record.id}/${encodeURIComponent(record.name)}`;
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
