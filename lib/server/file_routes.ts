/**
 * Shared files over HTTP on the chat port (issue 18), called by `HttpFront`:
 *
 * - `POST /f?room=<room>&name=<name>` (or `?to=<nick>` for a DM), with
 *   `Authorization: Bearer <the session's upload token>`: the body is the
 *   file, streamed into the {@linkcode FileStore}, then announced in the
 *   room or the DM by the hub; `201` with the file as JSON, or an error as
 *   JSON (`401` no live session, `403` not in that room or muted, `404` no
 *   such nick, `429` over the member's upload limits, `413` too large, `507`
 *   the budget or the member's quota full, `408` slower than the floor,
 *   `400` otherwise);
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
import { ChatError } from "../core/errors.ts";
import { Interrupt } from "../core/interrupt.ts";
import { excerpt } from "../core/sanitize.ts";
import type { FileTarget } from "../core/file_share.ts";
import type { Member } from "../core/member.ts";
import type { FileRecord } from "../core/state/file_index.ts";
import { parseRange } from "../files/byte_range.ts";
import { contentDisposition } from "../core/file_name.ts";
import { FileStoreError, type UploadMeta } from "../files/file_store.ts";
import { servedInline } from "../files/file_type.ts";
import { fileLine, type FileSharing, UploadRefused } from "./file_sharing.ts";
import { cuttable, UploadPace } from "./upload_pace.ts";

/** The path prefix of the file routes. */
export const FILES_PATH = "/f";

/** The CSP of a download: nothing loads, nothing runs, an opened document is sandboxed. */
export const FILE_CSP = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'";

/** What the routes need of the request's connection. */
export interface FileRequestContext {
  /** Called as bytes move, so a long transfer is not cut by the answer deadline. */
  touch: () => void;
  /**
   * Called once the request checked out (an upload's live token and target,
   * a download's id and key): the connection leaves the pending pool of the
   * connection limits (still counted per address), so a flood of idle
   * connections never evicts a transfer under way.
   */
  admitted: () => void;
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
  let record: FileRecord | undefined;
  try {
    record = await sharing.store.get(id);
  } catch (error) {
    // A cluster's index is in NATS, which may be out of reach for a moment.
    return refuse(
      response,
      503,
      "files_unavailable",
      `Files cannot be read now (${(error as Error).message}); try again later`,
    );
  }
  if (!record || !sharing.mayDownload(record, url.searchParams.get("k"))) {
    sharing.log({
      level: "debug",
      event: "file_not_found",
      remote: request.socket.remoteAddress,
      id: excerpt(id),
      reason: !record ? "no such id" : "no key or a wrong one",
    });
    return refuse(response, 404, "not_found", "No such file");
  }
  context.admitted();
  await download(sharing, record, request, response, context);
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
    sharing.log({
      level: "debug",
      event: "file_refused",
      remote: request.socket.remoteAddress,
      status: 401,
      code: "no_session",
    });
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
    end = sharing.begin(checked.uploaders);
  } catch (error) {
    if (error instanceof UploadRefused) {
      return refused(sharing, member, target, response, error.status, error.code, error.message);
    }
    if (!(error instanceof ChatError)) throw error;
    const status = error.code === "no_such_nick" ? 404 : error.code === "bad_room" ? 400 : 403;
    return refused(sharing, member, target, response, status, error.code, error.message);
  }
  context.admitted();
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
  const pace = new UploadPace(sharing.uploadFloor, Date.now());
  let received = 0;
  const { chunks: body, cut } = cuttable(request as AsyncIterable<Uint8Array>, (chunk) => {
    context.touch();
    received += chunk.length;
    pace.received(chunk.length, Date.now());
  });
  const watch = setInterval(() => {
    const tooSlow = pace.check(Date.now());
    if (tooSlow) cut(new FileStoreError("upload_too_slow", tooSlow));
  }, pace.interval);
  let record: FileRecord;
  try {
    record = await sharing.store.put(body, {
      name: url.searchParams.get("name") ?? "",
      declaredSize,
      uploader: member.nick,
      quotaBytes: sharing.quotaBytes,
      ...where,
    });
  } catch (error) {
    const cancelled = !(error instanceof FileStoreError);
    if (cancelled || error.code === "upload_too_slow") {
      sharing.log({
        level: "info",
        event: "file_cut",
        nick: member.nick,
        name: excerpt(url.searchParams.get("name") ?? ""),
        received,
        why: cancelled ? "the sender closed the connection" : error.message,
      });
    }
    // The connection was cut: there is nobody to answer.
    if (cancelled) return void request.socket.destroy();
    if (error.code === "upload_too_slow") {
      // The rest of the body is not read: the connection ends with the answer.
      response.setHeader("Connection", "close");
      response.on("finish", () => request.socket.destroy());
    }
    const status = STATUS[error.code];
    return refused(sharing, member, target, response, status, error.code, error.message);
  } finally {
    clearInterval(watch);
  }
  const file = sharing.sharedFile(record);
  sharing.log({
    level: "info",
    event: "file_stored",
    nick: member.nick,
    ...("room" in target ? { room: record.room } : { to: target.to }),
    name: record.name,
    size: record.size,
    id: record.id,
  });
  // The member may have left, been muted or parted meanwhile: then it hears why, and so does
  // the upload. A file no message announces is forgotten at once (its content too, unless
  // another file has it): nobody could see it, yet it would hold the budget and the quota.
  const announced = await sharing.hub.shareFile(member, target, file, fileLine(file));
  if (!announced) {
    await sharing.store.remove(record.id).catch((error) => {
      sharing.log({ level: "error", event: "error", error: String(error) });
    });
    return refused(
      sharing,
      member,
      target,
      response,
      409,
      "not_announced",
      "The file was not kept: it could not be announced (you left the chat, or may no longer send there)",
    );
  }
  response.writeHead(201, { "Content-Type": "application/json" });
  response.end(JSON.stringify(file));
}

