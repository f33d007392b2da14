/**
 * A TLS socket over a TCP socket whose reads stop when the TLS socket is
 * paused, so a reader that falls behind holds back the peer instead of
 * buffering everything it sends.
 *
 * Why not `new tls.TLSSocket(tcp)`: Deno's node:tls reads a `net.Socket`
 * under it natively, and a paused TLS socket (its handle's `readStop`)
 * keeps decrypting what arrives into a buffer of its own, without limit:
 * a 286 MiB download over TLS read to disk at a slower pace grew the
 * client to 673 MB, and pausing the TCP socket too changes nothing (the
 * native reads do not go through it). Here the TLS socket reads a
 * {@linkcode TcpFeed} instead, a stream fed from the TCP socket's `data`
 * events, and the TCP socket is paused whenever the TLS socket is: the
 * kernel's window then stops the peer.
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
