/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * One worker of worker_relay.ts: accepts from its own `SO_REUSEPORT` listener, reads lines, and
 * writes every line to each of its connections but the sender, one write in flight per connection
 * (what queues meanwhile leaves in one write).
 *
 * @module
 */

/** A connection's writer. */
class Outbox {
  #queued: Uint8Array[] = [];
  #writing = false;

  constructor(readonly conn: Deno.TcpConn) {}

  send(bytes: Uint8Array): void {
    if (this.#writing) {
      this.#queued.push(bytes);
      return;
    }
    this.#writing = true;
    this.#write(bytes);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    try {
      for (;;) {
        for (let sent = 0; sent < bytes.length;) {
          sent += await this.conn.write(bytes.subarray(sent));
        }
        if (this.#queued.length === 0) break;
        const parts = this.#queued;
        this.#queued = [];
        bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
        let offset = 0;
        for (const part of parts) {
          bytes.set(part, offset);
          offset += part.length;
        }
      }
    } catch {
      // The peer is gone; its read loop ends too.
    }
    this.#writing = false;
  }
}

const clients = new Set<Outbox>();

function deliver(line: Uint8Array, except?: Outbox): void {
  for (const client of clients) if (client !== except) client.send(line);
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const client = new Outbox(conn);
  clients.add(client);
  const buffer = new Uint8Array(4096);
  let partial = new Uint8Array(0);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      let data = buffer.subarray(0, n);
      if (partial.length > 0) {
        const joined = new Uint8Array(partial.length + n);
        joined.set(partial);
        joined.set(data, partial.length);
        data = joined;
      }
      let start = 0;
      for (let end = data.indexOf(10); end !== -1; end = data.indexOf(10, start)) {
        const line = data.slice(start, end + 1);
        self.postMessage({ line }); // the other workers first, as the C relay does
        deliver(line, client);
        start = end + 1;
      }
      partial = data.slice(start);
    }
  } catch {
    // Reset by the peer.
  }
  clients.delete(client);
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

self.onmessage = async (event: MessageEvent) => {
  if (event.data.type === "line") return deliver(event.data.line);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: event.data.port, reusePort: true });
  for await (const conn of listener) serve(conn);
};
