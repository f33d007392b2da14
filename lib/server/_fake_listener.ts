import type { Listener, ListenerServeOptions } from "./listener.ts";

/**
 * A listener with no sockets, for tests: the server serves it, and the test
 * hands it arrivals (fake pipes) through `options.onArrival`, as a WebSocket
 * path would.
 */
export class FakeListener implements Listener {
  readonly addr: Deno.NetAddr = { transport: "tcp", hostname: "fake", port: 1 };
  readonly hostnames = ["fake"];
  readonly needsCertificate = false;
  /** What the server passed to serve(), once it did. */
  options: ListenerServeOptions | undefined;
  readonly #closed = Promise.withResolvers<void>();
  serve(options: ListenerServeOptions): Promise<void> {
    this.options = options;
    return this.#closed.promise;
  }
  close(): void {
    this.#closed.resolve();
  }
}
