/**
 * The part of npm `ws` (8.x) that lanchat uses, typed here instead of by
 * `@types/ws`: that package depends on `@types/node` at any version, whose
 * current releases `deno doc --lint` cannot resolve under Deno 2.9.6 (a
 * warning for every file their index references, pinned 24.x too). These
 * declarations use Deno's own `node:` types, and name only what is called,
 * each event with its own listener, so that a misspelt event or a wrong
 * argument is still a type error.
 *
 * Use: `// @ts-types="./ws_types.d.ts"` on the line before `import ... from "ws"`.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { ClientRequest, IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** A message's payload as `ws` hands it out (a `Buffer` unless fragmented or told otherwise). */
export type RawData = Buffer | ArrayBuffer | Buffer[];

/** Options of a client {@linkcode WebSocket}. */
export interface ClientOptions {
  /** The `Origin` header to send (a browser sends its page's). */
  origin?: string;
  /** Whether a `wss:` server's certificate must be trusted. @default {true} */
  rejectUnauthorized?: boolean;
}

/** One WebSocket connection, the server's end or a client. */
export declare class WebSocket {
  /** Connects to `address` as a client. */
  constructor(address: string | URL, options?: ClientOptions);
  /** Bytes handed to `send` and not yet written to the socket. */
  readonly bufferedAmount: number;
  /** Sends one message (text unless `binary`). */
  send(
    data: string | Uint8Array,
    options?: { binary?: boolean },
    callback?: (error?: Error) => void,
  ): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Destroys the socket now. */
  terminate(): void;
  /** Stops reading from the socket. */
  pause(): void;
  /** Reads from the socket again. */
  resume(): void;
  /** Listens for an event. */
  on(event: "message", listener: (data: RawData, isBinary: boolean) => void): this;
  on(event: "error", listener: (error: Error) => void): this;
  on(event: "close", listener: (code: number, reason: Buffer) => void): this;
  /** Listens for an event once. */
  once(event: "open", listener: () => void): this;
  once(event: "error", listener: (error: Error) => void): this;
  once(event: "close", listener: (code: number, reason: Buffer) => void): this;
  once(
    event: "unexpected-response",
    listener: (request: ClientRequest, response: IncomingMessage) => void,
  ): this;
}

export default WebSocket;

/** Options of a {@linkcode WebSocketServer}. */
export interface ServerOptions {
  /** Upgrades only what `handleUpgrade` is given (no server of its own). */
  noServer?: boolean;
  /** The permessage-deflate extension. */
  perMessageDeflate?: boolean;
  /** Whether it keeps a set of its clients. */
  clientTracking?: boolean;
  /** Largest message accepted, in bytes; a larger one closes the connection (1009). */
  maxPayload?: number;
}

/** Upgrades HTTP requests to WebSockets. */
export declare class WebSocketServer {
  constructor(options: ServerOptions);
  /** Its options, which may be changed before the first upgrade. */
  options: ServerOptions;
  /** Completes the upgrade of `request` on `socket`, then hands over the WebSocket. */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (socket: WebSocket, request: IncomingMessage) => void,
  ): void;
}

/** Options of a {@linkcode Receiver}. */
export interface ReceiverOptions {
  /** Parse as the server (frames must be masked) or as a client (they must not be). */
  isServer?: boolean;
}

/** ws's frame parser: bytes in, "message" events out (used by tests to read frames). */
export declare class Receiver {
  constructor(options?: ReceiverOptions);
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: "error", listener: (error: Error) => void): this;
  write(chunk: Uint8Array): boolean;
}
