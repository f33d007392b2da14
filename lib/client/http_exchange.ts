/**
 * One HTTP/1.1 request and its answer over a {@linkcode ClientPipe}: the
 * same pipe, and so the same certificate check (the pinned or trusted-on-
 * first-use fingerprint) and `--plain` choice, as the chat connection. The
 * server's file routes answer one request per connection, so every exchange
 * opens its own pipe and sends `Connection: close`.
 *
 * The body goes out as it is read and the answer's body comes in as the
 * pipe delivers it, never whole in memory.
 *
 * @module
 */

import { quote } from "../protocol/frame_fields.ts";
import type { ClientPipe } from "./pipe.ts";

/** Most bytes of an answer's head (status line and headers). */
const MAX_HEAD_BYTES = 16 * 1024;
/** Most bytes of an answer's body read whole (a JSON error or record). */
export const MAX_SMALL_BODY_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The status line and headers of an answer, and its body as it arrives. */
export interface HttpAnswer {
  /** The status code, e.g. 206. */
  status: number;
  /** The headers, names in lower case. */
  headers: Map<string, string>;
  /** The body's bytes as they arrive (each chunk is only valid until the next is asked for). */
  body: AsyncIterator<Uint8Array, void, void>;
}

/** The server's answer was not HTTP, or ended early. */
export class HttpAnswerError extends Error {
  /**
   * Builds the error.
   *
   * @param message what was wrong, lower case
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HttpAnswerError";
  }
}

/** Writes the request head: `method target`, the headers given and `Connection: close`. */
export async function writeHead(
  pipe: ClientPipe,
  method: string,
  target: string,
  headers: Record<string, string>,
): Promise<void> {
  const lines = [`${method} ${target} HTTP/1.1`, "Connection: close"];
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name + value)) throw new TypeError(`A header with a line break: "${name}"`);
    lines.push(`${name}: ${value}`);
  }
  await pipe.write(encoder.encode(lines.join("\r\n") + "\r\n\r\n"));
}

/**
 * Reads the answer's head from `chunks` (the pipe's), and hands out its
 * body: `Content-Length` bytes, or (without one) until the server closes.
 *
 * @throws {HttpAnswerError} when the head is not HTTP/1.x or the pipe ends before it
 */
export async function readAnswer(
  chunks: AsyncIterator<Uint8Array, void, void>,
): Promise<HttpAnswer> {
  let head = new Uint8Array(0);
  let end = -1;
  while (end < 0) {
    const next = await chunks.next();
    if (next.done) throw new HttpAnswerError("the server closed the connection without answering");
    const joined = new Uint8Array(head.length + next.value.length);
    joined.set(head);
    joined.set(next.value, head.length);
    head = joined;
    end = indexOfBlankLine(head);
    if (end < 0 && head.length > MAX_HEAD_BYTES) {
      throw new HttpAnswerError("the server's answer has an oversized head");
    }
  }
  const [statusLine, ...headerLines] = decoder.decode(head.subarray(0, end)).split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) {
    throw new HttpAnswerError(`the server did not answer in HTTP ("${quote(statusLine)}")`);
  }
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  const rest = head.slice(end + 4);
  const length = headers.has("content-length") ? Number(headers.get("content-length")) : undefined;
  const chunked = /chunked/i.test(headers.get("transfer-encoding") ?? "");
  const raw = bodyOf(rest, chunks, chunked ? undefined : length);
  return {
    status: Number(match[1]),
    headers,
    body: chunked ? dechunk(raw) : raw,
  };
}

/** Where the head ends (`\r\n\r\n`), or -1. */
function indexOfBlankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/** The body: what came with the head, then the pipe's chunks, at most `length` bytes. */
async function* bodyOf(
  first: Uint8Array,
  chunks: AsyncIterator<Uint8Array, void, void>,
  length: number | undefined,
): AsyncGenerator<Uint8Array, void, void> {
  let left = length ?? Infinity;
  if (first.length > 0) {
    const piece = first.subarray(0, Math.min(first.length, left));
    left -= piece.length;
    yield piece;
  }
  while (left > 0) {
    const next = await chunks.next();
    if (next.done) {
      if (length === undefined) return;
      throw new HttpAnswerError(`the connection ended ${left} bytes before the end of the answer`);
    }
    const piece = next.value.subarray(0, Math.min(next.value.length, left));
    left -= piece.length;
    yield piece;
  }
}

/** A `Transfer-Encoding: chunked` body decoded (only small bodies are read this way). */
async function* dechunk(
  raw: AsyncIterator<Uint8Array, void, void>,
): AsyncGenerator<Uint8Array, void, void> {
  let buffered = new Uint8Array(0);
  let ended = false;
  const more = async () => {
    const next = await raw.next();
    if (next.done) {
      ended = true;
      return;
    }
    const joined = new Uint8Array(buffered.length + next.value.length);
    joined.set(buffered);
    joined.set(next.value, buffered.length);
    buffered = joined;
    if (buffered.length > MAX_SMALL_BODY_BYTES + 1024) {
      throw new HttpAnswerError("the server's chunked answer is too long");
    }
  };
  while (true) {
    let lineEnd = decoder.decode(buffered).indexOf("\r\n");
    while (lineEnd < 0 && !ended) {
      await more();
      lineEnd = decoder.decode(buffered).indexOf("\r\n");
    }
    if (lineEnd < 0) return;
    const size = parseInt(decoder.decode(buffered.subarray(0, lineEnd)), 16);
    if (!Number.isFinite(size) || size === 0) return;
    while (buffered.length < lineEnd + 2 + size + 2 && !ended) await more();
    yield buffered.slice(lineEnd + 2, lineEnd + 2 + size);
    buffered = buffered.slice(lineEnd + 2 + size + 2);
  }
}

/** A small body (a JSON error or record) read whole: at most {@linkcode MAX_SMALL_BODY_BYTES}. */
export async function readSmallBody(answer: HttpAnswer): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const next = await answer.body.next();
    if (next.done) break;
    size += next.value.length;
    if (size > MAX_SMALL_BODY_BYTES) throw new HttpAnswerError("the server's answer is too long");
    parts.push(next.value.slice());
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return decoder.decode(bytes);
}