async function download(
  sharing: FileSharing,
  record: FileRecord,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  context: FileRequestContext,
): Promise<void> {
  const inline = servedInline(record.type);
  const etag = `"${record.sha256}"`;
  const ifRange = request.headers["if-range"];
  const range = ifRange === undefined || ifRange === etag
    ? parseRange(request.headers.range, record.size)
    : { kind: "whole" as const };
  const [start, end] = range.kind === "part" ? [range.start, range.end] : [0, record.size - 1];
  // The first bytes are fetched before anything is said: a content out of reach (a cluster's
  // NATS without its majority) is a refusal in words, not a connection closed without an answer.
  let content: BegunRead | undefined;
  if (range.kind !== "unsatisfiable" && request.method !== "HEAD" && record.size > 0) {
    const chunks = sharing.store.read(record, start, end)[Symbol.asyncIterator]();
    try {
      content = { first: await chunks.next(), chunks };
    } catch (error) {
      await chunks.return?.().catch(() => {});
      return refuse(
        response,
        503,
        "files_unavailable",
        `Files cannot be read now (${(error as Error).message}); try again later`,
      );
    }
  }
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
  if (range.kind === "part") {
    response.setHeader("Content-Range", `bytes ${start}-${end}/${record.size}`);
  }
  response.writeHead(range.kind === "part" ? 206 : 200, { "Content-Length": end - start + 1 });
  if (!content) return void response.end();
  const sent = (how: string) =>
    sharing.log({
      level: "debug",
      event: "file_sent",
      remote: request.socket.remoteAddress,
      id: record.id,
      name: record.name,
      bytes: `${start}-${end}/${record.size}`,
      how,
    });
  sendBytes(content, response, context.touch).then(
    (whole) => sent(whole ? "whole" : "closed by the reader"),
    () => {
      sent("failed");
      response.destroy();
    },
  );
}

/** A read begun: its first step taken, and the rest. */
interface BegunRead {
  first: IteratorResult<Uint8Array>;
  chunks: AsyncIterator<Uint8Array>;
}

/**
 * Writes `content` to `response` one chunk at a time, pulling the next only
 * once the previous one went through TLS to the socket: a download holds at
 * most one chunk in flight (a slow reader holds the content back, never
 * buffered whole), and a chunk may be a buffer the content reuses. True
 * when every byte went, false when the reader closed first.
 */
async function sendBytes(
  content: BegunRead,
  response: http.ServerResponse,
  touch: () => void,
): Promise<boolean> {
  const gone = new Interrupt();
  response.once("close", () => gone.fire());
  const { chunks } = content;
  let next: IteratorResult<Uint8Array> | undefined = content.first;
  try {
    while (!gone.fired) {
      next ??= await chunks.next();
      if (next.done) break;
      const bytes = next.value;
      next = undefined;
      touch();
      const written = new Promise<void>((resolve, reject) =>
        response.write(bytes, (error) => error ? reject(error) : resolve())
      );
      await gone.wait(written);
    }
    if (gone.fired) return false;
    response.end();
    return true;
  } finally {
    await chunks.return?.();
  }
}

const STATUS: Record<FileStoreError["code"], number> = {
  file_too_large: 413,
  files_budget_full: 507,
  files_quota_full: 507,
  upload_too_slow: 408,
  files_unavailable: 503,
  upload_incomplete: 400,
  bad_upload: 400,
};

/** Refuses an upload of `member`'s, and says so in the log. */
function refused(
  sharing: FileSharing,
  member: Member,
  target: FileTarget,
  response: http.ServerResponse,
  status: number,
  code: string,
  message: string,
): void {
  sharing.log({
    level: status >= 500 || status === 413 || status === 429 || status === 408 ? "info" : "debug",
    event: "file_refused",
    nick: member.nick,
    ...("room" in target ? { room: excerpt(target.room) } : { to: excerpt(target.to) }),
    status,
    code,
  });
  refuse(response, status, code, message);
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
