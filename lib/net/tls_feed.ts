/**
 * A TLS socket over a TCP socket whose reads stop when the TLS socket is
 * paused, so a reader that falls behind holds back the peer instead of
 * buffering everything it sends.
 *
 * Why not plain `new tls.TLSSocket(tcp)`: Deno's node:tls reads a
 * `net.Socket` under it natively, and a paused TLS socket keeps decrypting
 * what arrives into a buffer of its own, without limit (a 286 MiB download
 * over TLS read to disk at a slower pace grew the client to 673 MB). Two
 * ways around it:
 *
 * - {@linkcode secureNative} (the server's front door): the TLS socket reads
 *   the TCP socket's handle natively, and that handle's reads are stopped
 *   whenever the TLS socket is paused.
 * - {@linkcode secureOver} (the client): the TLS socket reads a
 *   {@linkcode TcpFeed}, a stream fed from the TCP socket's `data` events,
 *   and the TCP socket is paused whenever the TLS socket is. It costs ~5 KiB
 *   more per connection (docs/performance.md, "Memory per TLS client").
 *
 * Either way the kernel's window then stops the peer.
 *
 * @module
 */

import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import * as tls from "node:tls";

/**
 * The TCP socket as a stream for node:tls to read and write; `head` (bytes
 * already taken from the socket) comes first.
 */
class TcpFeed extends Duplex {
  readonly #tcp: Socket;

  constructor(tcp: Socket, head?: Uint8Array) {
    super({ allowHalfOpen: true });
    this.#tcp = tcp;
    if (head) this.push(head);
    tcp.on("data", (chunk: Uint8Array) => this.push(chunk));
    tcp.on("end", () => this.push(null));
    tcp.on("error", (error) => this.destroy(error));
    tcp.on("close", () => this.destroy());
  }

  override _read(): void {
    // Fed by the TCP socket's events; held by pausing it (secureOver).
  }

  override _write(chunk: Uint8Array, _encoding: string, done: (error?: Error | null) => void) {
    if (this.#tcp.destroyed) return done(new Error("the connection is closed"));
    this.#tcp.write(chunk, (error) => done(error ?? null));
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#tcp.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#tcp.destroy();
    done(error);
  }
}

/**
 * Makes the TLS socket over `tcp` (client or server side by `options`),
 * and ties `tcp`'s reads to it: paused with it, resumed with it. `head`:
 * bytes already read from `tcp` (a peeked first record). `tcp` is resumed.
 */
export function secureOver(
  tcp: Socket,
  options: tls.ConnectionOptions & tls.TLSSocketOptions & { isServer?: boolean },
  head?: Uint8Array,
): tls.TLSSocket {
  const feed = new TcpFeed(tcp, head);
  const secure = options.isServer
    ? new tls.TLSSocket(feed as unknown as Socket, options)
    : tls.connect({ ...options, socket: feed });
  // The paused state now, not the event's: a pause and a resume may pass
  // each other (resume's event comes a tick later).
  const follow = () => secure.isPaused() || secure.destroyed ? tcp.pause() : tcp.resume();
  secure.on("pause", follow);
  secure.on("resume", follow);
  tcp.on("data", () => {
    if (secure.isPaused()) tcp.pause();
  });
  secure.once("close", () => tcp.destroy());
  tcp.resume();
  return secure;
}

/** What `secureNative` uses of a node:net socket's native handle. */
interface ReadingHandle {
  readStart(): number;
  readStop(): number;
}

/**
 * The server side of TLS over `tcp` on node:tls's native path: the TLS
 * socket reads `tcp`'s handle itself, with no stream in between (the
 * {@linkcode TcpFeed} and the JS stream socket node:tls puts over it cost
 * ~5 KiB per idle connection: docs/performance.md, "TLS: what terminates
 * it"). Reads stay tied to the TLS socket, as {@linkcode secureOver}'s
 * are: Deno's TLS socket, paused, goes on reading `tcp`'s handle and
 * decrypting without limit, so `tcp`'s handle is stopped while the TLS
 * socket is paused and started when it resumes. `head`: bytes already read
 * from `tcp` (its first TLS record), given to TLS first, with whatever
 * `tcp` holds unread. `tcp` is resumed.
 *
 * @throws {Error} when this runtime's node:tls has no native handle to feed
 *   `head` to (Deno 2.9.6 has one; the front door's tests would show a change)
 */
export function secureNative(
  tcp: Socket,
  options: tls.TLSSocketOptions,
  head?: Uint8Array,
): tls.TLSSocket {
  const reading = (tcp as unknown as { _handle?: Partial<ReadingHandle> })._handle;
  if (typeof reading?.readStop !== "function" || typeof reading.readStart !== "function") {
    throw new Error("The TCP socket has no native handle to read TLS from");
  }
  const handle = reading as ReadingHandle;
  const unread = tcp.readableLength > 0 ? tcp.read() as Uint8Array | null : null;
  const secure = new tls.TLSSocket(tcp, { ...options, isServer: true });
  guardStart(secure);
  const wrap = (secure as unknown as { _handle?: { receive?(bytes: Uint8Array): void } })._handle;
  if (head || unread) {
    if (typeof wrap?.receive !== "function") {
      secure.destroy();
      throw new Error("node:tls's handle takes no bytes read before it");
    }
    if (head) wrap.receive(head);
    if (unread) wrap.receive(unread);
  }
  // The paused state now, not the event's (see secureOver).
  // A handle that cannot read again (an error code, as node:net treats it)
  // ends the connection rather than leaving it stalled.
  const follow = () => {
    if (secure.isPaused() || secure.destroyed) handle.readStop();
    else if (handle.readStart() < 0) secure.destroy();
  };
  secure.on("pause", follow);
  secure.on("resume", follow);
  secure.once("close", () => tcp.destroy());
  tcp.resume();
  return secure;
}

/**
 * Deno 2.9.6's `TLSSocket._start` calls its handle's `start()`, which takes
 * the bytes already given to it (`head`): a record that fails destroys the
 * socket inside `start()`, and `_start` then reads the handle it nulled, a
 * TypeError out of the event loop that ends the process. A socket destroyed
 * there is done with; anything else still throws.
 */
function guardStart(secure: tls.TLSSocket): void {
  const socket = secure as unknown as { _start?: () => void };
  const start = socket._start;
  if (typeof start !== "function") return;
  socket._start = function (this: tls.TLSSocket) {
    try {
      start.call(this);
    } catch (error) {
      if (!this.destroyed) throw error;
    }
  };
}
