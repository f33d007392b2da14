/**
 * The HTTP side of the one port: a `node:http` server that never listens
 * itself. `FrontDoor` hands it each connection whose first bytes are an
 * HTTP request line (`emit("connection", socket)`, the bytes put back); it
 * serves the pages of `web_pages.ts` and upgrades `/ws` to a WebSocket
 * (npm `ws`, `noServer` + `handleUpgrade`) that comes back to the server as
 * an `Arrival` speaking the native protocol.
 *
 * Limits: headers of at most `MAX_HEADER_BYTES`, within `headersTimeoutMs`
 * of the connection's arrival (enforced here: Deno's `node:http` does not
 * time out connections it did not accept itself), one request per
 * connection, and the connection's ticket held (per address, pending)
 * until it closes or its WebSocket joins; a whole request marks it alive
 * (evicted after idle ones), and a file transfer that checked out (a live
 * upload token, a download's id and key) takes it out of the pending pool. An upgrade from a page of another
 * origin is refused (cross-site WebSocket hijacking), and permessage-deflate
 * is off: it would compress every message once per recipient, where a
 * broadcast now shares one payload among all.
 *
 * @module
 */

import * as http from "node:http";
import type { Duplex } from "node:stream";
import type { Buffer } from "node:buffer";
// @ts-types="./ws_types.d.ts"
import { WebSocketServer } from "ws";
import { WebSocketCodec } from "../protocol/websocket_codec.ts";
import type { Admitted } from "./connection_limits.ts";
import type { HttpHandOff, ListenerServeOptions } from "./listener.ts";
import { Connection } from "./connection.ts";
import type { Pipe } from "./outbox.ts";
import { ConnDuplex } from "../net/conn_duplex.ts";
import { SocketConn } from "../net/socket_conn.ts";
import { MAX_HEADER_BYTES } from "./http_sniff.ts";
import { webHostAllowed } from "./web_host.ts";
import { PLAIN_BINDING } from "../protocol/key_proof.ts";
import { fingerprintOfPem } from "./tls_certificate.ts";
import { findAsset, SECURITY_HEADERS } from "./web_pages.ts";
import { WebSocketPipe } from "./websocket_pipe.ts";
import { isFilePath, serveFileRequest } from "./file_routes.ts";
import { BrowserAddresses } from "./browser_addresses.ts";

/** How long an answer may take to be read, from its request on; then the connection closes. */
const ANSWER_MS = 30_000;
/** The path that upgrades to a WebSocket. */
export const WEBSOCKET_PATH = "/ws";

/** Why a request by another DNS name is refused (DNS rebinding), and what to do. */
const MISDIRECTED =
  "This chat answers to its IP address and LAN names only. Open it by the address " +
  "chat-server printed, or start chat-server with --web-host <name> for this name.";

/** A `Host` header that is a host name, an IPv4 address or a bracketed IPv6 one, with a port. */
const PLAIN_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** One HTTP connection handed over by the door. */
export interface HttpArrival {
  /** The socket (node's, or a `ConnDuplex`), its first bytes put back. */
  socket: Duplex;
  /** The peer's IP address. */
  ip: string;
  /** `ip:port`, for logs. */
  remote: string;
  /** Its place in the connection limits, released when it closes (unless it joins). */
  ticket: Admitted;
  /** It came over TLS. */
  secure: boolean;
  /** Bytes below the socket that it does not count (a TLS socket's TCP socket). */
  bufferedBelow?: () => number;
}

interface Pending extends HttpArrival {
  timer: ReturnType<typeof setTimeout>;
  release: () => void;
}

