/**
 * A first TLS record that fails (a handshake header and bytes that are no
 * ClientHello, in one segment) ends that connection only: Deno 2.9.6's
 * TLSSocket._start destroys the socket inside its handle's start() and then
 * reads the null handle, a TypeError out of the event loop (review of
 * issue 19's secureNative; also under secureOver before it).
 */

import assert from "node:assert/strict";
import { createSelfSigned } from "../lib/server/tls_certificate.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";

/** Sends `bytes` in one write and waits until the server closes the connection. */
async function sendAndWaitClose(port: number, bytes: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(bytes);
    const buffer = new Uint8Array(1024);
    while ((await conn.read(buffer).catch(() => null)) !== null) { /* until closed */ }
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

Deno.test("TLS: a bad first record closes that connection only; the server goes on", async () => {
  const certificate = await createSelfSigned();
  await using server = await startServer({ tls: certificate });
  const port = server.addr.port;
  const bad = [
    // A handshake record of 5 bytes that are no handshake message.
    new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x05, 0x41, 0x41, 0x41, 0x41, 0x41]),
    // A record longer than TLS allows.
    new Uint8Array([0x16, 0x03, 0x01, 0xff, 0xff, ...new Uint8Array(1000)]),
  ];
  for (const bytes of bad) await sendAndWaitClose(port, bytes);
  await using client = await NativeClient.connectTls(port, certificate.cert, "after");
  assert.ok(client.events.some((e) => e.type === "welcome"));
});
