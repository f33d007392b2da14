/**
 * A TCP relay in front of a chat server that meddles only with HTTP file
 * transfers (issue 18): it can cut the first download after some bytes (a
 * connection lost mid-file) and slow uploads down (so a test can cancel
 * one that is surely still under way). Chat connections pass untouched.
 *
 * @module
 */

/** How the relay meddles. */
export interface RelayOptions {
  /** Cut the first `GET /f/` answer after this many bytes. */
  cutFirstDownloadAfter?: number;
  /** Pass a `POST /f` body at most this many bytes a second. */
  uploadBytesPerSecond?: number;
}

/** The relay; {@linkcode HttpRelay.port} is where clients connect. */
export class HttpRelay implements AsyncDisposable {
  /** The port clients connect to, on 127.0.0.1. */
  readonly port: number;
  /** How many downloads were cut. */
  cuts = 0;
  /** The heads of the `GET /f/` requests that came through. */
  readonly downloads: string[] = [];
  readonly #listener: Deno.Listener<Deno.TcpConn>;
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks: Promise<void>[] = [];
  readonly #accepting: Promise<void>;

  /** Listens on a free port and relays to the server on `targetPort`. */
  constructor(readonly targetPort: number, readonly options: RelayOptions = {}) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) this.#tasks.push(this.#link(client));
    } catch {
      // Closed.
    }
  }

  async #link(client: Deno.TcpConn): Promise<void> {
    const server = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
    this.#conns.add(client).add(server);
    const first = new Uint8Array(64 * 1024);
    const n = await client.read(first).catch(() => null);
    if (n === null) return this.#close(client, server);
    const head = new TextDecoder().decode(first.subarray(0, Math.min(n, 16)));
    const download = head.startsWith("GET /f/");
    const upload = head.startsWith("POST /f");
    if (download) this.downloads.push(new TextDecoder().decode(first.subarray(0, n)));
    const cutAfter = download && this.cuts === 0 ? this.options.cutFirstDownloadAfter : undefined;
    if (cutAfter !== undefined) this.cuts++;
    const rate = upload ? this.options.uploadBytesPerSecond : undefined;
    await write(server, first.subarray(0, n)).catch(() => {});
    await Promise.all([
      this.#pump(client, server, rate, undefined),
      this.#pump(server, client, undefined, cutAfter),
    ]);
    this.#close(client, server);
  }

  async #pump(
    from: Deno.Conn,
    to: Deno.Conn,
    rate: number | undefined,
    cutAfter: number | undefined,
  ): Promise<void> {
    const buffer = new Uint8Array(rate ? Math.max(1024, Math.floor(rate / 10)) : 64 * 1024);
    let moved = 0;
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        let chunk = buffer.subarray(0, n);
        if (cutAfter !== undefined && moved + n >= cutAfter) {
          chunk = chunk.subarray(0, cutAfter - moved);
          await write(to, chunk);
          break;
        }
        await write(to, chunk);
        moved += n;
        if (rate) await new Promise((resolve) => setTimeout(resolve, (n / rate) * 1000));
      }
    } catch {
      // One side went away.
    }
    // Either side ending ends both (a cut ends the client's side at once).
    this.#close(from, to);
  }

  #close(...conns: Deno.Conn[]): void {
    for (const conn of conns) {
      if (!this.#conns.delete(conn)) continue;
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }

  /** Stops listening and closes every link. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    this.#close(...this.#conns);
    await Promise.all(this.#tasks);
  }
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}
