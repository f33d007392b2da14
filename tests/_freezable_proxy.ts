/**
 * A TCP relay whose links can be cut on one side only, to leave the server
 * holding a ghost session.
 *
 * @module
 */

/**
 * A TCP relay in front of a server whose links can be cut the way a laptop
 * leaving the network cuts them: {@linkcode FreezableProxy.cut} closes the
 * client's side at once, but the server's side stays open and silent, so
 * the server still holds a ghost session.
 */
export class FreezableProxy implements AsyncDisposable {
  /** The port clients connect to, on 127.0.0.1. */
  readonly port: number;
  readonly #listener: Deno.Listener<Deno.TcpConn>;
  readonly #links = new Set<{ client: Deno.TcpConn; server: Deno.TcpConn; cut: boolean }>();
  readonly #tasks: Promise<void>[] = [];
  readonly #accepting: Promise<void>;

  /** Listens on a free port and relays to the server on `targetPort`. */
  constructor(readonly targetPort: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  /** Cuts every open link: clients see the connection end, the server sees nothing. */
  cut(): void {
    for (const link of this.#links) {
      if (link.cut) continue;
      link.cut = true;
      closeQuietly(link.client);
    }
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        const server = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
        const link = { client, server, cut: false };
        this.#links.add(link);
        this.#tasks.push(this.#pump(link, client, server), this.#pump(link, server, client));
      }
    } catch {
      // The listener was closed.
    }
  }

  async #pump(
    link: { cut: boolean; client: Deno.TcpConn; server: Deno.TcpConn },
    from: Deno.TcpConn,
    to: Deno.TcpConn,
  ): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (!link.cut) {
        const n = await from.read(buffer);
        if (n === null || link.cut) break;
        let chunk = buffer.subarray(0, n);
        while (chunk.length > 0) chunk = chunk.subarray(await to.write(chunk));
      }
    } catch {
      // One side went away.
    }
    // A cut link keeps its server side open (the ghost); otherwise both close.
    if (!link.cut) {
      closeQuietly(link.client);
      closeQuietly(link.server);
    }
  }

  /** Stops listening and closes every link, both sides. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const link of this.#links) {
      closeQuietly(link.client);
      closeQuietly(link.server);
    }
    await Promise.all(this.#tasks);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
