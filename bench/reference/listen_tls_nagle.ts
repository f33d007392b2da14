/**
 * A third reason lanchat does not terminate TLS on `Deno.listenTls`: its
 * connections have Nagle's algorithm on and no way to turn it off
 * (`Deno.TlsConn` has no `setNoDelay`). A server that answers a request
 * with two small writes in a row gets the second held back until the
 * client's delayed ACK, about 40 ms on Linux. The same exchange over
 * node:tls on a node:net connection with `setNoDelay(true)` (what lanchat
 * does) takes about the 1 ms the server waits between the two writes.
 *
 * Usage: deno run -A bench/reference/listen_tls_nagle.ts
 * Prints the median and the worst of 40 request/answer round trips for both.
 */

import * as tls from "node:tls";
import * as net from "node:net";
import { createSelfSigned } from "../../lib/server/tls_certificate.ts";

const { cert, key } = await createSelfSigned();
const answer = new Uint8Array(10);

/** Two small writes per request, as a chat server writes two events. */
async function denoListenTls(): Promise<number> {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buffer = new Uint8Array(64);
        while ((await conn.read(buffer)) !== null) {
          await conn.write(answer);
          await new Promise((resolve) => setTimeout(resolve, 1));
          await conn.write(answer);
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  const port = listener.addr.port;
  const result = await roundTrips(port);
  listener.close();
  return result;
}

async function nodeTlsOverNodeNet(): Promise<number> {
  const context = tls.createSecureContext({ cert, key });
  const server = net.createServer((raw) => {
    raw.setNoDelay(true);
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    socket.on("error", () => {});
    socket.on("data", () => {
      socket.write(answer);
      setTimeout(() => socket.write(answer), 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const result = await roundTrips((server.address() as net.AddressInfo).port);
  server.close();
  return result;
}

/** Median ms from a one-byte request to both answers, over 40 tries. */
function roundTrips(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
    socket.on("error", reject);
    socket.once("secureConnect", async () => {
      socket.setNoDelay(true);
      const times: number[] = [];
      for (let i = 0; i < 40; i++) {
        const started = performance.now();
        await new Promise<void>((done) => {
          let got = 0;
          const onData = (chunk: Uint8Array) => {
            got += chunk.length;
            if (got < 2 * answer.length) return;
            socket.off("data", onData);
            done();
          };
          socket.on("data", onData);
          socket.write("x");
        });
        times.push(performance.now() - started);
      }
      socket.destroy();
      times.sort((a, b) => a - b);
      resolve(times[times.length >> 1]);
    });
  });
}

console.log(`Deno.listenTls:                   median ${(await denoListenTls()).toFixed(2)} ms`);
console.log(
  `node:tls over node:net (ours):    median ${(await nodeTlsOverNodeNet()).toFixed(2)} ms`,
);
Deno.exit(0);
