/**
 * Tells an HTTP request from a chat client by its first bytes, before any
 * of them is handed on: the native protocol starts with `{`, a text client
 * (nc, telnet) with a nick, and a browser with a request line such as
 * `GET / HTTP/1.1`. Only a whole request line ending in ` HTTP/1.x` counts
 * as HTTP, so a person whose nick is `GET` still joins as text.
 *
 * @module
 */

/** Most bytes of a request line and headers; a longer request is refused (431). */
export const MAX_HEADER_BYTES = 16 * 1024;

/** What the first bytes are: an HTTP request, a chat client, or too few bytes to tell. */
export type FirstBytes = "http" | "chat" | "more";

/** The request methods a request line may start with. */
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"];
/** The first bytes of the methods, and CR (a line that is still empty). */
const METHOD_INITIALS = new Set([...METHODS.map((method) => method.charCodeAt(0)), 0x0d]);
const VERSION_PREFIX = "HTTP/1.";
const LF = 0x0a;
/** A target is visible ASCII (RFC 9112: no controls, no spaces). */
const TARGET = /^[\x21-\x7e]*$/;

/**
 * Whether `bytes` (the first bytes of a connection) start an HTTP/1.x
 * request line (`"http"`), cannot (`"chat"`), or might (`"more"`: read
 * more). Bytes that might still be a request line but reach `maxBytes`
 * without a line end count as HTTP: the HTTP server refuses a request line
 * that long itself.
 */
export function sniffFirstBytes(bytes: Uint8Array, maxBytes: number): FirstBytes {
  // Most chat clients tell at their first byte: no method starts with it
  // (a lone CR still waits for its line).
  if (bytes.length > 0 && !METHOD_INITIALS.has(bytes[0])) return "chat";
  const end = bytes.indexOf(LF);
  const complete = end !== -1;
  let line = latin1(complete ? bytes.subarray(0, end) : bytes.subarray(0, maxBytes));
  // A line's CR, or the last byte before an LF still to come.
  if (line.endsWith("\r")) line = line.slice(0, -1);
  const verdict = complete ? (isRequestLine(line) ? "http" : "chat") : prefixVerdict(line);
  if (verdict === "more" && bytes.length >= maxBytes) return "http";
  return verdict;
}

/** `METHOD target HTTP/1.d`, exactly. */
function isRequestLine(line: string): boolean {
  const [method, target, version, ...rest] = line.split(" ");
  return rest.length === 0 && METHODS.includes(method) && target !== undefined &&
    target.length > 0 && TARGET.test(target) && /^HTTP\/1\.\d$/.test(version ?? "");
}

/** Whether an unfinished line could still become a request line. */
function prefixVerdict(line: string): FirstBytes {
  if (line.length === 0) return "more";
  const [method, target, version, ...rest] = line.split(" ");
  if (target === undefined) {
    return METHODS.some((known) => known.startsWith(method)) ? "more" : "chat";
  }
  if (!METHODS.includes(method) || rest.length > 0 || !TARGET.test(target)) return "chat";
  if (version === undefined) return "more";
  if (target.length === 0) return "chat";
  const possible = VERSION_PREFIX.startsWith(version) || /^HTTP\/1\.\d$/.test(version);
  return possible ? "more" : "chat";
}

/** Bytes as one character each (a request line is ASCII; other bytes only need to stay unequal). */
const latin1Decoder = new TextDecoder("latin1");
function latin1(bytes: Uint8Array): string {
  return latin1Decoder.decode(bytes);
}

/**
 * A connection's first bytes, copied as they come until they tell HTTP
 * from chat ({@linkcode sniffFirstBytes}): a session keeps one only while
 * they might still be a request line.
 */
export class FirstBytesSniffer {
  /** Room for the bytes, grown by doubling: a line dribbled a byte at a time is not copied each time. */
  #buffer: Uint8Array = new Uint8Array(256);
  #length = 0;
  readonly #maxBytes: number;

  /** @param maxBytes bytes after which an unfinished request line counts as HTTP */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Every byte so far (a copy: the chunks given may be reused). */
  get head(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }

  /** Adds `chunk`; the verdict on every byte so far. */
  push(chunk: Uint8Array): FirstBytes {
    const needed = this.#length + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
    return sniffFirstBytes(this.#buffer.subarray(0, this.#length), this.#maxBytes);
  }
}
