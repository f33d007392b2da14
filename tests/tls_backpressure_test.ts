/**
 * A reader that stops reading a TLS connection holds the sender back: the
 * receiving process keeps no more than its read buffer and the kernel's
 * socket buffers, not everything the peer sends. Deno's node:tls buffers
 * without limit under a paused TLS socket (lib/net/tls_feed.ts); a 286 MiB
 * `/get` over TLS once grew chat-client to 673 MB.
 */

import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { connectTls } from "../lib/net/socket_conn.ts";
import { SocketConn } from "../lib/net/socket_conn.ts";
import { secureNative, secureOver } from "../lib/net/tls_feed.ts";
import { createSelfSigned } from "../lib/server/tls_certificate.ts";
import { until, within } from "./_waiting.ts";

/** What the sender tries to send. */
const TOTAL = 64 * 1024 * 1024;
/** What a stopped reader may let in: its buffer, TLS's and the kernel's. */
const BOUND = 12 * 1024 * 1024;

/**
 * Writes `TOTAL` bytes to `socket` as fast as it takes them; `accepted`
 * counts what it took. Stalled: waiting for a drain for a second.
 */
function flood(socket: net.Socket) {
  const state = { accepted: 0, done: false, waitingSince: 0 };
  const chunk = new Uint8Array(64 * 1024);
  const pump = () => {
    state.waitingSince = 0;
    while (state.accepted < TOTAL) {
      state.accepted += chunk.length;
      if (!socket.write(chunk)) {
        state.waitingSince = performance.now();
        socket.once("drain", pump);
        return;
      }
    }
    state.done = true;
  };
  socket.on("error", () => {});
  return {
    state,
    pump,
    settled: () =>
      state.done || (state.waitingSince > 0 && performance.now() - state.waitingSince > 1000),
  };
}

Deno.test("connectTls: a reader that stops holds a TLS sender back (bounded memory)", async () => {
  const { cert, key } = await createSelfSigned();
  let sender: ReturnType<typeof flood> | undefined;
  const sockets: tls.TLSSocket[] = [];
  const server = tls.createServer({ cert, key }, (socket) => {
    sockets.push(socket);
    sender = flood(socket);
    sender.pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const { conn } = await connectTls("127.0.0.1", port);
  try {
    const buffer = new Uint8Array(64 * 1024);
    assert.ok((await conn.read(buffer)) ?? 0 > 0);
    // The reader stops here.
    await until(() => sender?.settled() ?? false, 30_000);
    assert.ok(
      sender!.state.accepted < BOUND,
      `the stopped reader let ${sender!.state.accepted} bytes in (at most ${BOUND})`,
    );
  } finally {
    conn.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A TLS server whose reader reads once and then pauses, made by `adopt` from
 * each accepted TCP socket; a client floods it. Checks that the paused
 * server holds the client back, then that reading again brings everything.
 */
async function pausedReaderHoldsBack(
  adopt: (raw: net.Socket, context: tls.SecureContext, ready: (conn: SocketConn) => void) => void,
): Promise<void> {
  const { cert, key } = await createSelfSigned();
  const context = tls.createSecureContext({ cert, key });
  const conns: SocketConn[] = [];
  const firstRead = Promise.withResolvers<number | null>();
  const server = net.createServer((raw) =>
    adopt(raw, context, (conn) => {
      conns.push(conn);
      conn.read(new Uint8Array(64 * 1024)).then(firstRead.resolve, firstRead.reject);
    })
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
  const sender = flood(client);
  try {
    await new Promise((resolve) => client.once("secureConnect", resolve));
    sender.pump();
    const firstBytes = (await firstRead.promise) ?? 0;
    assert.ok(firstBytes > 0);
    await until(() => sender.settled(), 30_000);
    assert.ok(
      sender.state.accepted < BOUND,
      `the paused server took ${sender.state.accepted} bytes (at most ${BOUND})`,
    );
    // Reading again resumes the TCP reads: everything sent arrives.
    const conn = conns[0];
    const readAll = async () => {
      const buffer = new Uint8Array(64 * 1024);
      let received = firstBytes;
      while (received < TOTAL) {
        const n = await conn.read(buffer);
        if (n === null) throw new Error(`the connection ended after ${received} bytes`);
        received += n;
      }
      return received;
    };
    assert.equal(await within(30_000, readAll(), "all of the flood after resuming"), TOTAL);
  } finally {
    client.destroy();
    for (const conn of conns) conn.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

Deno.test("secureOver (the client's TLS socket, over a feed): a paused reader holds the sender back", async () => {
  await pausedReaderHoldsBack((raw, context, ready) => {
    const secure = secureOver(raw, { isServer: true, secureContext: context });
    ready(new SocketConn(secure, undefined, raw));
  });
});

Deno.test("secureNative (the TLS front door's socket): a paused server-side reader holds the client back", async () => {
  await pausedReaderHoldsBack((raw, context, ready) => {
    // As the front door does: the first record read on the TCP socket, then handed to TLS.
    raw.once("data", (first: Uint8Array) => {
      raw.pause();
      const secure = secureNative(raw, { isServer: true, secureContext: context }, first);
      ready(new SocketConn(secure, undefined, raw));
    });
  });
});
