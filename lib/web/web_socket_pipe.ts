/**
 * The browser's {@linkcode ClientPipe}: the native protocol over a
 * WebSocket to the server that served the page (`/ws`, same origin), as
 * docs/protocol.md describes: each message from the server is one frame,
 * a JSON object without a line end (the pipe adds one, so that the line
 * decoder above sees a line), and each frame the client writes goes as one
 * text message. `ChatSession` and `ReconnectingSession` run over it unchanged.
 *
 * @module
 */

import { type ClientPipe, type OpenPipe, PipeError } from "../client/pipe.ts";

/** The path the server upgrades to a WebSocket. */
export const WEBSOCKET_PATH = "/ws";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The constructor of a WebSocket (the browser's, or a test's stand-in). */
export type WebSocketFactory = (url: string) => WebSocket;

/**
 * Where the page's WebSocket goes: the origin that served the page, `wss:`
 * when the page came over TLS.
 *
 * @param location the page's location (`window.location`)
 */
export function webSocketUrl(location: Pick<Location, "protocol" | "host">): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${WEBSOCKET_PATH}`;
}

/**
 * An {@linkcode OpenPipe} that ignores the address it is given (a page can
 * only talk to its own server) and opens a WebSocket to `url`. The key
 * proof is bound to what `binding` resolves to, asked afresh on every
 * connection (a restarted server may have a new certificate).
 *
 * @param url the WebSocket URL (see {@linkcode webSocketUrl})
 * @param binding what the server binds key proofs to: its certificate's fingerprint, or `plain`
 * @param open makes the WebSocket (tests pass a stand-in)
 */
export function webSocketOpener(
  url: string,
  binding: () => Promise<string>,
  open: WebSocketFactory = (target) => new WebSocket(target),
): OpenPipe {
  return async () => {
    let bound: string;
    try {
      bound = await binding();
    } catch (error) {
      throw new PipeError("cannot reach the server", { cause: error });
    }
    return await WebSocketPipe.open(open(url), bound);
  };
}

/** A WebSocket as a {@linkcode ClientPipe}; see the module doc. */
export class WebSocketPipe implements ClientPipe {
  readonly #socket: WebSocket;
  /** Chunks received and not yet read, or the error that ended the pipe. */
  readonly #queue: (Uint8Array | PipeError)[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  private constructor(socket: WebSocket, readonly binding: string) {
    this.#socket = socket;
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (event) => {
      const data = event.data;
      // One message, one frame: ended here, as a line.
      const text = typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer);
      this.#push(encoder.encode(text.endsWith("\n") ? text : `${text}\n`));
    });
    socket.addEventListener("close", (event) => {
      // A clean close is the end of the chunks; anything else is a failure.
      if (!event.wasClean && !this.#ended) this.#push(new PipeError(closeReason(event.code)));
      this.#end();
    });
  }

  /**
   * Waits for `socket` to open and wraps it.
   *
   * @throws {PipeError} when it fails to open (`cannot open a WebSocket to the server`)
   */
  static open(socket: WebSocket, binding: string): Promise<WebSocketPipe> {
    return new Promise((resolve, reject) => {
      const opened = () => {
        socket.removeEventListener("error", failed);
        resolve(new WebSocketPipe(socket, binding));
      };
      const failed = () => {
        socket.removeEventListener("open", opened);
        reject(new PipeError("cannot open a WebSocket to the server"));
      };
      socket.addEventListener("open", opened, { once: true });
      socket.addEventListener("error", failed, { once: true });
    });
  }

  /** The server's bytes, one WebSocket message per chunk, until it closes. */
  async *chunks(): AsyncGenerator<Uint8Array, void, void> {
    while (true) {
      const next = this.#queue.shift();
      if (next instanceof PipeError) throw next;
      if (next) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Sends `bytes` (whole frames) as one text message. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.#socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new PipeError("the connection is closed"));
    }
    try {
      this.#socket.send(decoder.decode(bytes));
    } catch (error) {
      return Promise.reject(new PipeError("the connection is closed", { cause: error }));
    }
    return Promise.resolve();
  }

  /** Closes the WebSocket; reading ends. */
  close(): void {
    if (this.#socket.readyState <= WebSocket.OPEN) this.#socket.close(1000);
    this.#end();
  }

  #push(item: Uint8Array | PipeError): void {
    this.#queue.push(item);
    this.#wake?.();
  }

  #end(): void {
    this.#ended = true;
    this.#wake?.();
  }
}

/** Words for a WebSocket that closed uncleanly, by its close code. */
export function closeReason(code: number): string {
  switch (code) {
    case 1006:
      return "connection lost";
    case 1009:
      return "the server refused a message that was too long";
    case 1011:
      return "the server had an error";
    default:
      return `the connection closed (code ${code})`;
  }
}
