/**
 * The runtime bug, reduced: under Deno 2.9.6, a server-side `tls.TLSSocket`
 * made over a stream that already holds a bad first record (bytes read
 * before the TLS socket existed, as a server that tells TLS from plain text
 * by the first byte has) ends the whole process. `TLSSocket._start` calls
 * its handle's `start()`, the record fails there and destroys the socket,
 * and `_start` then reads the handle it just nulled: "TypeError: Cannot
 * read properties of null (reading '_flushEncOut')", thrown out of the
 * event loop where no handler can catch it.
 *
 * lanchat's front door wraps `_start` on each such socket
 * (lib/net/tls_feed.ts, `guardStart`); tests/tls_bad_first_record_test.ts
 * holds it to that.
 *
 * Usage: deno run -A bench/reference/tls_start_null_handle.ts
 * Prints "survived" and exits 0 on a runtime without the bug; under Deno
 * 2.9.6 it ends with the TypeError and exit code 1.
 */

import * as net from "node:net";
import * as tls from "node:tls";
import { PassThrough } from "node:stream";
import { createSelfSigned } from "../../lib/server/tls_certificate.ts";

const certificate = await createSelfSigned();
const context = tls.createSecureContext({ cert: certificate.cert, key: certificate.key });

const server = net.createServer((raw) => {
  raw.on("error", () => {});
  raw.once("data", (first: Uint8Array) => {
    // The first record, read before the TLS socket exists, handed to it in a stream.
    const feed = new PassThrough();
    feed.write(first);
    const secure = new tls.TLSSocket(feed as unknown as net.Socket, {
      isServer: true,
      secureContext: context,
    });
    secure.on("error", () => raw.destroy());
  });
});
server.listen(0, "127.0.0.1", async () => {
  const { port } = server.address() as net.AddressInfo;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  // A handshake record of 5 bytes that are no handshake message.
  await conn.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x05, 0x41, 0x41, 0x41, 0x41, 0x41]));
  await new Promise((resolve) => setTimeout(resolve, 500));
  conn.close();
  server.close();
  console.log("survived");
});