/** See the module doc. */
export class HttpFront implements HttpHandOff {
  readonly #server: http.Server;
  readonly #websockets = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
  });
  readonly #options: ListenerServeOptions;
  /** What key proofs over TLS are bound to: the certificate's fingerprint (the page asks). */
  readonly #tlsBinding: Promise<string> | undefined;
  /** Connections not upgraded (yet), by socket. */
  readonly #connections = new Map<Duplex, Pending>();
  /** Where browsers use the chat from (a silent connection from there is greeted late). */
  readonly #browsers = new BrowserAddresses();

  constructor(options: ListenerServeOptions) {
    this.#options = options;
    this.#tlsBinding = options.tls ? fingerprintOfPem(options.tls.cert) : undefined;
    this.#tlsBinding?.catch(() => {});
    // A message a little over the line limit still reaches the codec, which
    // answers it as for any client (line_too_long); beyond, ws closes (1009).
    this.#websockets.options.maxPayload = options.maxLineBytes + 1;
    // A request handler that fails ends its own connection, never the process.
    this.#server = http.createServer(
      { maxHeaderSize: MAX_HEADER_BYTES },
      (request, response) =>
        this.#request(request, response).catch((error) => {
          this.#options.log({ level: "error", event: "error", error: String(error) });
          request.socket.destroy();
        }),
    );
    this.#server.on("upgrade", this.#upgrade);
    this.#server.on("clientError", this.#clientError);
  }

  /** Serves a connection; see the module doc. */
  accept(arrival: HttpArrival): void {
    const { socket, ticket } = arrival;
    this.#browsers.seen(arrival.ip);
    const release = () => {
      clearTimeout(pending.timer);
      this.#connections.delete(socket);
      ticket.release();
    };
    const pending: Pending = {
      ...arrival,
      release,
      timer: setTimeout(() => {
        this.#options.log({
          level: "debug",
          event: "limit",
          remote: arrival.remote,
          reason: "http_headers_timeout",
        });
        socket.destroy();
      }, this.#options.httpHeadersMs),
    };
    this.#connections.set(socket, pending);
    socket.on("error", () => socket.destroy());
    socket.once("close", release);
    ticket.onEvict(() => socket.destroy());
    this.#server.emit("connection", socket);
  }

  /**
   * Takes a chat connection whose first bytes (`head`) were an HTTP request
   * line, from inside its read loop: a plain one wrapped in a `ConnDuplex`,
   * a TLS one as its node socket, the bytes put back in front.
   */
  takeOver(pipe: Pipe, head: Uint8Array, who: { ip: string; ticket: Admitted; secure: boolean }) {
    if (!(pipe instanceof Connection)) throw new Error("Only a socket's connection can go to HTTP");
    const { ip, ticket, secure } = who;
    const remote = pipe.remote;
    const conn = pipe.release();
    if (conn instanceof SocketConn) {
      const socket = conn.detach();
      socket.unshift(head);
      const below = conn.below;
      this.accept({
        socket,
        ip,
        remote,
        ticket,
        secure,
        bufferedBelow: () => below?.writableLength ?? 0,
      });
      socket.resume();
    } else this.accept({ socket: new ConnDuplex(conn, head), ip, remote, ticket, secure });
  }

  /** Whether a browser uses the chat from `ip` (see browser_addresses.ts). */
  browserAt(ip: string): boolean {
    return this.#browsers.has(ip);
  }

  /** Closes every HTTP connection not upgraded. */
  close(): void {
    for (const socket of [...this.#connections.keys()]) socket.destroy();
  }

  readonly #request = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> => {
    const pending = this.#connections.get(request.socket);
    if (pending) {
      // A whole request came: evicted after connections that sent none.
      pending.ticket.alive();
      // One answer per connection; a reader that does not take it in time
      // (or never closes its side) does not keep its place in the limits.
      clearTimeout(pending.timer);
      pending.timer = setTimeout(() => request.socket.destroy(), ANSWER_MS);
    }
    response.shouldKeepAlive = false;
    response.setHeader("Connection", "close");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const host = request.headers.host ?? "";
    if (!PLAIN_HOST.test(host)) return answer(response, 400, "Bad request: no valid Host header");
    if (!webHostAllowed(host, this.#options.webHosts)) {
      return answer(response, 421, MISDIRECTED);
    }
    const path = pathOf(request.url);
    if (path === undefined) return answer(response, 400, "Bad request: not a valid path");
    const files = this.#options.files;
    if (files && isFilePath(path)) {
      // A transfer may take long: the deadline counts from the last bytes moved.
      const touch = () => {
        if (!pending) return;
        clearTimeout(pending.timer);
        pending.timer = setTimeout(() => request.socket.destroy(), ANSWER_MS);
      };
      // A transfer that checked out is no longer pending: only the per-address limit holds it.
      const admitted = () => pending?.ticket.joined();
      return await serveFileRequest(files, request, response, { touch, admitted });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      return answer(response, 405, "Method not allowed");
    }
    const binding = pending?.secure && this.#tlsBinding
      ? await this.#tlsBinding.catch(() => PLAIN_BINDING)
      : PLAIN_BINDING;
    let asset;
    try {
      asset = findAsset(path, binding);
    } catch (error) {
      this.#options.log({ level: "error", event: "error", error: String(error) });
      return answer(response, 500, "The web client's files are missing from this build");
    }
    if (!asset) return answer(response, 404, "Not found");
    const headers = {
      "Content-Type": asset.contentType,
      "Cache-Control": asset.cacheControl,
      ...(asset.etag ? { "ETag": asset.etag } : {}),
    };
    if (asset.etag && request.headers["if-none-match"] === asset.etag) {
      response.writeHead(304, headers);
      return void response.end();
    }
    response.writeHead(200, { ...headers, "Content-Length": asset.body.length });
    response.end(request.method === "HEAD" ? undefined : asset.body);
  };

  readonly #upgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pending = this.#connections.get(socket);
    if (!pending) return void socket.destroy();
    pending.ticket.alive();
    clearTimeout(pending.timer);
    const path = pathOf(request.url);
    if (path !== WEBSOCKET_PATH) return refuse(socket, 404, "Not Found");
    if (!webHostAllowed(request.headers.host ?? "", this.#options.webHosts)) {
      return refuse(socket, 421, "Misdirected Request");
    }
    if (!sameOrigin(request, pending.secure)) {
      this.#options.log({
        level: "warn",
        event: "refused",
        remote: pending.remote,
        reason: "websocket from another origin",
      });
      return refuse(socket, 403, "Forbidden");
    }
    this.#websockets.handleUpgrade(request, socket, head, (websocket) => {
      // From here the server holds the ticket, as for any chat connection.
      socket.off("close", pending.release);
      this.#connections.delete(socket);
      const browsers = this.#browsers;
      browsers.opened(pending.ip);
      websocket.once("close", () => browsers.closed(pending.ip));
      const pipe = new WebSocketPipe(websocket, {
        // A plain connection's frames go straight to its Deno socket (ConnDuplex.writeDirect).
        raw: socket instanceof ConnDuplex
          ? { write: (bytes, done) => socket.writeDirect(bytes, done) }
          : socket,
        sendQueueBytes: this.#options.sendQueueBytes,
        remote: pending.remote,
        bufferedBelow: pending.bufferedBelow,
      });
      this.#options.onArrival({
        pipe,
        ip: pending.ip,
        ticket: pending.ticket,
        secure: pending.secure,
        codec: new WebSocketCodec(this.#options.maxLineBytes),
      });
    });
  };

  readonly #clientError = (error: Error & { code?: string }, socket: Duplex): void => {
    if (socket.writable) {
      const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
      refuse(
        socket,
        tooLarge ? 431 : 400,
        tooLarge ? "Request Header Fields Too Large" : "Bad Request",
      );
    } else socket.destroy();
  };
}

/**
 * Whether a WebSocket upgrade comes from a page of this server: its
 * `Origin` names the scheme and host the browser reached us by. Browsers
 * always send `Origin` with a WebSocket; a request without one is not from
 * a page (a program, which a page cannot make act for its visitor).
 */
function sameOrigin(request: http.IncomingMessage, secure: boolean): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return url.protocol === (secure ? "https:" : "http:") &&
      url.host === (request.headers.host ?? "").toLowerCase();
  } catch {
    return false;
  }
}

/** The path of a request's target, or undefined when it is no URL (`http://[/`, from anyone). */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? "/", "http://host").pathname;
  } catch {
    return undefined;
  }
}

function answer(response: http.ServerResponse, status: number, text: string): void {
  response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  response.end(`${text}\n`);
}

/** Answers a request node:http does not (an upgrade, a malformed request) and closes. */
function refuse(socket: Duplex, status: number, reason: string): void {
  const headers = Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n${headers}\r\n`,
  );
  const timer = setTimeout(() => socket.destroy(), 1000);
  socket.once("close", () => clearTimeout(timer));
}
