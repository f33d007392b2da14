/**
 * `--irc-port`: a listener whose every connection is IRC from the first
 * byte (no sniffing), for clients set up for 6667/6697. It wraps a
 * {@linkcode FrontDoor} (plain, or TLS when the server runs TLS), so the same
 * connection limits, bans and send-queue bounds apply as on the shared port;
 * it never serves HTTP.
 *
 * @module
 */

import type { Listener, ListenerServeOptions } from "./listener.ts";

/** See the module doc. */
export class IrcListener implements Listener {
  /** Wraps `inner`, whose arrivals become IRC connections. */
  constructor(readonly inner: Listener) {}

  /** The port it listens on. */
  get addr(): Deno.NetAddr {
    return this.inner.addr;
  }

  /** Its addresses. */
  get hostnames(): readonly string[] {
    return this.inner.hostnames;
  }

  /** TLS when the wrapped door speaks it. */
  get needsCertificate(): boolean {
    return this.inner.needsCertificate;
  }

  /** Accepts as the wrapped door does; each arrival is marked IRC, with no HTTP hand-off. */
  serve(options: ListenerServeOptions): Promise<void> {
    return this.inner.serve({
      ...options,
      onArrival: (arrival) => options.onArrival({ ...arrival, irc: true, http: undefined }),
    });
  }

  /** Stops accepting. */
  close(): void {
    this.inner.close();
  }
}
